# tests/guests/run_lib.sh: what the guest-kernel runners share (source it,
# bash, from the repository root): run-keel.sh and run-xen.sh here and in
# pvh/. Each runner keeps its own loop and output lines. The functions set
# variables their callers read.
# shellcheck disable=SC2034

# xen_ref_find: XEN_REF, or shared/tools/xen-ref beside the repository (Xen
# 4.17 under QEMU); exits 2 when there is none.
xen_ref_find() {
    local c
    for c in "${XEN_REF:-}" /work/shared/tools/xen-ref ../shared/tools/xen-ref; do
        [ -n "$c" ] && [ -x "$c" ] && { XEN_REF=$c; return; }
    done
    echo "run-xen: xen-ref not found (set XEN_REF)" >&2
    exit 2
}

# elfs_of DIR PROG TARGET [NAME|path/NAME.elf ...]: the kernels to run into
# elfs: the named ones, or every DIR/*.elf (none built: exits 2, telling
# to run make TARGET).
elfs_of() {
    local dir=$1 prog=$2 target=$3 a
    shift 3
    elfs=()
    if [ $# -eq 0 ]; then
        elfs=("$dir"/*.elf)
        [ -e "${elfs[0]}" ] || { echo "$prog: no $dir/*.elf (make $target)" >&2; exit 2; }
    else
        for a in "$@"; do
            case $a in *.elf) elfs+=("$a");; *) elfs+=("$dir/$a.elf");; esac
        done
    fi
}

# guest_shape SOURCE...: the machine shape from the "guest-run:" line of the
# first SOURCE that exists: smp=N vcpus=M (default 2 CPUs, 1 vCPU),
# expect=crash (the hypervisor must crash the domain; default pass),
# qemu=OPTS (extra QEMU options, + for spaces), args=WORDS (the kernel's
# command line, + for spaces: sargs), xen=WHAT (a documented way Xen 4.17
# differs: each run-xen.sh says what it accepts). Sets smp vcpus expect
# qemu sargs xen (globals: callers read them).
guest_shape() {
    local src line kv
    smp=2 vcpus=1 expect=pass qemu='' sargs='' xen=''
    for src in "$@"; do [ -f "$src" ] && break; done
    line=$(grep -o 'guest-run:.*' "$src" 2>/dev/null | head -1)
    for kv in ${line#guest-run:}; do
        case $kv in smp=*) smp=${kv#smp=};; vcpus=*) vcpus=${kv#vcpus=};; expect=*) expect=${kv#expect=};;
            xen=*) xen=${kv#xen=};;
            args=*) sargs=${kv#args=}; sargs=${sargs//+/ };;
            qemu=*) qemu=${kv#qemu=}; qemu=${qemu//+/ };; esac
    done
}

# read_verdicts NAME LOG: the kernel's "keel-test: NAME: ..." lines in LOG
# (verdicts, carriage returns dropped) and how many there are (n).
read_verdicts() {
    verdicts=$(grep -a -o "keel-test: $1: .*" "$2" 2>/dev/null | tr -d '\r')
    n=$(printf '%s' "$verdicts" | grep -c . || true)
}

# report_verdict NAME LOG: PASS when the one verdict line read_verdicts
# found is a PASS, else FAIL with the reason (or the count of verdict
# lines); counts into the caller's pass and fail.
report_verdict() {
    if [ "$n" -ne 1 ]; then
        echo "FAIL $1: $n verdict lines (log: $2)"; fail=$((fail + 1))
    elif [ "$verdicts" = "keel-test: $1: PASS" ]; then
        echo "PASS $1"; pass=$((pass + 1))
    else
        echo "FAIL $1: ${verdicts#keel-test: "$1": FAIL }"; fail=$((fail + 1))
    fi
}

# pair_extras WORD...: a pair's extra words split into Keel options (extra,
# each after a space) and QEMU options (qopts: qemu=OPTS, + for spaces).
# Sets the caller's extra and qopts.
pair_extras() {
    local w
    extra="" qopts=""
    for w in "$@"; do
        case $w in qemu=*) qopts="$qopts ${w#qemu=}";; *) extra="$extra $w";; esac
    done
    qopts=${qopts//+/ }
}

# pair_teardown_why LOG: adds to the caller's why what is wrong with how
# a pair's two domains ended: both destroyed, no reference released by
# force, all their memory back.
pair_teardown_why() {
    [ "$(grep -ac "destroyed, .* KiB returned" "$1")" -eq 2 ] || why="$why; not both domains destroyed"
    grep -aq "released by force" "$1" && why="$why; references leaked"
    grep -aq "mem: all domains gone, .* free as before" "$1" || why="$why; memory not all returned"
}
