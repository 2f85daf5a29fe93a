#!/usr/bin/python3
"""Debian's cloud kernel as a domU on Keel, driven from its console.

  tests/linux/domu_shell.py [--pvh] [--vcpus N] [--mem MiB] [--log DIR] [--timeout S]

Keel serves a boot-module domU's console ring itself and puts it in the
serial input cycle (Ctrl-A three times: dom0, then the domU, then Keel's
debug keys). Dom0 is the PV test kernel console (it ends at once; Keel
waits for the domU with dom0_exit=wait). This script switches serial input
to the domU (Keel says "*** Serial input to DOM1"), then runs the dom0
tests' checks in the domU's shell through its console (hvc0): the shell
answers, nproc, /sys/hypervisor/type, sleep 2 (median of three), a
CPU-bound job per vCPU; with 2 vCPUs or more, CPU 1 taken offline and
back online (PVH: its vCPU halts with interrupts off and goes down, then
INIT/SIPI through the x2APIC ICR start it again in real mode), a job on it
after. It ends the domain the way a toolstack would:
input to Keel, debug key `p` writes "poweroff" to the domU's xenstore
control/shutdown, which Linux watches (so the domU's xenstore works too);
the domain must shut down with reason 0 and its memory come back.
--pvh builds the domU as PVH (domu=...:pvh). Keel only.
"""
import argparse
import os
import re
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import ROOT, BootFailed, Machine  # noqa: E402
import checks  # noqa: E402


def switch_input(m, to):
    """Ctrl-A three times until Keel says serial input goes to `to`."""
    for _ in range(4):
        with m.cond:
            start = len(m.lines)
        m.send("\x01\x01\x01")
        got = m.wait_for(r"\*\*\* Serial input to (\S+)", 10, start)
        if not got:
            return False
        if got[2].group(1) == to:
            return True
    return False


def hotplug(m, r):
    """CPU 1 offline, online again, and a job runs on it."""
    out1, st1, _ = m.run("echo 0 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online", 60)
    out2, st2, _ = m.run("echo 1 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online", 60)
    out3, st3, _ = m.run("taskset -c 1 sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $i'", 120)
    ok = (st1 == st2 == st3 == 0 and out1 and out1[-1].strip() == "0" and out2 and
          out2[-1].strip() == "0-1" and out3 and out3[-1].strip() == "20000")
    r.check("CPU 1 offline and online again", ok, "online CPUs %r then %r; job on CPU 1 %r" % (
        out1[-1:] , out2[-1:], out3[-1:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pvh", action="store_true")
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--mem", type=int, default=512)
    ap.add_argument("--log", default=os.path.join(ROOT, "build", "test-logs", "linux"))
    ap.add_argument("--timeout", type=int, default=300, help="seconds to reach the shell")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(a.log, exist_ok=True)
    kind = "PVH" if a.pvh else "PV"
    tag = "domu-shell keel %s %d vCPUs %d MiB" % (kind, a.vcpus, a.mem)
    r = checks.Report(tag, planned=10)
    log = os.path.join(a.log, "domu-shell-%s-%d-%dm.log" % (kind.lower(), a.vcpus, a.mem))
    mods = [(os.path.join(ROOT, "build", "guests", "console.elf"), ""),
            (checks.kernel("cloud"), "console=hvc0"),
            (checks.tool("mkinitramfs.sh", "cloud"), "")]
    opts = "dom0_exit=wait:%d domu=1:linux:%dM:%d:initrd=2%s" % (
        a.timeout + 900, a.mem, a.vcpus, ":pvh" if a.pvh else "")
    m = Machine("keel", mods, log, smp=max(2, a.vcpus), mem_mib=max(1024, a.mem + 512), vcpus=1,
                dom0_mem_mib=256, hv_opts=opts, timeout=a.timeout + 900)
    m.guest_prefix = "(d1) "
    rc = None
    try:
        m.start()
        got = checks.wait_boot(m, re.escape("(d1) ") + checks.MARK_SHELL, a.timeout)
        if not got:
            raise BootFailed(checks.diagnose(m, "(d1) keel-linux: shell on"))
        r.check("boot to the shell", True, "%.1f s from QEMU start" % got[1])
        r.check("serial input to the domU", switch_input(m, "DOM1"), "Ctrl-A x3 until 'Serial input to DOM1'")
        m.sync_shell()
        out, st, _ = m.run("echo $((6 * 7))")
        r.check("shell works", st == 0 and out and out[-1].strip() == "42", "got %r" % out[-1:])
        checks.guest_basics(m, r, a.vcpus)
        checks.sleep_wall_clock(m, r)
        checks.cpu_jobs(m, r, a.vcpus)
        if a.vcpus > 1:
            hotplug(m, r)
        else:
            r.skip("CPU 1 offline and online again", "1 vCPU")
        ok = switch_input(m, "Keel")
        if ok:
            m.send("p")
        got = checks.wait_boot(m, r"domain 1 \('linux'\): shut down, reason \d+", 120)
        r.check("debug key p (xenstore control/shutdown) powers it off",
                ok and bool(got) and got[2].group(0).endswith("reason 0"),
                got[2].group(0) if got else "input to Keel: %s; no shut-down line" % ok)
        m.wait_exit(120)
    except BootFailed as e:
        r.abort(str(e), m)
    finally:
        rc = m.stop()
    checks.memory_returned(m, r)
    r.finish(log, rc)
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
