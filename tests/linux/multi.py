#!/usr/bin/python3
"""Several domains at once on Keel, Debian's Linux among them (issue 5).

  tests/linux/multi.py SET [--log DIR] [--timeout S]

SET is one of:
  domu-pair   two cloud-kernel domUs (pair-a: 1 vCPU, 256 MiB; pair-b: 2 vCPUs,
              512 MiB) and the domain_watch test kernel as dom0 at once. Each
              domU runs tests/linux/domu-checks.sh and powers off; dom0 sees
              both alive, then gone, and passes. Checked: every domU's
              results (nproc, hypervisor type, a CPU job per vCPU, its own
              command-line tag: lines carry their own (dN) prefix and
              results), each one's poweroff and memory returned, no two
              consoles' lines glued together, the machine ending by itself
              with all memory free as before.
  domu-crash  a Linux domU (2 vCPUs, 256 MiB) beside two test kernels that
              fault early (early_fault: before it has a trap table;
              crash_in_handler: in its own #PF handler) and domain_watch as
              dom0: Keel crashes each faulting one with its reason while
              Linux runs and returns its memory; Linux completes its checks
              and powers off; dom0 passes; all memory returned.
  dom0-domu   the generic kernel as dom0 (2 vCPUs, 512 MiB, the interactive
              shell on the serial console) and a cloud-kernel domU (2 vCPUs,
              384 MiB) together: dom0's shell works, the domU completes its
              checks and powers off, dom0's shell and a CPU job on each of its
              vCPUs still work after, poweroff in dom0 ends the machine, all
              memory returned.

Each check prints a PASS/FAIL line; the set ends with "linux-set: TAG: N
passed, M failed" (tests/linux/run.sh adds these up). Checks not reached
(a boot that stopped) count as failures.

Keel only: these sets start domUs with Keel's domu= option, and xen-ref has
no toolstack to start domUs (tests/linux/run.sh refuses them with --hv xen).
The domUs' kernel command lines carry a tag (keel.who=NAME, a dotted word
that Linux ignores) only so that each domU's results can be told apart.
Serial log: DIR/multi-SET.log (DIR: build/test-logs/linux).
"""
import argparse
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import ROOT, BootFailed, Machine  # noqa: E402
import checks  # noqa: E402

CPU_LOOPS = 200000
HERE = os.path.dirname(os.path.abspath(__file__))


class Labelled:
    """A Report whose check names start with a label ("dom0: "), for the
    shared checks of checks.py run in one domain of several."""

    def __init__(self, r, label):
        self.r, self.label = r, label

    def check(self, name, ok, detail=""):
        self.r.check(self.label + name, ok, detail)

    def skip(self, name, why):
        self.r.skip(self.label + name, why)


class LinuxDomU:
    """A cloud-kernel domU started by domu=; its id follows the domu= order."""
    CHECKS = 8

    def __init__(self, domid, name, vcpus, mem_mib):
        self.id, self.name, self.vcpus, self.mem = domid, name, vcpus, mem_mib
        self.prefix = "(d%d) " % domid
        self.tag = "keel.who=%s" % name


class Crasher:
    """A PV test kernel that must be crashed by Keel, with a reason matching `why`."""
    CHECKS = 3

    def __init__(self, domid, name, why):
        self.id, self.name, self.why = domid, name, why


def autorun_initrd(log_dir):
    """The cloud initramfs whose /init runs domu-checks.sh and powers off
    (the same script file and bytes as domu.py's, so the same cached image)."""
    script = os.path.join(log_dir, "domu-poweroff.sh")
    with open(os.path.join(HERE, "domu-checks.sh")) as f:
        body = f.read().replace("@END@", "poweroff").replace("@LOOPS@", str(CPU_LOOPS))
    with open(script, "w") as f:
        f.write(body)
    return checks.tool("mkinitramfs.sh", "cloud", "--autorun", script)


def text_of(m):
    with m.cond:
        return [l for _, l in m.lines]


def find(lines, pattern):
    """(index, match) of the first line matching pattern, or (None, None)."""
    rx = re.compile(pattern)
    for i, l in enumerate(lines):
        g = rx.search(l)
        if g:
            return i, g
    return None, None


# --- a Linux domU ------------------------------------------------------------
def check_linux_domu(m, r, du, timeout, others=()):
    """Its boot, its own results, its poweroff and its memory: du.CHECKS lines.
    Raises BootFailed (the checks not reached count as failed) if it stops."""
    p = re.escape(du.prefix)
    got = checks.wait_boot(m, "^" + p + "keel-linux: init reached", timeout)
    if not got:
        raise BootFailed("%s: %s" % (du.name, checks.diagnose(m, du.prefix + "keel-linux: init reached")))
    r.check("%s: boot to /init" % du.name, True, "%.1f s from QEMU start" % got[1])
    end = checks.wait_boot(m, "^" + p + "keel-linux: autorun end", 600, got[0])
    if not end:
        raise BootFailed("%s: %s" % (du.name, checks.diagnose(m, du.prefix + "keel-linux: autorun end")))
    vals = {}
    for l in text_of(m):
        if l.startswith(du.prefix + "domu-check: "):
            k, _, v = l[len(du.prefix + "domu-check: "):].partition(" ")
            vals.setdefault(k, []).append(v.strip())
    one = lambda k: vals[k][0] if len(vals.get(k, [])) == 1 else None
    # Its own results: its tag, each key once, one job line per vCPU.
    cmdline = one("cmdline") or ""
    words = cmdline.split()
    twice = [k for k in ("cmdline", "nproc", "hypervisor", "busy") if len(vals.get(k, [])) != 1]
    foreign = [o.tag for o in others if o.tag in words]
    r.check("%s: its console carries its own results (%s)" % (du.name, du.prefix.strip()),
            du.tag in words and not twice and not foreign and len(vals.get("cpujob", [])) == du.vcpus,
            "cmdline %r%s%s; %d job lines" % (cmdline, "; not once: %s" % " ".join(twice) if twice else "",
                                             "; another's tag: %s" % " ".join(foreign) if foreign else "",
                                             len(vals.get("cpujob", []))))
    r.check("%s: nproc is %d" % (du.name, du.vcpus), one("nproc") == str(du.vcpus), "nproc %r" % one("nproc"))
    r.check("%s: /sys/hypervisor/type is xen" % du.name, one("hypervisor") == "xen",
            "got %r" % one("hypervisor"))
    jobs = ["cpujob " + j for j in vals.get("cpujob", [])]
    on_own = all(re.match(r"cpujob (\d+): %d loops on CPU \1$" % CPU_LOOPS, j) for j in jobs)
    try:
        busy = [float(x) for x in (one("busy") or "").split()]
    except ValueError:
        busy = []
    # busy: each vCPU's user+system time over the jobs; 0.5 s is far below
    # what 200,000 shell loops take under TCG (1.4-6 s seen), so a job that
    # did not run where it says fails, and a faster host does not.
    r.check("%s: a CPU-bound job on each vCPU" % du.name,
            len(jobs) == du.vcpus and on_own and len(busy) == du.vcpus and min(busy) >= 0.5,
            "busy %s s; %s" % (one("busy"), "; ".join(jobs)))
    r.check("%s: its checks ran to the end (autorun status 0)" % du.name, "status 0" in end[2].string,
            end[2].string.strip())
    name = re.escape("domain %d ('%s'): " % (du.id, du.name))
    got = checks.wait_boot(m, "^" + name + r"shut down, reason \d+", 120)
    r.check("%s: poweroff ends the domain (reason 0)" % du.name, bool(got) and got[2].group(0).endswith("reason 0"),
            got[2].group(0) if got else "no shut-down line for domain %d" % du.id)
    got = checks.wait_boot(m, "^" + name + r"destroyed, (\d+) KiB returned", 120)
    kib = int(got[2].group(1)) if got else 0
    r.check("%s: destroyed, its memory returned" % du.name, kib >= du.mem * 1024,
            got[2].group(0) if got else "no destroyed line for domain %d" % du.id)


# --- what every set checks -----------------------------------------------------
def consoles_apart(m, r, domus):
    """Every line is one domain's (or Keel's): no domain prefix in the middle
    of a line, no two marker lines glued, domU check lines only under a domU prefix."""
    prefixes = tuple(d.prefix for d in domus)
    bad = []
    for l in text_of(m):
        if l.startswith("# "):
            continue        # the QEMU command line
        if (re.search(r".\(d\d+\) ", l) or l.count("domu-check: ") > 1 or l.count("keel-linux: ") > 1
                or ("domu-check: " in l and not l.startswith(prefixes))):
            bad.append(l)
    n = {d.prefix: sum(1 for l in text_of(m) if l.startswith(d.prefix)) for d in domus}
    r.check("consoles apart: each line one domain's", not bad and all(n.values()),
            "lines: %s" % ", ".join("%s %d" % (p.strip(), c) for p, c in n.items()) if not bad
            else "%d mixed lines, first %r" % (len(bad), bad[0][:160]))


def machine_ends(m, r, timeout):
    """With dom0_exit=wait the machine powers off by itself once all domains are gone."""
    rc = m.wait_exit(timeout)
    with m.cond:
        m.cond.wait_for(lambda: m.eof, timeout=10)
    text = "\n".join(text_of(m))
    ok = rc == 0 and re.search(r"domain 0 \('dom0'\): shut down, reason 0", text) and "keel: powering off" in text
    r.check("the machine powers off by itself after the last domain", bool(ok),
            "QEMU %s" % ("still running after %d s" % timeout if rc is None else "ended, status %s" % rc))


def dom0_watch(m, r, domids, timeout):
    """dom0 (domain_watch) saw each domain alive, then gone, and passed."""
    got = checks.wait_boot(m, r"^\(d0\) keel-test: domain_watch: ", timeout)
    lines = text_of(m)
    seen = [i for i in domids if find(lines, r"^\(d0\) domain_watch: domain %d alive" % i)[0] is not None]
    gone = [i for i in domids if find(lines, r"^\(d0\) domain_watch: domain %d gone" % i)[0] is not None]
    r.check("dom0 (a test kernel) ran all along: saw domain(s) %s alive, then gone, and passed"
            % ",".join(map(str, domids)),
            bool(got) and got[2].string.endswith("PASS") and seen == list(domids) and gone == list(domids),
            "%s; alive: %s; gone: %s" % (got[2].string.strip() if got else "no dom0 verdict",
                                         seen, gone))


def check_crasher(m, r, c, linux):
    """Keel crashed it with its reason while the Linux domU ran, printed no
    verdict for it, and returned its memory."""
    lines = text_of(m)
    name = re.escape("domain %d ('%s'): " % (c.id, c.name))
    i, g = find(lines, "^" + name + "crashed: (.+)")
    reason = g.group(1) if g else ""
    r.check("%s: crashed by Keel with a reason" % c.name, bool(g) and re.search(c.why, reason) is not None,
            g.group(0) if g else "no 'domain %d (...): crashed: ...' line" % c.id)
    started, _ = find(lines, r"^boot: domain %d \('%s'\)" % (linux.id, re.escape(linux.name)))
    ended, _ = find(lines, r"^domain %d \('%s'\): shut down" % (linux.id, re.escape(linux.name)))
    verdict, _ = find(lines, r"keel-test: %s: " % c.name)
    r.check("%s: crashed while %s ran, no verdict from it" % (c.name, linux.name),
            i is not None and started is not None and ended is not None and started < i < ended and verdict is None,
            "crash at line %s, %s started at line %s, ended at line %s%s" % (
                i, linux.name, started, ended, "; it printed a verdict" if verdict is not None else ""))
    j, g = find(lines, "^" + name + r"destroyed, (\d+) KiB returned")
    r.check("%s: destroyed, its memory returned" % c.name, bool(g) and int(g.group(1)) >= 32 * 1024,
            g.group(0) if g else "no destroyed line for domain %d" % c.id)


# --- the sets -----------------------------------------------------------------
def guest_elf(name):
    return os.path.join(ROOT, "build", "guests", name + ".elf")


def domu_pair(a, log):
    """dom0 domain_watch + pair-a (d1) + pair-b (d2)."""
    cloud, initrd = checks.kernel("cloud"), autorun_initrd(a.log)
    domus = [LinuxDomU(1, "pair-a", 1, 256), LinuxDomU(2, "pair-b", 2, 512)]
    mods = [(guest_elf("domain_watch"), "watch=1:2 secs=%d" % (a.timeout + 200))]
    opts = ["dom0_exit=wait:%d" % (a.timeout + 300)]
    for du in domus:
        mods += [(cloud, "console=hvc0 " + du.tag), (initrd, "")]
        opts.append("domu=%d:%s:%dM:%d:initrd=%d" % (len(mods) - 2, du.name, du.mem, du.vcpus, len(mods) - 1))
    m = Machine("keel", mods, log, smp=2, mem_mib=1280, vcpus=1, dom0_mem_mib=64, hv_opts=" ".join(opts))
    r = checks.Report("domu-pair", planned=2 * LinuxDomU.CHECKS + 4)

    def body():
        for du in domus:
            check_linux_domu(m, r, du, a.timeout, [o for o in domus if o is not du])
        dom0_watch(m, r, [1, 2], 120)
        consoles_apart(m, r, domus)
        machine_ends(m, r, 120)
    return m, r, body


def domu_crash(a, log):
    """dom0 domain_watch + a Linux domU (d1) + early_fault (d2) + crash_in_handler (d3)."""
    linux = LinuxDomU(1, "linux", 2, 256)
    crashers = [Crasher(2, "early_fault", r"^#PF \(vector 14.*with no trap handler"),
                Crasher(3, "crash_in_handler", r"exception frame")]
    mods = [(guest_elf("domain_watch"), "watch=1 secs=%d" % (a.timeout + 200)),
            (checks.kernel("cloud"), "console=hvc0 " + linux.tag), (autorun_initrd(a.log), "")]
    opts = ["dom0_exit=wait:%d" % (a.timeout + 300), "domu=1:linux:%dM:%d:initrd=2" % (linux.mem, linux.vcpus)]
    for c in crashers:
        mods.append((guest_elf(c.name), ""))
        opts.append("domu=%d:%s:32M" % (len(mods) - 1, c.name))
    m = Machine("keel", mods, log, smp=2, mem_mib=1024, vcpus=1, dom0_mem_mib=64, hv_opts=" ".join(opts))
    r = checks.Report("domu-crash", planned=LinuxDomU.CHECKS + Crasher.CHECKS * len(crashers) + 4)

    def body():
        check_linux_domu(m, r, linux, a.timeout)
        for c in crashers:
            check_crasher(m, r, c, linux)
        dom0_watch(m, r, [1], 120)
        consoles_apart(m, r, [linux])
        machine_ends(m, r, 120)
    return m, r, body


def dom0_domu(a, log):
    """The generic kernel as dom0 (interactive) + a cloud-kernel domU (d1)."""
    du = LinuxDomU(1, "linux", 2, 384)
    mods = [(checks.kernel("generic"), "console=hvc0"), (checks.tool("mkinitramfs.sh", "generic"), ""),
            (checks.kernel("cloud"), "console=hvc0 " + du.tag), (autorun_initrd(a.log), "")]
    opts = "domu=2:%s:%dM:%d:initrd=3" % (du.name, du.mem, du.vcpus)
    m = Machine("keel", mods, log, smp=2, mem_mib=1536, vcpus=2, dom0_mem_mib=512, hv_opts=opts)
    r = checks.Report("dom0-domu", planned=5 + LinuxDomU.CHECKS + 6)

    def body():
        got = checks.wait_boot(m, r"^\(d0\) keel-linux: init reached", a.timeout)
        if not got:
            raise BootFailed("dom0: " + checks.diagnose(m, "(d0) keel-linux: init reached"))
        r.check("dom0: boot to /init", True, "%.1f s from QEMU start" % got[1])
        if not checks.wait_boot(m, r"^\(d0\) " + checks.MARK_SHELL, 300, got[0]):
            raise BootFailed("dom0: " + checks.diagnose(m, "(d0) " + checks.MARK_SHELL))
        m.sync_shell()
        m.run("echo 4 > /proc/sys/kernel/printk")    # kernel chatter out of command output
        out, st, _ = m.run("echo $((6 * 7))")
        r.check("dom0: the shell works", st == 0 and out[-1:] == ["42"], "got %r" % out[-1:])
        checks.guest_basics(m, Labelled(r, "dom0: "), 2)
        out, st, _ = m.run("cat /proc/xen/capabilities")
        r.check("dom0: privileged (/proc/xen/capabilities: control_d)", st == 0 and "control_d" in out,
                "got %r" % out)
        check_linux_domu(m, r, du, a.timeout)
        with m.cond:
            since = len(m.lines)
        out, st, _ = m.run("echo $((6 * 7)); cat /sys/hypervisor/type")
        r.check("dom0: the shell works after the domU ended", st == 0 and out[-2:] == ["42", "xen"],
                "got %r" % out[-2:])
        checks.cpu_jobs(m, Labelled(r, "dom0: "), 2)
        consoles_apart(m, r, [du])
        with m.cond:
            late = [l for _, l in m.lines[since:] if l.startswith(du.prefix)]
        r.check("the domU is quiet once destroyed", not late, "%d lines after: %r" % (len(late), late[:1]))
        checks.poweroff(m, Labelled(r, "dom0: "))
    return m, r, body


def keel_state(m):
    """After a stall, while QEMU still runs: Keel's debug keys q (domains and
    vCPUs) and r (run queues) into the serial log, for whoever reads it.
    Ctrl-A three times moves serial input along dom0, each domU, Keel."""
    if m.eof or m.proc.poll() is not None:
        return
    answered = False
    try:
        for _ in range(8):
            with m.cond:
                start = len(m.lines)
            m.sock.sendall(b"\x01\x01\x01")
            got = m.wait_for(r"^\*\*\* Serial input to (\S+)", 3, start)
            if not got:
                break                   # Keel does not answer
            if got[2].group(1) == "Keel":
                answered = True
                for key in b"qr":
                    m.sock.sendall(bytes([key]))
                    time.sleep(2)
                break
    except OSError:
        return
    print("     Keel's state after the stall (debug keys q, r): %s" % (
        "in the serial log" if answered else "Keel did not answer its debug keys (hung?)"), flush=True)


SETS = {"domu-pair": domu_pair, "domu-crash": domu_crash, "dom0-domu": dom0_domu}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set", choices=sorted(SETS))
    ap.add_argument("--log", default=os.path.join(ROOT, "build", "test-logs", "linux"))
    ap.add_argument("--timeout", type=int, default=240, help="seconds for each Linux to reach /init")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that QEMU is stopped
    os.makedirs(a.log, exist_ok=True)
    log = os.path.join(a.log, "multi-%s.log" % a.set)
    t0 = time.monotonic()
    m, r, body = SETS[a.set](a, log)
    try:
        m.start()
        body()
    except BootFailed as e:
        r.abort(str(e), m)
        keel_state(m)
    finally:
        rc = m.stop()
    checks.memory_returned(m, r)
    print("     %s: %.0f s" % (a.set, time.monotonic() - t0), flush=True)
    r.finish(log, rc)
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
