#!/bin/sh
# tests/boot/bochs-linux-pvh.sh: run by the /init of the initramfs
# tests/boot/bochs.sh builds (tools/mkinitramfs.sh --autorun) for Debian's
# cloud kernel as a PVH domU on Bochs' VMX model; bochs.sh reads the lines.
echo "keel-vmx-linux: kernel $(uname -r)"
echo "keel-vmx-linux: nproc $(nproc)"
echo "keel-vmx-linux: hypervisor $(cat /sys/hypervisor/type 2>/dev/null)"
echo "keel-vmx-linux: fork/exec $(for i in 1 2 3 4 5 6 7 8; do /bin/true && echo -n .; done)"
echo "keel-vmx-linux: done"
