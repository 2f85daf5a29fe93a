#!/bin/bash
# Runs PV test kernels as dom0 on Keel (QEMU TCG, direct -kernel boot) and
# reports each verdict line; the same kernels run on Xen with run-xen.sh.
#   tests/guests/run-keel.sh [-t SECONDS] [NAME|path/to/NAME.elf ...]
# A guest passes when it prints exactly one "keel-test: NAME: PASS" line and
# its shutdown powers the machine off (QEMU exits by itself). Prints
# "PASS name" / "FAIL name: reason", then "keel-guests: N passed, M failed".
# Serial logs: build/guests/logs/NAME.keel.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
T=60
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,9p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

elfs=()
if [ $# -eq 0 ]; then
    elfs=(build/guests/*.elf)
    [ -e "${elfs[0]}" ] || { echo "run-keel: no build/guests/*.elf (make guests)" >&2; exit 2; }
else
    for a in "$@"; do
        case $a in *.elf) elfs+=("$a");; *) elfs+=("build/guests/$a.elf");; esac
    done
fi

mkdir -p build/guests/logs
pass=0 fail=0
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" .elf)
    log=build/guests/logs/$name.keel.log
    rm -f "$log"
    timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 2 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$log" \
        -kernel build/keel.elf -append "console=com1" -initrd "$elf" </dev/null >/dev/null 2>&1
    rc=$?
    verdicts=$(grep -a -o "keel-test: $name: .*" "$log" 2>/dev/null | tr -d '\r')
    n=$(printf '%s' "$verdicts" | grep -c . || true)
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: QEMU ended with status $rc (124 = hang) (log: $log)"; fail=$((fail + 1))
    elif [ "$n" -ne 1 ]; then
        echo "FAIL $name: $n verdict lines (log: $log)"; fail=$((fail + 1))
    elif [ "$verdicts" = "keel-test: $name: PASS" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: ${verdicts#keel-test: "$name": FAIL }"; fail=$((fail + 1))
    fi
done
# Two guests at once: dom0 and an unprivileged domain from the second boot
# module share the machine; both must pass and both domains must be
# destroyed with all their memory returned (no reference left behind).
#   run_pair LABEL SMP DOM0_NAME DOMU_NAME
run_pair() {
    local label=$1 smp=$2 n0=$3 n1=$4
    local log=build/guests/logs/$label.keel.log
    rm -f "$log"
    timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "$smp" -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$log" -kernel build/keel.elf \
        -append "console=com1 domu=1:second:32M" \
        -initrd "build/guests/$n0.elf,build/guests/$n1.elf" </dev/null >/dev/null 2>&1
    local rc=$?
    local why=""
    [ "$rc" -eq 0 ] || why="QEMU ended with status $rc"
    grep -aq "(d0) keel-test: $n0: PASS" "$log" || why="$why; dom0 did not pass"
    grep -aq "(d1) keel-test: $n1: PASS" "$log" || why="$why; the domU did not pass"
    [ "$(grep -ac "destroyed, .* KiB returned" "$log")" -eq 2 ] || why="$why; not both domains destroyed"
    grep -aq "released by force" "$log" && why="$why; references leaked"
    if [ -z "$why" ]; then
        echo "PASS $label (dom0 $n0 + domU $n1)"; pass=$((pass + 1))
    else
        echo "FAIL $label (dom0 $n0 + domU $n1):${why#;} (log: $log)"; fail=$((fail + 1))
    fi
}
if [ $# -eq 0 ] && [ -f build/guests/exceptions.elf ] && [ -f build/guests/console.elf ]; then
    run_pair pair 2 exceptions console
fi
# FPU/SSE/AVX state with another domain using the FPU on the same CPU: the
# fpu test as dom0 and as domU on one CPU (each with its own register
# values); also run by `run-keel.sh fpu`.
want_fpu_pair=$([ $# -eq 0 ] && echo 1)
for a in "$@"; do case $a in fpu|*/fpu.elf) want_fpu_pair=1;; esac; done
if [ -n "$want_fpu_pair" ] && [ -f build/guests/fpu.elf ]; then
    run_pair fpu-pair 1 fpu fpu
fi
echo "keel-guests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
