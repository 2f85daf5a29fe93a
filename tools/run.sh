#!/bin/bash
# run.sh [extra hypervisor options]: boot Keel in QEMU on this terminal.
# Uses KVM only if it can really run a guest here (a short self-test boot
# under KVM must succeed), else QEMU's TCG emulation with -cpu max.
set -u
cd "$(dirname "$0")/.."
elf=build/keel.elf
[ -f "$elf" ] || { echo "run: $elf is missing (run make)"; exit 1; }

accel="tcg"; cpu="max"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    log=$(mktemp)
    timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot \
        -display none -net none -monitor none -serial "file:$log" -kernel "$elf" \
        -append "console=com1 keel.selftest" >/dev/null 2>&1
    if grep -q "keel: selftest: [0-9]* passed, 0 failed" "$log"; then
        accel="kvm"; cpu="host"
    else
        echo "run: /dev/kvm exists but cannot run a guest here; using TCG emulation"
    fi
    rm -f "$log"
fi
echo "run: booting Keel under QEMU ($accel), 2 CPUs, 1 GiB."
echo "run: Keel's debug keys work on this console ('h' for help)."
echo "run: to leave QEMU press Ctrl-A then X."
exec qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot \
    -display none -net none -serial mon:stdio -kernel "$elf" \
    -append "console=com1 com1=115200,8n1 loglvl=info $*"
