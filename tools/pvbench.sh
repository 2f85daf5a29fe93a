#!/bin/bash
# tools/pvbench.sh [RUNS]: the cost of common PV paths (null hypercall,
# update_va_mapping, mmu_update, local TLB flush, trap bounce + iret, yield
# round trip between two vCPUs on one CPU; and, Keel only, the yield and
# event-channel round trips between two domains on one CPU, from
# tests/guests/bench/pairbench.c) in guest TSC cycles, measured by
# the benchmark kernel tests/guests/bench/pvbench.c as dom0 on Keel and on
# Debian's Xen 4.17 (../shared/tools/xen-ref), both under QEMU TCG with one
# CPU and `-icount shift=0` (the guest TSC counts instructions, so the
# figures repeat from run to run). Prints per operation the median over
# RUNS boots (default 3) of each kernel's own medians. Emulated cycles are
# not a real CPU's; the ratio between the two hypervisors on the same rig
# is the figure to watch.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
RUNS=${1:-3}
ELF=build/guests/bench/pvbench.elf
XEN_REF=${XEN_REF:-}
for c in "$XEN_REF" /work/shared/tools/xen-ref ../shared/tools/xen-ref; do
    [ -n "$c" ] && [ -x "$c" ] && { XEN_REF=$c; break; }
done
make -s all bench-guests >/dev/null || exit 1
OUT=$(mktemp -d "${TMPDIR:-/tmp}/keel-pvbench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

run_keel() {
    timeout 300 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 -icount shift=0 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$1" -kernel build/keel.elf \
        -append "console=com1 dom0_max_vcpus=2" -initrd "$ELF" </dev/null >/dev/null 2>&1
}

# Two domains on one CPU (Keel only: xen-ref boots dom0 alone).
PAIR=build/guests/bench/pairbench.elf
run_keel_pair() {
    timeout 300 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 -icount shift=0 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$1" -kernel build/keel.elf \
        -append "console=com1 domu=1:pairbench:32M" -initrd "$PAIR,$PAIR" </dev/null >/dev/null 2>&1
}

run_xen() {
    "$XEN_REF" -t 300 -s 1 -q "-icount shift=0" -x "dom0_max_vcpus=2" "$ELF" >"$1" 2>&1
}

for ((i = 1; i <= RUNS; i++)); do
    run_keel "$OUT/keel.$i"
    run_keel_pair "$OUT/keel.pair.$i"
    [ -x "$XEN_REF" ] && run_xen "$OUT/xen.$i"
done

# median HV OP: the median of OP's figures over the runs of HV.
median() {
    grep -a -h -o "keel-bench: $2: [0-9]*" "$OUT"/"$1".* 2>/dev/null | awk '{print $3}' |
        sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'
}

for hv in keel xen; do
    for f in "$OUT"/$hv.*; do
        [ -e "$f" ] || continue
        grep -aq "keel-test: [a-z]*bench: PASS" "$f" || echo "pvbench: a $hv run did not pass: $(grep -a -o 'keel-test: [a-z]*bench: .*' "$f")" >&2
    done
done
printf '%-20s %10s %10s %8s\n' "cycles per op" "Keel" "Xen 4.17" "Keel/Xen"
for op in null_hypercall update_va_mapping mmu_update mmu_update_batch512 tlb_flush_local \
          trap_bounce_iret pf_round_trip yield_round_trip evtchn_round_trip \
          yield_round_trip_domains evtchn_round_trip_domains; do
    k=$(median keel $op) x=$(median xen $op)
    r=$(awk -v k="$k" -v x="$x" 'BEGIN { if (k + 0 > 0 && x + 0 > 0) printf "%.2f", k / x; else print "-" }')
    printf '%-20s %10s %10s %8s\n' "$op" "$k" "$x" "$r"
done
