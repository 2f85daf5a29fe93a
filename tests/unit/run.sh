#!/bin/bash
# Runs every host unit test binary given and prints one summary line:
#   unit: N passed, M failed
# A binary that crashes or prints no cmocka summary counts as one failure.
set -u
pass=0 fail=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    if [ -z "$p" ] && [ -z "$f" ]; then
        echo "unit: $(basename "$t"): no result (exit $rc)"; printf '%s\n' "$out" | tail -20
        fail=$((fail + 1)); continue
    fi
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ "${f:-0}" != 0 ] || [ $rc -ne 0 ]; then
        printf '%s\n' "$out" | grep -E 'FAILED|ERROR|error|Assert|runtime error' | head -20
        [ $rc -ne 0 ] && [ "${f:-0}" = 0 ] && { echo "unit: $(basename "$t"): exit $rc"; fail=$((fail + 1)); }
    fi
    echo "unit: $(basename "$t"): ${p:-0} passed, ${f:-0} failed"
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
