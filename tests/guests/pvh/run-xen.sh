#!/bin/bash
# Runs PVH test kernels as a PVH dom0 on the reference hypervisor (Xen 4.17
# under QEMU TCG, shared/tools/xen-ref) and reports each verdict line.
#   tests/guests/pvh/run-xen.sh [-t SECONDS] [NAME[@ARGS]|path/to/NAME.elf ...]
# Without names it runs every build/guests/pvh/*.elf (make pvh-guests).
# NAME@ARGS gives the kernel a command line ('+' between words), e.g.
# pvh_oob@how=write.
# Xen 4.17 refuses a PVH dom0 without an IOMMU ("Presently, iommu must be
# enabled for PVH hardware domain"): QEMU gets a q35 machine with an AMD
# IOMMU and Xen `dom0=pvh iommu=1`. Prints "PASS name" / "FAIL name:
# reason", then "xen-pvh: N passed, M failed". Serial logs:
# build/guests/pvh/logs/NAME.xen.log.
set -u
cd "$(dirname "$0")/../../.." || exit 2
T=90
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,11p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

XEN_REF=${XEN_REF:-}
for c in "$XEN_REF" /work/shared/tools/xen-ref ../shared/tools/xen-ref; do
    [ -n "$c" ] && [ -x "$c" ] && { XEN_REF=$c; break; }
done
[ -x "$XEN_REF" ] || { echo "run-xen: xen-ref not found (set XEN_REF)" >&2; exit 2; }

elfs=()
if [ $# -eq 0 ]; then
    elfs=(build/guests/pvh/*.elf)
    [ -e "${elfs[0]}" ] || { echo "run-xen: no build/guests/pvh/*.elf (make pvh-guests)" >&2; exit 2; }
else
    for a in "$@"; do
        case $a in *.elf) elfs+=("$a");; *) elfs+=("build/guests/pvh/$a.elf");; esac
    done
fi

# Machine shape from a "guest-run:" line in the test's source: smp=N
# vcpus=M (default 2 CPUs, 1 vCPU), qemu=OPTS (+ for spaces), args=WORDS
# (the command line when none is given with @), expect=crash
# (the hypervisor must crash the domain; judged from its log), xen=WHAT (a
# documented way Xen 4.17 differs: the run must end in a FAIL verdict
# whose reason says so, see below).
run_shape() {
    local src="tests/guests/pvh/t_$1.c" line
    smp=2 vcpus=1 expect=pass qemu= xen= sargs=
    line=$(grep -o 'guest-run:.*' "$src" 2>/dev/null | head -1)
    for kv in ${line#guest-run:}; do
        case $kv in smp=*) smp=${kv#smp=};; vcpus=*) vcpus=${kv#vcpus=};; expect=*) expect=${kv#expect=};;
            xen=*) xen=${kv#xen=};;
            args=*) sargs=${kv#args=}; sargs=${sargs//+/ };;
            qemu=*) qemu=${kv#qemu=}; qemu=${qemu//+/ };; esac
    done
}

mkdir -p build/guests/pvh/logs
pass=0 fail=0
for arg in "${elfs[@]}"; do
    elf=${arg%%@*} args=""
    case $arg in *@*) elf=${arg%%@*}.elf; args=${arg#*@}; args=${args%.elf}; args=${args//+/ };; esac
    name=$(basename "$elf" .elf)
    log=build/guests/pvh/logs/$name${args:+-${args//[ =]/_}}.xen.log
    if [ ! -f "$elf" ]; then
        echo "FAIL $name: no $elf"; fail=$((fail + 1)); continue
    fi
    run_shape "$name"
    [ -n "$args" ] || args=$sargs
    "$XEN_REF" -t "$T" -s "$smp" -q "-machine q35 -device amd-iommu $qemu" \
        -x "dom0=pvh iommu=1 dom0_max_vcpus=$vcpus" "$elf" "$args" > "$log" 2>&1
    verdicts=$(grep -a -o "keel-test: $name: .*" "$log" | tr -d '\r')
    n=$(printf '%s' "$verdicts" | grep -c . || true)
    # xen=survives: a documented way Xen 4.17 differs (pvh_oob: it does not
    # crash the domain): one verdict line, whatever it says, and no crash.
    if [ "$xen" = survives ]; then
        if [ "$n" -eq 1 ] && ! grep -aEq "Domain 0 \(vcpu#[0-9]+\) crashed|domain_crash called" "$log"; then
            echo "PASS $name${args:+ ($args)} (Xen does not crash it, as documented: ${verdicts#keel-test: "$name": })"; pass=$((pass + 1))
        else
            echo "FAIL $name${args:+ ($args)}: expected Xen to let it run, got: ${verdicts:-no verdict} (log: $log)"; fail=$((fail + 1))
        fi
        continue
    fi
    if [ "$expect" = crash ]; then
        if grep -aEq "Domain 0 \(vcpu#[0-9]+\) crashed|domain_crash called" "$log" && [ -z "$verdicts" ]; then
            echo "PASS $name (crashed by Xen)"; pass=$((pass + 1))
        else
            echo "FAIL $name: Xen did not crash it (log: $log)"; fail=$((fail + 1))
        fi
    elif [ "$n" -ne 1 ]; then
        echo "FAIL $name: $n verdict lines (log: $log)"; fail=$((fail + 1))
    elif [ "$verdicts" = "keel-test: $name: PASS" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: ${verdicts#keel-test: "$name": FAIL }"; fail=$((fail + 1))
    fi
done
echo "xen-pvh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
