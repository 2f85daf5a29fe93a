#!/usr/bin/python3
"""Debian's generic kernel as dom0, driven over the serial console.

  tests/linux/dom0.py [--hv keel|xen] [--smp N] [--mem MiB] [--log DIR] [--timeout S]

Boots the kernel (console=hvc0) with the busybox initramfs of
tools/mkinitramfs.sh and a virtio-blk disk from tools/mkdisk.sh, on Keel or
on Xen 4.17 (xen-ref), under QEMU TCG, and checks, one PASS/FAIL line each:
boot to /init, the shell, nproc, /sys/hypervisor/type, ACPI tables, PCI
devices, sleep 2 against the host's clock (median of three), a CPU-bound job on each vCPU,
the disk (mount, read the known file, write, sync, read back after a
remount), interrupts from the disk, poweroff ending the machine, what was
written being on the image, and (Keel only) all memory returned.
Serial log: DIR/dom0-HV.log (DIR: build/test-logs/linux).
Exit status 0 when all passed. Prints no summary: tests/linux/run.sh does.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import ROOT, BootFailed, Machine  # noqa: E402
import checks  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hv", choices=("keel", "xen"), default="keel")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mem", type=int, default=1024)
    ap.add_argument("--log", default=os.path.join(ROOT, "build", "test-logs", "linux"))
    ap.add_argument("--timeout", type=int, default=300, help="seconds to reach /init")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that QEMU is stopped
    os.makedirs(a.log, exist_ok=True)
    tag = "dom0 %s %d CPUs" % (a.hv, a.smp)
    r = checks.Report(tag)

    kernel = checks.kernel("generic")
    initrd = checks.tool("mkinitramfs.sh", "generic")
    disk = os.path.join(a.log, "dom0-%s.disk" % a.hv)
    checks.tool("mkdisk.sh", disk)
    log = os.path.join(a.log, "dom0-%s.log" % a.hv)
    m = Machine(a.hv, [(kernel, "console=hvc0"), (initrd, "")], log, smp=a.smp, mem_mib=a.mem,
                drives=[disk], timeout=a.timeout + 900)
    try:
        m.start()
        checks.boot_to_shell(m, r, a.timeout)
        checks.guest_basics(m, r, a.smp)
        dom0_devices(m, r)
        checks.sleep_wall_clock(m, r)
        checks.cpu_jobs(m, r, a.smp)
        token = disk_read_write(m, r)
        irq_check(m, r)
        checks.poweroff(m, r)
    except BootFailed as e:
        r.abort(str(e), m)
        token = None
    finally:
        rc = m.stop()
    if token is not None:
        on_image(r, disk, token)
    checks.memory_returned(m, r)
    r.finish(log, rc)
    return 0 if r.failed == 0 else 1


def dom0_devices(m, r):
    out, st, _ = m.run("ls /sys/firmware/acpi/tables")
    names = " ".join(out).split()
    need = {"DSDT", "FACP", "APIC"}
    r.check("ACPI tables visible", need <= set(names), "tables: %s" % " ".join(names))
    out, st, _ = m.run("cat /sys/bus/pci/devices/*/vendor /dev/null | wc -l; "
                       "cat /sys/bus/pci/devices/*/device | grep -c 0x1001")
    ok = st == 0 and len(out) >= 2 and out[-2].strip().isdigit() and int(out[-2]) >= 3 and out[-1].strip() == "1"
    r.check("PCI devices enumerated (virtio-blk among them)", ok,
            "%s devices, virtio-blk: %s" % (out[-2] if len(out) > 1 else "?", out[-1] if out else "?"))


def disk_read_write(m, r):
    """Mount the virtio-blk ext4 disk, read the known file, write, sync, read back."""
    out, st, _ = m.run("ls /sys/block | grep '^vd' | head -1")
    dev = out[-1].strip() if out and st == 0 else ""
    if not dev:
        r.check("disk: virtio-blk device present", False, "no /sys/block/vd*")
        return None
    m.run("echo 4 > /proc/sys/kernel/printk")   # keep kernel chatter out of command output
    out, st, _ = m.run("mkdir -p /mnt/disk && mount -t ext4 /dev/%s /mnt/disk && head -2 /mnt/disk/keel-disk.txt" % dev,
                       timeout=120)
    known = len(out) >= 2 and out[-2] == "keel-disk: known file" and out[-1].startswith("sha256 ")
    if not (st == 0 and known):
        r.check("disk: mount ext4 and read the known file", False, "status %d: %s" % (st, " | ".join(out[-3:])))
        return None
    want = out[-1].split()[1]
    out, st, _ = m.run("sha256sum /mnt/disk/data.bin", timeout=120)
    got = out[-1].split()[0] if out else ""
    r.check("disk: mount ext4 and read the known file (1 MiB checksum)", st == 0 and got == want,
            "/dev/%s, sha256 %s" % (dev, "ok" if got == want else "%s, want %s" % (got, want)))
    token = "keel-written-%d" % int(time.time())
    cmd = ("echo %s > /mnt/disk/written.txt && dd if=/dev/urandom of=/mnt/disk/w.bin bs=64k count=16 2>/dev/null"
           " && sha256sum /mnt/disk/w.bin && sync && umount /mnt/disk && echo 3 > /proc/sys/vm/drop_caches"
           " && mount -t ext4 /dev/%s /mnt/disk && cat /mnt/disk/written.txt && sha256sum /mnt/disk/w.bin"
           " && umount /mnt/disk && sync") % (token, dev)
    out, st, _ = m.run(cmd, timeout=180)
    sums = [l.split()[0] for l in out if l.endswith("/mnt/disk/w.bin")]
    ok = st == 0 and token in out and len(sums) == 2 and sums[0] == sums[1]
    r.check("disk: write, sync, remount, read back", ok, "status %d: %s" % (st, " | ".join(out[-4:])))
    return token if ok else None


def irq_check(m, r):
    """The disk's interrupts reach dom0 through event channels: on Keel as
    MSI or MSI-X pirqs ("xen-pirq -msi-x"), which Keel programs into the
    device; elsewhere any pirq counts."""
    out, st, _ = m.run("grep -i virtio /proc/interrupts")
    total = 0
    msi = 0
    for l in out:
        f = l.split()
        n = 0
        for x in f[1:]:
            if not x.isdigit():
                break
            n += int(x)
        total += n
        if "xen-pirq" in f and ("-msi" in f or "-msi-x" in f):
            msi += n
    want_msi = m.hv == "keel"
    ok = st == 0 and total > 0 and (msi > 0 or not want_msi)
    r.check("disk interrupts delivered" + (" as MSI(-X) pirqs" if want_msi else ""), ok,
            "%d virtio interrupts, %d through MSI(-X) pirqs: %s"
            % (total, msi, " | ".join(" ".join(l.split()) for l in out[:3])))


def on_image(r, disk, token):
    """What dom0 wrote is on the image after the machine ended."""
    p = subprocess.run(["debugfs", "-R", "cat /written.txt", disk], capture_output=True, text=True)
    got = p.stdout.strip()
    r.check("disk: the write is on the image after poweroff", got == token, "read %r" % got[:60])


if __name__ == "__main__":
    sys.exit(main())
