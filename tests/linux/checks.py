"""Checks shared by the Linux boot tests (dom0 and domU): reporting, the boot
to the shell (and where it stopped when it did not), the guest basics, timing,
CPU jobs, poweroff and memory returned."""
import os
import re
import subprocess
import sys
import time

from machine import ROOT, BootFailed

MARK_INIT = r"keel-linux: init reached"
MARK_SHELL = r"keel-linux: shell on "


class Report:
    """PASS/FAIL lines: "PASS <tag>: <check> (<detail>)". Checks planned but
    never reached (the boot stopped) count as failures, so totals are stable;
    finish() prints the counts as "linux-set: <tag>: N passed, M failed"."""

    PLANNED = {"dom0": 14, "domu": 8}

    def __init__(self, tag, planned=None):
        self.tag, self.passed, self.failed, self.done = tag, 0, 0, 0
        self.planned = planned or self.PLANNED.get(tag.split()[0], 0)

    def check(self, name, ok, detail=""):
        self.done += 1
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s %s: %s%s" % ("PASS" if ok else "FAIL", self.tag, name,
                                " (%s)" % detail if detail else ""), flush=True)

    def skip(self, name, why):
        self.done += 1
        print("SKIP %s: %s (%s)" % (self.tag, name, why), flush=True)

    def abort(self, why, m):
        self.check("stopped", False, why)

    def finish(self, log, rc):
        left = self.planned - self.done
        if left > 0:
            self.failed += left
            print("FAIL %s: %d further checks not run" % (self.tag, left), flush=True)
        print("linux-set: %s: %d passed, %d failed" % (self.tag, self.passed, self.failed), flush=True)
        if self.failed:
            print("     %s: serial log %s (QEMU status %s)" % (self.tag, log, rc), flush=True)


def _tool_output(name, *args):
    p = subprocess.run([os.path.join(ROOT, "tools", name)] + list(args), capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        print("FAIL tools/%s %s: status %d: %s" % (name, " ".join(args), p.returncode,
                                                 p.stderr.strip()[-300:]), flush=True)
        sys.exit(3)
    return p.stdout


def kernel(flavour):
    """Path of a Debian kernel from tools/fetch-kernels.sh (cloud or generic)."""
    for line in _tool_output("fetch-kernels.sh").splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == flavour:
            return f[2]
    print("FAIL tools/fetch-kernels.sh gave no %s kernel" % flavour, flush=True)
    sys.exit(3)


def tool(name, *args):
    """Run tools/NAME ARGS; the path on its last output line."""
    return _tool_output(name, *args).strip().splitlines()[-1].split()[-1]


def diagnose(m, waited_for):
    """Where the boot stopped, from the serial log: one line for a FAIL."""
    with m.cond:
        lines = [l for _, l in m.lines]
    rc = m.proc.poll()
    if rc is None and m.eof:      # the console closed: QEMU is ending
        rc = m.wait_exit(10)
    guest = [g for g in (m.guest_text(l) for l in lines) if g is not None and g.strip()]
    hv = [l for l in lines if m.guest_text(l) is None and l.strip()]
    text = "\n".join(guest)
    who = m.guest_prefix.strip() or "dom0"
    if not guest:
        stage = "in the hypervisor, before %s printed anything" % who
    elif not re.search(MARK_INIT, text):
        stage = "in %s's kernel, before /init" % who
    elif not re.search(MARK_SHELL, text):
        stage = "in /init, before the shell"
    else:
        stage = "at the shell"
    with m.cond:
        quiet = time.monotonic() - m.t0 - (m.lines[-1][0] if m.lines else 0.0)
    why = "no %r: stopped %s (%s)" % (waited_for, stage, "QEMU still running, no output for %d s" % quiet
                                      if rc is None else "QEMU ended, status %s" % rc)
    bad = [l for l in lines if re.search(r"Kernel panic|\bBUG:|Oops|crashed|PANIC|Panic|general protection", l)]
    if bad:
        why += "; first sign: %r" % bad[0].strip()[:160]
    opts = [l for l in hv if re.search(r"cmdline: (bad value|unknown option)", l)]
    if opts:
        why += "; %r" % opts[0].strip()[:160]
    if guest:
        why += "; last %s line: %r" % (who, guest[-1].strip()[:160])
    if hv:
        why += "; last hypervisor line: %r" % hv[-1].strip()[:160]
    if rc is None and not m.eof:
        m.keel_state()                # Keel's view of the stall, into the log
    return why


def wait_boot(m, pattern, timeout, start=0, quiet=120):
    """Wait for pattern while the boot makes progress: give up at timeout, when
    QEMU ends, or after `quiet` seconds without a serial line (a hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = m.wait_for(pattern, 5, start)
        if got:
            return got
        if m.eof:
            return None
        with m.cond:
            last = m.lines[-1][0] if m.lines else 0.0
        if time.monotonic() - m.t0 - last > quiet:
            return None
    return None


def boot_to_shell(m, r, timeout):
    got = wait_boot(m, MARK_INIT, timeout)
    if not got:
        raise BootFailed(diagnose(m, "keel-linux: init reached"))
    r.check("boot to /init", True, "%.1f s from QEMU start" % got[1])
    if not wait_boot(m, MARK_SHELL, 300, got[0]):
        raise BootFailed(diagnose(m, "keel-linux: shell on"))
    m.sync_shell()
    out, st, _ = m.run("echo $((6 * 7)) $(basename $SHELL 2>/dev/null || echo sh)")
    r.check("shell works", st == 0 and out and out[-1].split()[0] == "42", "got %r" % out[-1:])


def guest_basics(m, r, vcpus):
    out, st, _ = m.run("nproc")
    r.check("nproc matches", st == 0 and out and out[-1].strip() == str(vcpus),
            "nproc %s, want %d" % (out[-1].strip() if out else "?", vcpus))
    out, st, _ = m.run("cat /sys/hypervisor/type")
    r.check("/sys/hypervisor/type is xen", st == 0 and out and out[-1].strip() == "xen",
            "got %r" % (out[-1] if out else ""))


SLEEPS = 3


def judge_sleeps(r, starts, ends):
    """starts/ends: [(host seconds, guest uptime text)] of each `sleep 2`.
    The median sleep must take 2 s (+-10%) both by the host's clock (when
    its lines reached us) and by the guest's own uptime. Median of three:
    one sleep delayed by the host (QEMU's threads starved by other work on
    its two cores, or a serial line held up) does not decide; a clock or
    timer that is wrong in Keel makes every sleep wrong."""
    name = "sleep 2 takes 2 s of wall clock"
    try:
        pairs = list(zip(starts, ends))
        host = sorted(e[0] - s[0] for s, e in pairs)
        guest = sorted(float(e[1]) - float(s[1]) for s, e in pairs)
    except ValueError:
        pairs = []
    if len(pairs) != SLEEPS:
        r.check(name, False, "%d sleep-start and %d sleep-end lines, want %d" % (len(starts), len(ends), SLEEPS))
        return
    mh, mg = host[SLEEPS // 2], guest[SLEEPS // 2]
    r.check(name, 1.8 <= mh <= 2.2 and 1.8 <= mg <= 2.2,
            "median of %d: host %.2f s, guest uptime %.2f s (host %s; guest %s)" % (
                SLEEPS, mh, mg, " ".join("%.2f" % x for x in host), " ".join("%.2f" % x for x in guest)))


def sleep_wall_clock(m, r):
    """sleep 2 takes 2 s (+-10%) of the host's wall clock, and of the guest's own."""
    one = "read u _ < /proc/uptime; echo sleep-start $u; sleep 2; read u _ < /proc/uptime; echo sleep-end $u"
    out, st, _ = m.run_timed("; ".join([one] * SLEEPS), timeout=90)
    s = [(t, l.split()[1]) for t, l in out if l.startswith("sleep-start ")]
    e = [(t, l.split()[1]) for t, l in out if l.startswith("sleep-end ")]
    if st != 0:
        r.check("sleep 2 takes 2 s of wall clock", False, "output %r" % [l for _, l in out])
        return
    judge_sleeps(r, s, e)


CPU_JOB = ("j=$1 n=$2 i=0", "while [ $i -lt $n ]; do i=$((i+1)); done",
           "read -r s < /proc/self/stat", "set -- $s", 'echo "cpujob $j: $i loops on CPU ${39}"')


def cpu_jobs(m, r, vcpus, loops=200000):
    """A CPU-bound job pinned to each vCPU: all finish, each on its vCPU, and
    each vCPU's busy time (/proc/stat) grows by at least a second."""
    m.run("printf '%%s\\n' %s > /tmp/cpujob.sh" % " ".join("'%s'" % l for l in CPU_JOB))
    cmd = ("grep '^cpu[0-9]' /proc/stat; for c in $(seq 0 %d); do taskset -c $c sh /tmp/cpujob.sh $c %d & done; "
           "wait; grep '^cpu[0-9]' /proc/stat") % (vcpus - 1, loops)
    out, st, dt = m.run(cmd, timeout=600)
    stats = [l.split() for l in out if re.match(r"cpu\d+ ", l)]
    jobs = [l for l in out if l.startswith("cpujob ")]
    busy = {}
    if len(stats) == 2 * vcpus:
        for a, b in zip(stats[:vcpus], stats[vcpus:]):
            busy[a[0]] = sum(int(b[k]) - int(a[k]) for k in (1, 2, 3)) / 100.0   # user nice system, USER_HZ
    on_own = all(re.match(r"cpujob (\d+): %d loops on CPU \1$" % loops, j) for j in jobs)
    ok = st == 0 and len(jobs) == vcpus and on_own and len(busy) == vcpus and min(busy.values()) >= 1.0
    r.check("a CPU-bound job on each vCPU", ok, "%.1f s; busy %s; %s" % (
        dt, " ".join("%s %.1f s" % kv for kv in sorted(busy.items())), "; ".join(jobs)))


def poweroff(m, r, hv_line=None):
    """poweroff in the guest ends the machine (QEMU exits by itself)."""
    m.send("poweroff\n")
    rc = m.wait_exit(180)
    with m.cond:
        m.cond.wait_for(lambda: m.eof, timeout=10)
        text = "\n".join(l for _, l in m.lines)
    if m.hv == "keel":
        line_ok = re.search(r"domain 0 \('dom0'\): shut down, reason 0", text) and "keel: powering off" in text
        what = "Keel: dom0 shut down with reason poweroff, machine powered off"
    else:
        line_ok = re.search(r"Entering ACPI S5|halting machine", text)
        what = "Xen: ACPI S5"
    r.check("poweroff ends the machine", rc is not None and bool(line_ok),
            what if rc is not None and line_ok else "QEMU %s; %s" % (
                "still running after 180 s" if rc is None else "ended, status %s" % rc,
                "power-off line seen" if line_ok else "no power-off line"))


def memory_returned(m, r):
    if m.hv != "keel":
        r.skip("memory returned", "Keel's check")
        return
    with m.cond:
        text = "\n".join(l for _, l in m.lines)
    g = re.search(r"mem: all domains gone, .* free as before.*", text)
    r.check("memory returned", bool(g) and "released by force" not in text,
            g.group(0) if g else "no 'mem: all domains gone ... free as before' line")
