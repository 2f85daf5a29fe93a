#!/bin/bash
# tools/pvhbench.sh: PVH exit costs on Keel's SVM backend in guest TSC
# cycles, from the PVH smoke kernel's "bench" mode (a null hypercall by
# VMMCALL, a CPUID exit, and a nested-page-fault round trip: one read of
# the xAPIC version register, decoded and emulated; each the least of 7
# rounds of 1000) as dom0 on
# one CPU under QEMU TCG with -icount shift=0 (the guest TSC counts
# instructions: the figures repeat exactly). Compare with the PV null
# hypercall of tools/pvbench.sh (BENCHMARKS.md).
set -u
cd "$(dirname "$0")/.." || exit 1
elf=build/pvh_smoke/pvh_smoke.elf
[ -f "$elf" ] || make -s guests >/dev/null || exit 1
log=$(mktemp)
timeout 120 qemu-system-x86_64 -accel tcg -cpu max -m 256 -smp 1 -icount shift=0 -nographic \
    -no-reboot -display none -net none -monitor none -serial "file:$log" \
    -kernel build/keel.elf -append "console=com1 dom0=pvh dom0_mem=16M dom0_max_vcpus=1" \
    -initrd "$elf bench" >/dev/null 2>&1
line=$(grep -a "pvh_smoke: bench:" "$log" | tail -1)
rm -f "$log"
[ -n "$line" ] || { echo "pvhbench: no bench line"; exit 1; }
vmmcall=$(sed 's/.*vmmcall \([0-9]*\) cycles.*/\1/' <<<"$line")
cpuid=$(sed 's/.*cpuid \([0-9]*\) cycles.*/\1/' <<<"$line")
npf=$(sed -n 's/.*xapic-read \([0-9]*\) cycles.*/\1/p' <<<"$line")
printf '%-34s %8s\n' "PVH on SVM (guest TSC per op)" "Keel"
printf '%-34s %8s\n' "null hypercall (VMMCALL xen_version)" "$vmmcall"
printf '%-34s %8s\n' "CPUID exit" "$cpuid"
printf '%-34s %8s\n' "NPF round trip (xAPIC MMIO read)" "${npf:-?}"
