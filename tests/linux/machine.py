"""A QEMU machine running Linux on a hypervisor, driven over its serial console.

Boots Keel (QEMU -kernel build/keel.elf, boot modules by -initrd) or Xen 4.17
(../shared/tools/xen-ref) with the same dom0 kernel, command line and
initramfs, the console on a unix socket (QEMU waits for us before it starts,
so nothing is lost). A reader thread keeps every line with the time it came;
run() sends a shell command and returns its output and exit status.

Under xen-ref, COM1 is its standard output (read only by it), so Xen is told
to use COM2 (console=com2), which we give QEMU as the socket: Xen's own lines,
dom0's console and serial input all go through it.

Python 3 standard library only (Debian's python3).
"""
import os
import re
import shlex
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_xen_ref():
    for c in (os.environ.get("XEN_REF", ""), "/work/shared/tools/xen-ref",
              os.path.join(ROOT, "..", "shared", "tools", "xen-ref")):
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


class BootFailed(Exception):
    """The machine did not reach a point it had to; the text says where it stopped."""


class Machine:
    """hv: "keel" or "xen". modules: [(path, cmdline)], the first is dom0's kernel."""

    def __init__(self, hv, modules, log_path, smp=2, mem_mib=1024, vcpus=None,
                 dom0_mem_mib=512, drives=(), hv_opts="", qemu_opts="", timeout=600):
        self.hv, self.modules, self.log_path = hv, modules, log_path
        self.smp, self.mem, self.vcpus = smp, mem_mib, vcpus or smp
        self.dom0_mem, self.drives, self.hv_opts = dom0_mem_mib, list(drives), hv_opts
        self.qemu_opts, self.timeout = qemu_opts, timeout
        self.lines = []          # (host time since start, raw line)
        self.partial = b""
        self.cond = threading.Condition()
        self.eof = False
        self.proc = self.sock = None
        self.t0 = None
        self.seq = 0
        self.guest_prefix = "(d0) " if hv == "keel" else ""

    # --- starting and stopping -------------------------------------------------
    def command(self, sock_path):
        drives = " ".join("-drive file=%s,if=virtio,format=raw,cache=unsafe" % d for d in self.drives)
        serial = "-serial unix:%s,server=on,wait=on" % sock_path
        if self.hv == "keel":
            initrd = ",".join((p + " " + c).strip() if c else p for p, c in self.modules)
            # KEEL_LINUX_OPTS: extra Keel options for every Linux test boot (e.g. loglvl=debug)
            opts = "console=com1 com1=115200,8n1 dom0_mem=%dM dom0_max_vcpus=%d %s %s" % (
                self.dom0_mem, self.vcpus, self.hv_opts, os.environ.get("KEEL_LINUX_OPTS", ""))
            return (["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", str(self.mem),
                     "-smp", str(self.smp), "-nographic", "-no-reboot", "-display", "none",
                     "-net", "none", "-monitor", "none"] + serial.split() + drives.split()
                    + shlex.split(self.qemu_opts)
                    + ["-kernel", os.path.join(ROOT, "build", "keel.elf"), "-append", opts.strip(),
                       "-initrd", initrd])
        xen_ref = find_xen_ref()
        if not xen_ref:
            raise BootFailed("xen-ref not found (set XEN_REF)")
        (kernel, cmdline), rest = self.modules[0], self.modules[1:]
        # xen-ref gives dom0 half the machine's memory (dom0_mem=M/2): a later
        # dom0_mem= in -x wins.
        xopts = "console=com2 com2=115200,8n1 dom0_mem=%dM dom0_max_vcpus=%d %s" % (
            self.dom0_mem, self.vcpus, self.hv_opts)
        return [xen_ref, "-t", str(self.timeout), "-m", str(self.mem), "-s", str(self.smp),
                "-x", xopts.strip(), "-q", " ".join([serial, drives, self.qemu_opts]).strip(),
                kernel, cmdline] + [p for p, _ in rest]

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="keel-linux.")
        sock_path = os.path.join(self.tmp, "console.sock")
        self.log = open(self.log_path, "wb")
        self.side_log = open(self.log_path + ".qemu", "wb")
        cmd = self.command(sock_path)
        self.log.write(("# " + " ".join(shlex.quote(c) for c in cmd) + "\n").encode())
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.side_log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = self.t0 + 60
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sock_path)
                self.sock = s
                break
            except OSError:
                s.close()
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise BootFailed("QEMU did not start (status %s); see %s.qemu" %
                                     (self.proc.poll(), self.log_path))
                time.sleep(0.05)
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            now = time.monotonic() - self.t0
            with self.cond:
                if not data:
                    if self.partial:
                        self._add(now, self.partial)
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.log.write(data)
                self.log.flush()
                self.partial += data
                while b"\n" in self.partial:
                    line, self.partial = self.partial.split(b"\n", 1)
                    self._add(now, line)
                self.cond.notify_all()

    def _add(self, now, raw):
        self.lines.append((now, raw.decode("utf-8", "replace").replace("\r", "")))

    def _descendants(self, pid):
        """pid and every process under it (xen-ref's `timeout` makes its own group)."""
        kids = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                kids.setdefault(ppid, []).append(int(d))
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def stop(self):
        """End QEMU (and xen-ref) if still running; returns the exit status of what we started."""
        if self.proc and self.proc.poll() is None:
            for p in reversed(self._descendants(self.proc.pid)):
                try:
                    os.kill(p, 15)
                except ProcessLookupError:
                    pass
        rc = self.proc.wait() if self.proc else None
        if self.sock:
            self.sock.close()
        with self.cond:
            self.cond.wait_for(lambda: self.eof, timeout=5)
        self.log.close()
        self.side_log.close()
        return rc

    def wait_exit(self, timeout):
        """Wait for QEMU to end by itself: its status, or None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    # --- reading --------------------------------------------------------------
    def wait_for(self, pattern, timeout, start=0):
        """First line (index >= start) matching regex pattern: (index, time, match); None on timeout/EOF."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i][1])
                    if m:
                        return i, self.lines[i][0], m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(min(left, 1.0))

    def guest_text(self, line):
        """The guest's console text of a serial line (dom0's, or guest_prefix's domain),
        or None if the hypervisor (or another domain) wrote it."""
        if self.guest_prefix:
            return line[len(self.guest_prefix):] if line.startswith(self.guest_prefix) else None
        return None if line.startswith("(XEN)") else line

    def tail(self, n=6):
        with self.cond:
            return [l for _, l in self.lines[-n:]]

    # --- writing --------------------------------------------------------------
    def send(self, text):
        """Type text: in small pieces, as hypervisors buffer little serial input (Xen: 128 bytes)."""
        data = text.encode()
        for i in range(0, len(data), 32):
            self.sock.sendall(data[i:i + 32])
            time.sleep(0.02)

    def keel_state(self, keys="qgr"):
        """Keel only, for a stalled boot: switch serial input to Keel's debug
        keys (Ctrl-A three times, until Keel says it has the input) and press
        `keys`, so the log shows domains, vCPUs and where each CPU's guest is."""
        if self.hv != "keel" or self.eof or not self.sock:
            return
        start = len(self.lines)
        for _ in range(8):                  # dom0 -> each domU -> Keel
            self.send("\x01\x01\x01")
            got = self.wait_for(r"\*\*\* Serial input to ", 3, start)
            if not got:
                return
            start = got[0] + 1
            if "Serial input to Keel" in got[2].string:
                break
        for k in keys:
            self.send(k)
            time.sleep(1)

    def run(self, cmd, timeout=60):
        """Run cmd in the shell: (output lines, exit status, host seconds from send to end)."""
        out, st, dt = self.run_timed(cmd, timeout)
        return [t for _, t in out], st, dt

    def run_timed(self, cmd, timeout=60):
        """As run(), each output line with the host time it came (seconds since start).

        The end is a marker line echoed after cmd with its status; only its
        expanded form matches (the typed "$?" does not), so echo does not matter.
        """
        self.seq += 1
        tag = "@@keel%d" % self.seq
        with self.cond:
            start = len(self.lines)
        t = time.monotonic()
        self.send("%s; echo %s:$?@@\n" % (cmd, tag))
        got = self.wait_for(re.escape(tag) + r":(\d+)@@", timeout, start)
        if not got:
            raise BootFailed("no answer to %r within %d s%s" % (
                cmd, timeout, " (QEMU ended)" if self.eof else ""))
        idx, _, m = got
        with self.cond:
            raw = self.lines[start:idx + 1]
        out = []
        for when, l in raw[:-1]:
            g = self.guest_text(l)
            if g is None or tag in g:
                continue
            out.append((when, g))
        # text before the marker on the marker's own line (output without a newline)
        g = self.guest_text(raw[-1][1]) or ""
        if g.find(tag) > 0:
            out.append((raw[-1][0], g[:g.find(tag)]))
        return out, int(m.group(1)), time.monotonic() - t

    def sync_shell(self, timeout=60):
        """Make sure the shell takes commands; turn off echo and the prompt."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.run("stty -echo 2>/dev/null; PS1=", timeout=10)
                return
            except BootFailed:
                if self.eof:
                    break
        raise BootFailed("the shell does not answer on the console")
