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
. tests/guests/run_lib.sh
T=90
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,11p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

xen_ref_find
elfs_of build/guests/pvh run-xen pvh-guests "$@"

# Machine shape: the "guest-run:" line in the test's source (run_lib.sh
# guest_shape: smp=N vcpus=M qemu=OPTS args=WORDS expect=crash xen=WHAT;
# args are the command line when none is given with @; xen=survives: see
# below).
run_shape() { guest_shape "tests/guests/pvh/t_$1.c"; }

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
    read_verdicts "$name" "$log"
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
    else
        report_verdict "$name" "$log"
    fi
done
echo "xen-pvh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
