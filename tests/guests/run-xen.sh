#!/bin/bash
# Runs PV test kernels as dom0 on the reference hypervisor (Xen 4.17 under
# QEMU, shared/tools/xen-ref) and reports each verdict line.
#   tests/guests/run-xen.sh [-t SECONDS] [NAME|path/to/NAME.elf ...]
# Without names it runs every build/guests/*.elf (run `make guests` first).
# Prints "PASS name" / "FAIL name: reason" per guest, then
# "xen-ref: N passed, M failed"; exits non-zero if any failed. Serial logs
# are kept in build/guests/logs/NAME.xen.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/guests/run_lib.sh
T=60
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,9p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

xen_ref_find
elfs_of build/guests run-xen guests "$@"

# Per-test machine shape: the "guest-run:" line in the test's source
# (run_lib.sh guest_shape: smp=N vcpus=M qemu=OPTS expect=crash); xen=fails
# marks a documented difference (below).
run_shape() {
    guest_shape "tests/guests/t_$1.c"
    if [ "$xen" = fails ]; then expect="xen-fails"; fi
}

mkdir -p build/guests/logs
pass=0 fail=0
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" .elf)
    log=build/guests/logs/$name.xen.log
    if [ ! -f "$elf" ]; then
        echo "FAIL $name: no $elf"; fail=$((fail + 1)); continue
    fi
    run_shape "$name"
    "$XEN_REF" -t "$T" -s "$smp" ${qemu:+-q "$qemu"} -x "dom0_max_vcpus=$vcpus" "$elf" > "$log" 2>&1
    read_verdicts "$name" "$log"
    if [ "$expect" = crash ]; then
        if grep -aq "Domain 0 (vcpu#0) crashed" "$log" && [ -z "$verdicts" ]; then
            echo "PASS $name (crashed by Xen)"; pass=$((pass + 1))
        else
            echo "FAIL $name: Xen did not crash it (log: $log)"; fail=$((fail + 1))
        fi
        continue
    fi
    # xen=fails: a documented way Xen differs from what Keel guarantees;
    # the test must still run to its verdict on Xen and fail there.
    if [ "$expect" = xen-fails ] && [ "$n" -eq 1 ] && [ "$verdicts" != "keel-test: $name: PASS" ]; then
        echo "PASS $name (fails on Xen as documented: ${verdicts#keel-test: "$name": FAIL })"; pass=$((pass + 1))
    elif [ "$expect" = xen-fails ]; then
        echo "FAIL $name: expected the documented failure on Xen, got: ${verdicts:-no verdict} (log: $log)"; fail=$((fail + 1))
    else
        report_verdict "$name" "$log"
    fi
done
echo "xen-ref: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
