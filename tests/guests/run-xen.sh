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
T=60
while getopts "t:h" o; do case $o in
    t) T=$OPTARG;;
    *) sed -n '2,9p' "$0"; exit 2;;
esac; done
shift $((OPTIND - 1))

XEN_REF=${XEN_REF:-}
for c in "$XEN_REF" /work/shared/tools/xen-ref ../shared/tools/xen-ref; do
    [ -n "$c" ] && [ -x "$c" ] && { XEN_REF=$c; break; }
done
[ -x "$XEN_REF" ] || { echo "run-xen: xen-ref not found (set XEN_REF)" >&2; exit 2; }

elfs=()
if [ $# -eq 0 ]; then
    elfs=(build/guests/*.elf)
    [ -e "${elfs[0]}" ] || { echo "run-xen: no build/guests/*.elf (make guests)" >&2; exit 2; }
else
    for a in "$@"; do
        case $a in *.elf) elfs+=("$a");; *) elfs+=("build/guests/$a.elf");; esac
    done
fi

mkdir -p build/guests/logs
pass=0 fail=0
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" .elf)
    log=build/guests/logs/$name.xen.log
    if [ ! -f "$elf" ]; then
        echo "FAIL $name: no $elf"; fail=$((fail + 1)); continue
    fi
    "$XEN_REF" -t "$T" "$elf" > "$log" 2>&1
    verdicts=$(grep -a -o "keel-test: $name: .*" "$log" | tr -d '\r')
    n=$(printf '%s' "$verdicts" | grep -c . || true)
    if [ "$n" -ne 1 ]; then
        echo "FAIL $name: $n verdict lines (log: $log)"; fail=$((fail + 1))
    elif [ "$verdicts" = "keel-test: $name: PASS" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: ${verdicts#keel-test: "$name": FAIL }"; fail=$((fail + 1))
    fi
done
echo "xen-ref: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
