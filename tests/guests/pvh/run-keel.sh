#!/bin/bash
# Runs PVH test kernels on Keel (QEMU TCG -cpu max: SVM with NPT) and
# reports each verdict line; the same kernels run on Xen with run-xen.sh.
#   tests/guests/pvh/run-keel.sh [-t SECONDS] [-b [BOCHS-CPU]] [NAME[@ARGS] ...]
# Each kernel boots as a PVH dom0 (`dom0=pvh`, as Xen spells it); it passes
# when it prints exactly one "keel-test: NAME: PASS", its shutdown powers
# the machine off and Keel reports as many free frames as before. Kernels
# whose source says expect=crash run as a PVH domU beside a PV dom0
# (`domu=1:NAME:32M:pvh`) and pass when Keel logs "domain 1 ('NAME'):
# crashed: <reason>". Without names it also runs tests/guests/pvh/pairs.list;
# a name DOM0,DOMU,SMP[,extra...] runs one such pair.
# Prints "PASS name" / "FAIL name: reason", then "keel-pvh: N passed, M
# failed". Serial logs: build/guests/pvh/logs/NAME.keel.log.
# -b runs each named kernel as dom0 in Bochs instead (a GRUB ISO, as
# tests/boot/bochs.sh): CPU model corei7_skylake_x (VMX + EPT) unless
# another is given (ryzen: a second SVM with NRIPS); a crash test runs
# as a PVH domU beside the PV console kernel; no pairs.list there. On
# ryzen pvh_balloon_smp and pvh_cli_spin fail: Bochs 2.7 keeps host
# interrupts masked in an SVM guest entered with IF=0 (VMRUN loads RFLAGS
# before it marks the CPU as in the guest) and AMD has no preemption timer
# to fall back on; QEMU's SVM and real CPUs exit on the interrupt.
# Logs: NAME.bochs-MODEL.log; summary "keel-pvh-bochs: N passed, M failed".
# KEEL_OPTS (QEMU only) adds Keel options, e.g. KEEL_OPTS=svm_clean_check.
set -u
cd "$(dirname "$0")/../../.." || exit 2
. tests/guests/run_lib.sh
. tests/boot/bochs_lib.sh
T=60 BOCHS=""
while [ $# -gt 0 ]; do case $1 in
    -t) T=$2; shift 2;;
    -b) BOCHS=corei7_skylake_x; shift
        case ${1:-} in ''|-*|pvh_*|*.elf) ;; *) BOCHS=$1; shift;; esac;;
    -h|-*) sed -n '2,22p' "$0"; exit 2;;
    *) break;;
esac; done

names=()
if [ $# -eq 0 ]; then
    for e in build/guests/pvh/*.elf; do [ -e "$e" ] && names+=("$(basename "$e" .elf)"); done
    [ ${#names[@]} -gt 0 ] || { echo "run-keel: no build/guests/pvh/*.elf (make pvh-guests)" >&2; exit 2; }
else
    names=("$@")
fi
[ -f build/keel.elf ] || { echo "run-keel: no build/keel.elf (make)" >&2; exit 2; }

# Machine shape from the "guest-run:" line (run_lib.sh guest_shape): smp=N
# vcpus=M qemu=OPTS args=WORDS expect=crash; a PV kernel's from its source.
run_shape() { guest_shape "tests/guests/pvh/t_$1.c" "tests/guests/t_$1.c"; }

# kernel NAME: its ELF (PVH if built, else PV) and whether it is PVH.
kernel() {
    if [ -f "build/guests/pvh/$1.elf" ]; then elf=build/guests/pvh/$1.elf pvh=1
    else elf=build/guests/$1.elf pvh=0; fi
}

boot() {    # LOG KEEL-OPTIONS QEMU-OPTIONS SMP INITRDS
    timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "$4" $3 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$1" -kernel build/keel.elf \
        -append "console=com1 $2 ${KEEL_OPTS:-}" -initrd "$5" </dev/null >/dev/null 2>&1
}

# Keel in Bochs (tests/boot/bochs_lib.sh, as bochs.sh: headless,
# deterministic clock, 20 M instructions per emulated second) from a GRUB
# ISO with KEEL-OPTIONS and the MODULES (files: mkiso.sh gives a module its
# file name as command line, and Keel takes the first word as the module's
# name). Bochs' exit status means nothing: the serial log (BASE.log)
# decides; Bochs is stopped once Keel powers off or dies.
#   keel_bochs BASE SMP KEEL-OPTIONS MODULE...
keel_bochs() {
    local base=$1 cpus=$2 opts=$3; shift 3
    tools/mkiso.sh build/keel.elf "$base.iso" 0 "$opts" "$@" >/dev/null 2>&1 || return 1
    BXCPU=$BOCHS BXCOUNT=$cpus bochs_boot "$base" "$base.iso" "$T" 'keel: powering off|\*\*\* FATAL|PANIC'
    return 0
}

# A copy of ELF named "NAME ARGS" in DIR (the module's command line), or
# ELF itself without arguments.
bochs_module() {    # DIR NAME ARGS ELF
    [ -n "$3" ] || { echo "$4"; return; }
    mkdir -p "$1"; cp "$4" "$1/$2$3"; echo "$1/$2$3"
}

# One PVH kernel in Bochs: as dom0, or, for a crash test, as a PVH domU
# beside the PV console kernel as dom0 (the domU must be crashed with a
# reason, dom0 pass, all memory come back).
run_bochs() {
    local arg=$1 name=${1%%@*} args="" why=""
    case $arg in *@*) args=" ${arg#*@}"; args=${args//+/ };; esac
    run_shape "$name"
    [ -n "$args" ] || { [ -n "$sargs" ] && args=" $sargs"; }
    local base=build/guests/pvh/logs/${arg//[@+=]/_}.bochs-$BOCHS
    local log=$base.log elf=build/guests/pvh/$name.elf dom0=build/guests/console.elf
    [ -f "$elf" ] || { echo "FAIL $name (bochs $BOCHS): not built"; fail=$((fail + 1)); return; }
    local mod
    mod=$(bochs_module "$base.mod" "$name" "$args" "$elf")
    if [ "$expect" = crash ]; then
        [ -f "$dom0" ] || { echo "FAIL $name (bochs $BOCHS): $dom0 not built"; fail=$((fail + 1)); return; }
        keel_bochs "$base" "$smp" "dom0_mem=32M dom0_exit=wait domu=1:$name:32M:$vcpus:pvh" "$dom0" "$mod" ||
            { echo "FAIL $name (bochs $BOCHS): tools/mkiso.sh failed"; fail=$((fail + 1)); return; }
        grep -aq "(d0) keel-test: console: PASS" "$log" || why="$why; dom0 (console) did not pass"
        grep -aq "domain 1 ('$name'): crashed: " "$log" || why="$why; the domU was not crashed"
        grep -aq "keel-test: $name:" "$log" && why="$why; the domU printed a verdict"
        grep -aq "mem: all domains gone, .* free as before" "$log" || why="$why; memory not all returned"
        why=${why#; }
    else
        keel_bochs "$base" "$smp" "dom0=pvh dom0_max_vcpus=$vcpus dom0_mem=64M" "$mod" ||
            { echo "FAIL $name (bochs $BOCHS): tools/mkiso.sh failed"; fail=$((fail + 1)); return; }
        local verdicts n
        read_verdicts "$name" "$log"
        if [ "$n" -ne 1 ]; then why="$n verdict lines"
        elif [ "$verdicts" != "keel-test: $name: PASS" ]; then why=${verdicts#keel-test: "$name": FAIL }
        elif ! grep -aq "mem: all domains gone, .* free as before" "$log"; then why="its memory did not all come back"
        fi
    fi
    if [ -z "$why" ]; then echo "PASS $arg (bochs $BOCHS)"; pass=$((pass + 1))
    else echo "FAIL $arg (bochs $BOCHS): $why (log: $log)"; fail=$((fail + 1)); fi
}

# One PVH kernel as dom0.
run_one() {
    local arg=$1 name=${1%%@*} args="" log why=""
    case $arg in *@*) args=" ${arg#*@}"; args=${args//+/ };; esac
    log=build/guests/pvh/logs/${arg//[@+=]/_}.keel.log
    run_shape "$name"
    if [ "$expect" = crash ]; then
        run_pair console "$arg" 2; return
    fi
    [ -f "build/guests/pvh/$name.elf" ] || { echo "FAIL $name: not built"; fail=$((fail + 1)); return; }
    [ -n "$args" ] || { [ -n "$sargs" ] && args=" $sargs"; }
    rm -f "$log"
    boot "$log" "dom0=pvh dom0_max_vcpus=$vcpus" "$qemu" "$smp" "build/guests/pvh/$name.elf$args"
    local rc=$?
    local verdicts n
    read_verdicts "$name" "$log"
    if [ "$rc" -ne 0 ]; then why="QEMU ended with status $rc (124 = hang)"
    elif [ "$n" -ne 1 ]; then why="$n verdict lines"
    elif ! grep -aq "mem: all domains gone, .* free as before" "$log"; then why="its memory did not all come back"
    elif [ "$verdicts" != "keel-test: $name: PASS" ]; then why=${verdicts#keel-test: "$name": FAIL }
    fi
    if [ -z "$why" ]; then echo "PASS $arg"; pass=$((pass + 1))
    else echo "FAIL $arg: $why (log: $log)"; fail=$((fail + 1)); fi
}

# DOM0 and DOMU at once (each PVH or PV), as ../run-keel.sh's pairs.
run_pair() {
    local a0=$1 au=$2 why="" c0="" cu=""
    local d0=${a0%%@*} du=${au%%@*}
    # The domU's shape first: run_shape sets smp/vcpus/expect (bash's
    # dynamic scope would let it overwrite a local smp set before).
    run_shape "$du"
    local du_vcpus=$vcpus du_expect=$expect
    local smp=$3
    local log=build/guests/pvh/logs/pair-${a0//[@+=]/_}-${au//[@+=]/_}.keel.log
    case $a0 in *@*) c0=" ${a0#*@}"; c0=${c0//+/ };; esac
    case $au in *@*) cu=" ${au#*@}"; cu=${cu//+/ };; esac
    shift 3
    local extra qopts
    pair_extras "$@"
    local elf pvh e0 eu opts="dom0_exit=wait"
    kernel "$d0"; e0=$elf; [ "$pvh" = 1 ] && opts="$opts dom0=pvh"
    kernel "$du"; eu=$elf; local upvh=$pvh
    opts="$opts domu=1:$du:32M:$du_vcpus"; [ "$upvh" = 1 ] && opts="$opts:pvh"
    [ -f "$e0" ] && [ -f "$eu" ] || { echo "FAIL pair $a0 + $au: not built"; fail=$((fail + 1)); return; }
    rm -f "$log"
    boot "$log" "$opts$extra" "$qopts" "$smp" "$e0$c0,$eu$cu"
    local rc=$?
    [ "$rc" -eq 0 ] || why="QEMU ended with status $rc"
    grep -aq "(d0) keel-test: $d0: PASS\|^keel-test: $d0: PASS" "$log" || why="$why; dom0 ($d0) did not pass"
    if [ "$du_expect" = crash ] || [ "$au" = "pvh_wild_pt@badcr3=1" ]; then
        grep -aq "domain 1 ('$du'): crashed: " "$log" || why="$why; the domU was not crashed"
        grep -aq "keel-test: $du:" "$log" && why="$why; the domU printed a verdict: $(grep -a -o "keel-test: $du: .*" "$log" | head -1)"
    else
        grep -aq "(d1) keel-test: $du: PASS" "$log" || why="$why; the domU ($du) did not pass"
    fi
    pair_teardown_why "$log"
    if [ -z "$why" ]; then
        echo "PASS pair $a0 (dom0) + $au (domU), $smp CPU(s)"; pass=$((pass + 1))
    else
        echo "FAIL pair $a0 (dom0) + $au (domU):${why#;} (log: $log)"; fail=$((fail + 1))
    fi
}

mkdir -p build/guests/pvh/logs
pass=0 fail=0
if [ -n "$BOCHS" ]; then
    command -v bochs >/dev/null || { echo "run-keel: bochs not installed (tools/deps.sh test)" >&2; exit 2; }
    for a in "${names[@]}"; do
        run_bochs "$a"
    done
    echo "keel-pvh-bochs: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
for a in "${names[@]}"; do
    case $a in *,*)         # one pair: DOM0,DOMU,SMP[,extra...]
        IFS=, read -r -a p <<<"$a"; run_pair "${p[@]}"; continue;; esac
    run_shape "${a%%@*}"
    # Crash tests run in the pairs when no names were given.
    [ $# -eq 0 ] && [ "$expect" = crash ] && continue
    run_one "$a"
done
if [ $# -eq 0 ]; then
    while read -r d0 du smp extra; do
        case $d0 in ''|'#'*) continue;; esac
        extra=${extra%%#*}
        run_pair "$d0" "$du" "$smp" $extra
    done < tests/guests/pvh/pairs.list
fi
echo "keel-pvh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
