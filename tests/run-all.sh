#!/bin/bash
# tests/run-all.sh: every test suite, run by `make test` after the build.
#   1. host unit tests      (make unit      -> "unit: N passed, M failed")
#   2. QEMU boot matrix     (tests/boot/run.sh   -> "boot: N passed, M failed")
#   3. Bochs VMX/EPT boot   (tests/boot/bochs.sh -> "bochs: N passed, M failed")
#      and Bochs SVM: the PVH smoke kernel, the pause filter (tests/boot/bochs_svm.sh -> "bochs-svm: ...")
#   4. PV test kernels on Keel     (tests/guests/run-keel.sh -> "keel-guests: ...")
#   5. the same kernels on Xen 4.17 (tests/guests/run-xen.sh -> "xen-ref: ..."),
#      so that every expectation they encode is what real Xen does
#   5b. the PVH test kernels on Xen 4.17 as a PVH dom0
#      (tests/guests/pvh/run-xen.sh -> "xen-pvh: ..."); on Keel they are
#      tests/guests/pvh/run-keel.sh, added here once Keel runs PVH domains
#   6. Debian's Linux on Keel: the generic kernel as dom0 with a disk, the
#      cloud kernel as domUs (tests/linux/run.sh -> "linux: ..."; the same
#      checks on Xen 4.17 are `make linux`)
# Each suite's own output is shown as it runs. The last line is the total:
#   <N> passed, <M> failed
# and the exit status is 1 if anything failed. A suite that ends without its
# summary line (crashed, could not build) counts as one failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

total_pass=0 total_fail=0
summary=()

# run_suite NAME CMD...: run CMD, show its output, add its "NAME: N passed,
# M failed" line to the totals.
run_suite() {
    local name=$1 out line p f start=$SECONDS
    shift
    out=$(mktemp "${TMPDIR:-/tmp}/keel-$name.XXXXXX")
    echo "== $name: $*"
    "$@" 2>&1 | tee "$out"
    line=$(grep -aE "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -1)
    rm -f "$out"
    if [ -z "$line" ]; then
        p=0 f=1
        echo "$name: no summary line: counted as 1 failure"
    else
        p=$(sed 's/^[^:]*: \([0-9]*\) passed.*/\1/' <<<"$line")
        f=$(sed 's/.*, \([0-9]*\) failed.*/\1/' <<<"$line")
    fi
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    summary+=("$(printf '%-12s %4d passed, %3d failed  (%d s)' "$name" "$p" "$f" $((SECONDS - start)))")
}

run_suite unit  "${MAKE:-make}" -s unit
"${MAKE:-make}" -s guests >/dev/null     # the boot matrix boots one of them too
run_suite boot  tests/boot/run.sh
run_suite bochs tests/boot/bochs.sh
run_suite bochs-svm tests/boot/bochs_svm.sh
run_suite keel-guests tests/guests/run-keel.sh
run_suite xen-ref tests/guests/run-xen.sh
"${MAKE:-make}" -s pvh-guests >/dev/null
run_suite xen-pvh tests/guests/pvh/run-xen.sh
run_suite keel-pvh tests/guests/pvh/run-keel.sh
run_suite keel-pvh-bochs tests/guests/pvh/run-keel.sh -b
run_suite linux tests/linux/run.sh dom0 domu-1 domu-2 domu-4 domu-1-reboot domu-256m domu-2g domu-pair domu-crash dom0-domu domu-pvh-1 domu-pvh-2 domu-pvh-1-reboot domu-shell-pvh-2

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
