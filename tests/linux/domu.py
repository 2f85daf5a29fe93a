#!/usr/bin/python3
"""Debian's cloud kernel as an unprivileged PV domain (domU) on Keel.

  tests/linux/domu.py [--hv keel|xen] [--vcpus N] [--mem MiB] [--end poweroff|reboot]
                      [--dom0 test:NAME|linux] [--pvh] [--log DIR] [--timeout S]

A domU's console is output only (on Keel, as on Xen, serial input goes to
dom0), so the domU runs its checks by itself: its initramfs is the
--autorun variant of tools/mkinitramfs.sh with tests/linux/domu-checks.sh,
which prints "domu-check: ..." lines and then powers off or reboots. We read
them from the serial log (prefix "(d1) ") and check: boot to /init, nproc,
/sys/hypervisor/type, sleep 2 against the host's clock (median of three), a CPU-bound job per
vCPU, the domain ending with the poweroff (or reboot) reason, and all memory
returned.
dom0 is a PV test kernel (default test:console, with dom0_exit=wait:S so that
Keel waits for the domU) or the generic Linux dom0 (linux), which is powered
off from its console once the domU is gone.

The Keel option that starts the domU with its initrd is a template,
KEEL_DOMU_OPTS (default below): {kernel} and {initrd} are module numbers,
{mem} MiB, {vcpus}.

--pvh: the same kernel and checks with the domU built as PVH (Keel's
domu=...:pvh: PVH entry, hypercalls by VMMCALL, x2APIC vLAPIC, ACPI MADT,
its APs started by INIT/SIPI; poweroff = every vCPU halted with interrupts
off). Keel only (xen-ref has no toolstack to build a PVH domU).

--hv xen: xen-ref starts no domU (no toolstack), so the same initramfs and
checks run there with the generic kernel as dom0: the reference for the
script and for what the checks expect.
"""
import argparse
import os
import re
import signal
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import ROOT, BootFailed, Machine  # noqa: E402
import checks  # noqa: E402

DOMU_OPTS = os.environ.get("KEEL_DOMU_OPTS", "domu={kernel}:linux:{mem}M:{vcpus}:initrd={initrd}")
CPU_LOOPS = 200000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hv", choices=("keel", "xen"), default="keel")
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--mem", type=int, default=512, help="the domU's memory in MiB")
    ap.add_argument("--end", choices=("poweroff", "reboot"), default="poweroff")
    ap.add_argument("--dom0", default="test:console")
    ap.add_argument("--pvh", action="store_true", help="build the domU as PVH (Keel only)")
    ap.add_argument("--log", default=os.path.join(ROOT, "build", "test-logs", "linux"))
    ap.add_argument("--timeout", type=int, default=300, help="seconds to reach /init")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(a.log, exist_ok=True)
    smp = max(2, a.vcpus)
    if a.pvh and a.hv != "keel":
        ap.error("--pvh: Keel only (xen-ref has no toolstack to build a PVH domU)")
    tag = "domu %s%s %d vCPUs %d MiB" % (a.hv, " PVH" if a.pvh else "", a.vcpus, a.mem)
    r = checks.Report(tag, planned=8)

    script = os.path.join(a.log, "domu-%s.sh" % a.end)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "domu-checks.sh")) as f:
        body = f.read()
    with open(script, "w") as f:
        f.write(body.replace("@END@", a.end).replace("@LOOPS@", str(CPU_LOOPS)))
    log = os.path.join(a.log, "domu-%s%s-%d-%dm-%s.log" % (a.hv, "-pvh" if a.pvh else "", a.vcpus,
                                                          a.mem, a.end))
    if a.hv == "xen":
        initrd = checks.tool("mkinitramfs.sh", "generic", "--autorun", script)
        mods, prefix, opts = [(checks.kernel("generic"), "console=hvc0"), (initrd, "")], "", ""
        m = Machine("xen", mods, log, smp=smp, vcpus=a.vcpus, timeout=a.timeout + 600)
    else:
        initrd = checks.tool("mkinitramfs.sh", "cloud", "--autorun", script)
        if a.dom0 == "linux":
            mods = [(checks.kernel("generic"), "console=hvc0"),
                    (checks.tool("mkinitramfs.sh", "generic"), "")]
            opts = ""
        else:
            mods = [(os.path.join(ROOT, "build", "guests", a.dom0.split(":", 1)[1] + ".elf"), "")]
            opts = "dom0_exit=wait:%d" % (a.timeout + 600)   # as long as we wait for it
        k = len(mods)
        mods += [(checks.kernel("cloud"), "console=hvc0"), (initrd, "")]
        opts += " " + DOMU_OPTS.format(kernel=k, initrd=k + 1, mem=a.mem, vcpus=a.vcpus)
        if a.pvh:
            opts += ":pvh"
        prefix = "(d1) "
        m = Machine("keel", mods, log, smp=smp, mem_mib=max(1024, a.mem + 512), vcpus=1,
                    dom0_mem_mib=256, hv_opts=opts.strip(), timeout=a.timeout + 600)
    m.guest_prefix = prefix
    rc = None
    try:
        m.start()
        run_checks(m, r, a, prefix)
    except BootFailed as e:
        r.abort(str(e), m)
    finally:
        if a.hv == "keel" and a.dom0 == "linux" and m.proc and m.proc.poll() is None:
            try:
                m.sync_shell(timeout=30)
                m.send("poweroff\n")
                m.wait_exit(120)
            except BootFailed:
                pass
        rc = m.stop()
    checks.memory_returned(m, r)
    r.finish(log, rc)
    return 0 if r.failed == 0 else 1


def lines_of(m, prefix, since=0):
    with m.cond:
        return [(t, l[len(prefix):]) for t, l in m.lines[since:] if l.startswith(prefix)]


def run_checks(m, r, a, prefix):
    mark = re.escape(prefix) + "keel-linux: init reached"
    got = checks.wait_boot(m, mark, a.timeout)
    if not got:
        raise BootFailed(checks.diagnose(m, prefix + "keel-linux: init reached"))
    r.check("boot to /init", True, "%.1f s from QEMU start" % got[1])
    end = checks.wait_boot(m, re.escape(prefix) + "keel-linux: autorun end", 600, got[0])
    out = [(t, l[len("domu-check: "):]) for t, l in lines_of(m, prefix, got[0]) if l.startswith("domu-check: ")]
    if not end:
        raise BootFailed(checks.diagnose(m, prefix + "keel-linux: autorun end") +
                         "; last check line: %r" % (out[-1][1] if out else None))
    val = {}
    for t, l in out:
        k, _, v = l.partition(" ")
        val.setdefault(k, (t, v))
    every = lambda k: [(t, l.partition(" ")[2].strip()) for t, l in out if l.partition(" ")[0] == k]
    v = lambda k: val.get(k, (0, ""))[1].strip()
    r.check("nproc matches", v("nproc") == str(a.vcpus), "nproc %r, want %d" % (v("nproc"), a.vcpus))
    r.check("/sys/hypervisor/type is xen", v("hypervisor") == "xen", "got %r" % v("hypervisor"))
    checks.judge_sleeps(r, every("sleep-start"), every("sleep-end"))
    jobs = [l for _, l in out if l.startswith("cpujob ")]
    on_own = all(re.match(r"cpujob (\d+): %d loops on CPU \1$" % CPU_LOOPS, j) for j in jobs)
    busy = [float(x) for x in v("busy").split()]
    r.check("a CPU-bound job on each vCPU", len(jobs) == a.vcpus and on_own and len(busy) == a.vcpus
            and min(busy) >= 1.0, "busy %s s; %s" % (v("busy"), "; ".join(jobs)))
    r.check("the shell works (autorun status 0)", "status 0" in end[2].string, end[2].string.strip())
    ended(m, r, a)


def ended(m, r, a):
    """The domain ends with the reason asked for (and, with a test dom0, the machine after it)."""
    reason = {"poweroff": 0, "reboot": 1}[a.end]
    if m.hv == "xen":
        rc = m.wait_exit(180)
        with m.cond:
            text = "\n".join(l for _, l in m.lines)
        # on Xen the guest is dom0: a reboot reboots the machine (-no-reboot: QEMU exits)
        pat = r"Entering ACPI S5|halting machine" if a.end == "poweroff" else r"rebooting machine|Resetting with ACPI"
        r.check("%s ends the domain" % a.end, rc is not None and re.search(pat, text) is not None,
                "QEMU %s" % ("ended" if rc is not None else "still running"))
        return
    got = checks.wait_boot(m, r"domain 1 \('linux'\): shut down, reason \d+", 120)
    ok = bool(got) and got[2].group(0).endswith("reason %d" % reason)
    r.check("%s ends the domain" % a.end, ok, got[2].group(0) if got else "no shut-down line for domain 1")
    if a.dom0 != "linux":
        m.wait_exit(120)


if __name__ == "__main__":
    sys.exit(main())
