#!/bin/bash
# run.sh [--bare] [extra hypervisor options]: boot Keel in QEMU on this
# terminal with Debian's Linux as dom0 (tools/fetch-kernels.sh,
# tools/mkinitramfs.sh: a busybox shell on the serial console), with a
# virtio-blk ext4 disk (build/run-disk.ext4, tools/mkdisk.sh) to mount.
# --bare boots Keel alone (its debug keys on the console).
# Uses KVM only if it can really run a guest here (a short self-test boot
# under KVM must succeed), else QEMU's TCG emulation with -cpu max.
# QEMU's escape key is Ctrl-] (Ctrl-A belongs to Keel: three of them switch
# the console between dom0 and Keel, as on Xen).
set -u
cd "$(dirname "$0")/.." || exit 1
elf=build/keel.elf
[ -f "$elf" ] || { echo "run: $elf is missing (run make)"; exit 1; }
bare=0
if [ "${1:-}" = "--bare" ]; then
    bare=1
    shift
fi

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

qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot
      -display none -net none -echr 0x1d -serial mon:stdio -kernel "$elf")
if [ "$bare" = 1 ]; then
    echo "run: booting Keel alone under QEMU ($accel), 2 CPUs, 1 GiB."
    echo "run: Keel's debug keys work on this console ('h' for help)."
    echo "run: to leave QEMU press Ctrl-] then x."
    exec "${qemu[@]}" -append "console=com1 com1=115200,8n1 loglvl=info $*"
fi

kernel=$(tools/fetch-kernels.sh | awk '$1 == "generic" { print $3 }')
[ -f "$kernel" ] || { echo "run: could not fetch Debian's kernel (tools/fetch-kernels.sh)"; exit 1; }
initrd=$(tools/mkinitramfs.sh generic | awk '{ print $3 }')
[ -f "$initrd" ] || { echo "run: could not build the initramfs (tools/mkinitramfs.sh)"; exit 1; }
disk=build/run-disk.ext4
if [ ! -f "$disk" ]; then
    tools/mkdisk.sh "$disk" >/dev/null || { echo "run: could not make $disk (tools/mkdisk.sh)"; exit 1; }
fi
echo "run: booting Keel under QEMU ($accel), 2 CPUs, 1 GiB, with $(basename "$kernel") as dom0"
echo "run: (512 MiB, busybox shell on hvc0; $disk is /dev/vda: mount /dev/vda /mnt)."
echo "run: Ctrl-A three times switches the console between dom0 and Keel's debug keys."
echo "run: to leave, type 'poweroff' in the shell, or press Ctrl-] then x."
exec "${qemu[@]}" -drive "file=$disk,if=virtio,format=raw" \
    -append "console=com1 com1=115200,8n1 loglvl=info dom0_mem=512M $*" \
    -initrd "$kernel console=hvc0,$initrd"
