#!/bin/bash
# Runs PV test kernels as dom0 on Keel (QEMU TCG, direct -kernel boot) and
# reports each verdict line; the same kernels run on Xen with run-xen.sh.
#   tests/guests/run-keel.sh [-t SECONDS] [NAME|path/to/NAME.elf ...]
# A guest passes when it prints exactly one "keel-test: NAME: PASS" line,
# its shutdown powers the machine off (QEMU exits by itself) and Keel then
# reports as many free frames as before the domain was built. Prints
# "PASS name" / "FAIL name: reason", then "keel-guests: N passed, M failed".
# Serial logs: build/guests/logs/NAME.keel.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/guests/run_lib.sh
T=60
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,9p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

elfs_of build/guests run-keel guests "$@"

# Per-test machine shape from the "guest-run:" line in the test's source
# (run_lib.sh guest_shape: smp=N vcpus=M, qemu=OPTS e.g.
# qemu=-icount+shift=0, expect=crash: the hypervisor must crash the domain,
# judged from its log).
run_shape() { guest_shape "tests/guests/t_$1.c"; }

# Two guests at once: dom0 and an unprivileged domain (the second boot
# module, `domu=`) share the machine. run_pair DOM0 DOMU SMP: both must
# pass, or the domU must be crashed by Keel with a reason when its source
# says "guest-run: expect=crash"; both domains must be destroyed with all
# their memory returned (no reference left behind).
# A name may carry the kernel's command line after '@' ('+' between
# words: sched_share@share=33+waitalone); extra options with their own
# domu= replace the default domu=1:DOMU:32M (e.g. to give it a weight).
run_pair() {
    local d0=${1%%@*} du=${2%%@*} smp=$3 why="" a0="" au=""
    local log=build/guests/logs/pair-${1//[@+=]/_}-${2//[@+=]/_}.keel.log
    case $1 in *@*) a0=" ${1#*@}"; a0=${a0//+/ };; esac
    case $2 in *@*) au=" ${2#*@}"; au=${au//+/ };; esac
    shift 3
    # qemu=OPTS among the extras (+ for spaces) goes to QEMU, not to Keel.
    local extra qopts
    pair_extras "$@"
    local domu="domu=1:$du:32M"
    case " $extra" in *" domu="*) domu="";; esac
    [ -f "build/guests/$d0.elf" ] && [ -f "build/guests/$du.elf" ] || {
        echo "FAIL pair $d0 + $du: not built"; fail=$((fail + 1)); return; }
    rm -f "$log"
    timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "$smp" $qopts -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$log" -kernel build/keel.elf \
        -append "console=com1 dom0_exit=wait $domu$extra" \
        -initrd "build/guests/$d0.elf$a0,build/guests/$du.elf$au" </dev/null >/dev/null 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] || why="QEMU ended with status $rc"
    grep -aq "(d0) keel-test: $d0: PASS" "$log" || why="$why; dom0 ($d0) did not pass"
    if grep -q 'guest-run:.*expect=crash' "tests/guests/t_$du.c"; then
        grep -aq "domain 1 ('$du'): crashed: " "$log" || why="$why; the domU was not crashed"
        grep -aq "keel-test: $du:" "$log" && why="$why; the domU printed a verdict"
    else
        grep -aq "(d1) keel-test: $du: PASS" "$log" || why="$why; the domU ($du) did not pass"
    fi
    pair_teardown_why "$log"
    if [ -z "$why" ]; then
        echo "PASS pair $d0 (dom0) + $du (domU), $smp CPU(s)"; pass=$((pass + 1))
    else
        echo "FAIL pair $d0 (dom0) + $du (domU):${why#;} (log: $log)"; fail=$((fail + 1))
    fi
}

mkdir -p build/guests/logs
pass=0 fail=0
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" .elf)
    log=build/guests/logs/$name.keel.log
    rm -f "$log"
    run_shape "$name"
    if [ "$expect" = crash ]; then    # crashes on purpose: as a domU beside dom0
        [ $# -eq 0 ] || run_pair console "$name" 2
        continue                        # (the full run pairs it below)
    fi
    timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "$smp" $qemu -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$log" -kernel build/keel.elf \
        -append "console=com1 dom0_max_vcpus=$vcpus" -initrd "$elf" </dev/null >/dev/null 2>&1
    rc=$?
    read_verdicts "$name" "$log"
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: QEMU ended with status $rc (124 = hang) (log: $log)"; fail=$((fail + 1))
    elif [ "$n" -ne 1 ]; then
        echo "FAIL $name: $n verdict lines (log: $log)"; fail=$((fail + 1))
    elif ! grep -aq "mem: all domains gone, .* free as before" "$log"; then
        echo "FAIL $name: its memory did not all come back (log: $log)"; fail=$((fail + 1))
    elif [ "$verdicts" = "keel-test: $name: PASS" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: ${verdicts#keel-test: "$name": FAIL }"; fail=$((fail + 1))
    fi
    # FPU/SSE/AVX state with another domain using the FPU on the same CPU:
    # the fpu test as dom0 and as domU on one CPU (also by `run-keel.sh fpu`).
    [ "$name" = fpu ] && run_pair fpu fpu 1
done
# The pairs: tests/guests/pairs.list, one per line: DOM0 DOMU SMP [extra
# Keel options...] (# starts a comment).
if [ $# -eq 0 ]; then
    while read -r d0 du smp extra; do
        case $d0 in ''|'#'*) continue;; esac
        extra=${extra%%#*}
        run_pair "$d0" "$du" "$smp" $extra
    done < tests/guests/pairs.list
fi
echo "keel-guests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
