#!/bin/bash
# tools/bootbench.sh [RUNS]: boot time of Keel under QEMU TCG, -smp 4.
# Measures wall time from QEMU's start to its exit after the self-test's
# power-off (direct -kernel boot, so the figure is Keel plus SeaBIOS, not
# GRUB), RUNS times (default 5); prints each run, the median, and the size
# of build/keel.elf. A run that does not reach "keel: powering off" is an
# error: its time would measure something else.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ELF=${KEEL_ELF:-$ROOT/build/keel.elf}
RUNS=${1:-5}
LOG=$(mktemp "${TMPDIR:-/tmp}/keel-bootbench.XXXXXX")
trap 'rm -f "$LOG"' EXIT

[ -f "$ELF" ] || { echo "bootbench: $ELF missing: run make first" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "bootbench: QEMU missing (tools/deps.sh run)" >&2; exit 1; }

# one_run: print the wall time of one boot in milliseconds.
one_run() {
    local t0 t1 rc
    : >"$LOG"
    t0=$(date +%s%N)
    timeout 120 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 4 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$LOG" \
        -kernel "$ELF" -append "console=com1 keel.selftest" </dev/null >/dev/null 2>&1
    rc=$?
    t1=$(date +%s%N)
    if [ $rc -ne 0 ] || ! grep -q "keel: powering off" "$LOG"; then
        echo "bootbench: run failed (QEMU exit $rc); serial log tail:" >&2
        tail -5 "$LOG" >&2
        return 1
    fi
    echo $(((t1 - t0) / 1000000))
}

times=()
for ((i = 1; i <= RUNS; i++)); do
    ms=$(one_run) || exit 1
    printf 'run %d: %d.%03d s\n' "$i" $((ms / 1000)) $((ms % 1000))
    times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
printf 'median of %d: %d.%03d s (QEMU TCG, -cpu max, -smp 4, -m 1024, direct -kernel)\n' \
    "$RUNS" $((median / 1000)) $((median % 1000))
size=$(stat -c %s "$ELF")
echo "build/keel.elf: $size bytes ($((size / 1024)) KiB)"
