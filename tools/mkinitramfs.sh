#!/bin/bash
# tools/mkinitramfs.sh [generic|cloud] [--autorun SCRIPT]: build a busybox
# initramfs (cpio newc, gzip) for Debian's kernels into the cache and print
#   initramfs FLAVOUR PATH
#   generic: the dom0 kernel (linux-image-amd64), with the modules dom0 needs
#            (virtio-blk/pci, ext4 and its dependencies, AHCI + sd, the Xen
#            device drivers evtchn, gntdev, privcmd, xenfs)
#   cloud:   the PV domU kernel (linux-image-cloud-amd64), same list (most of
#            it is built in there; what is modular is taken)
# --autorun SCRIPT: a variant whose /init runs SCRIPT (no console input needed,
#   e.g. a domU whose console is output only) instead of the interactive shell.
#
# Busybox comes from Debian's busybox-static (apt-get download + dpkg -x into
# the cache, like tools/fetch-kernels.sh: no root needed, only Debian's
# archive). Module dependencies are read from each module's own modinfo
# (dpkg -x leaves no modules.dep) and loaded in dependency order.
# /init prints "keel-linux: init reached" as its first line (tests and
# tools/linuxbench.sh wait for it), mounts proc, sys, devtmpfs, devpts and
# xenfs, loads the modules, then runs a shell on the console (setsid
# cttyhack: job control works on hvc0); when the shell exits the machine
# powers off; `poweroff` and `reboot` in the shell signal /init, which
# syncs and does it.
# Deterministic (sorted entries, fixed times and owners, gzip -n) and cached:
# rebuilt only when this script, busybox, the kernel or SCRIPT change.
# Cache: $KEEL_CACHE (default ~/.cache/keel)/initramfs/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KEEL_CACHE:-$HOME/.cache/keel}
flavour=generic autorun=
while [ $# -gt 0 ]; do
    case $1 in
        generic|cloud) flavour=$1 ;;
        --autorun) autorun=$(readlink -f "$2"); shift ;;
        *) sed -n '2,12p' "$0" >&2; exit 2 ;;
    esac
    shift
done

# The modules dom0 needs; a name that is built in (or absent) is skipped.
MODULES="virtio_pci virtio_blk ext4 crc32c_generic ahci sd_mod xen-evtchn xen-gntdev xen-privcmd xenfs"

"$ROOT/tools/fetch-kernels.sh" >/dev/null
kdir=$(readlink -f "$CACHE/kernels/$flavour")
[ -d "$kdir/lib/modules" ] || { echo "mkinitramfs: no modules in $kdir" >&2; exit 1; }

# busybox-static, downloaded once into the cache (pinned by package name).
bbdir=$CACHE/busybox-static
if [ ! -x "$bbdir/bin/busybox" ]; then
    tmp=$(mktemp -d "$CACHE/busybox.XXXXXX")
    (cd "$tmp" && { apt-get download -q busybox-static >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get download -q busybox-static >/dev/null 2>&1; }; }) ||
        { rm -rf "$tmp"; echo "mkinitramfs: apt-get download busybox-static failed" >&2; exit 1; }
    deb=$(ls "$tmp"/busybox-static_*.deb)
    dpkg-deb -f "$deb" Version > "$tmp/VERSION"
    dpkg -x "$deb" "$tmp/x"
    mkdir -p "$tmp/bin" && mv "$tmp/x/bin/busybox" "$tmp/bin/busybox"
    rm -rf "$tmp/x" "$deb" "$bbdir" && mv "$tmp" "$bbdir"
fi

out=$CACHE/initramfs
mkdir -p "$out"
name=$flavour
[ -n "$autorun" ] && name=$flavour-$(basename "$autorun" | tr -c 'A-Za-z0-9_.\n-' _)
key=$( { sha256sum "$0" "$bbdir/bin/busybox" ${autorun:+"$autorun"} | cut -d' ' -f1
         basename "$kdir"; echo "$MODULES"; } | sha256sum | cut -d' ' -f1)
if [ -s "$out/$name.cpio.gz" ] && [ "$(cat "$out/$name.key" 2>/dev/null)" = "$key" ]; then
    echo "initramfs $name $out/$name.cpio.gz"
    exit 0
fi

# The /init of the image. Its first line is the marker the tests wait for.
init=$(cat <<'INIT'
#!/bin/sh
# /init of Keel's Linux test initramfs (built by tools/mkinitramfs.sh).
echo "keel-linux: init reached"
export PATH=/sbin:/bin HOME=/root TERM=vt100
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
loaded=0 notloaded=
while read -r m; do
    if insmod "/lib/modules/$m.ko" 2>/dev/null; then loaded=$((loaded + 1)); else notloaded="$notloaded $m"; fi
done < /etc/keel-modules
# xenfs makes /proc/xen when loaded (the Xen tools' old mount point).
[ -d /proc/xen ] && grep -qw xenfs /proc/filesystems && mount -t xenfs xenfs /proc/xen
echo "keel-linux: modules: $loaded loaded${notloaded:+, not loaded:$notloaded}"
echo "keel-linux: $(uname -r), $(nproc) CPU(s), hypervisor $(cat /sys/hypervisor/type 2>/dev/null || echo none)"
hostname keel-linux
if [ -x /etc/keel-autorun ]; then
    echo "keel-linux: autorun start"
    /etc/keel-autorun
    echo "keel-linux: autorun end, status $?"
    [ -s /run/keel-end ] && act=$(cat /run/keel-end)    # the script may ask for reboot
else
    # busybox's poweroff, reboot and halt signal PID 1 (USR2, TERM, USR1):
    # the shell runs in the background so that wait returns on them.
    trap 'act=poweroff' USR2 USR1
    trap 'act=reboot' TERM
    echo "keel-linux: shell on /dev/$(sed 's/.* //' /sys/class/tty/console/active); exit or poweroff powers off, reboot reboots"
    setsid cttyhack sh -l &
    wait $!
fi
act=${act:-poweroff}
echo "keel-linux: $act"
sync
exec busybox "$act" -f
INIT
)

python3 - "$out/$name.cpio.gz.tmp" "$bbdir/bin/busybox" "$kdir" "$MODULES" "$autorun" "$init" <<'PY'
# Writes the cpio (newc) archive, gzip'd without name or time: same inputs,
# same bytes. Modules: resolved with their dependencies from modinfo.
import gzip, lzma, os, re, subprocess, sys

dst, busybox, kdir, wanted, autorun, init = sys.argv[1:7]
kver = os.listdir(os.path.join(kdir, "lib/modules"))[0]
mroot = os.path.join(kdir, "lib/modules", kver)
norm = lambda n: n.replace("-", "_")

# name -> path of every module shipped, and the built-in ones.
paths = {}
for d, _, files in os.walk(os.path.join(mroot, "kernel")):
    for f in files:
        m = re.match(r"(.*)\.ko(\.xz)?$", f)
        if m:
            paths[norm(m.group(1))] = os.path.join(d, f)
builtin = set()
with open(os.path.join(mroot, "modules.builtin")) as f:
    for line in f:
        builtin.add(norm(os.path.basename(line.strip()).split(".ko")[0]))

def read_ko(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data

def depends(data):    # the modinfo "depends=" string of a module image
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    return [norm(x) for x in m.group(1).decode().split(",") if x] if m else []

order, seen, images = [], set(), {}
def add(name):    # depth first: dependencies before the module itself
    n = norm(name)
    if n in seen or n in builtin:
        return
    seen.add(n)
    if n not in paths:
        print(f"mkinitramfs: module {name} not found, skipped", file=sys.stderr)
        return
    images[n] = read_ko(paths[n])
    for d in depends(images[n]):
        add(d)
    order.append(n)
for w in wanted.split():
    add(w)

applets = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout.split()
entries = {}    # path -> (mode, data or link target, rdev)
def d(p): entries[p] = (0o040755, b"", 0)
def f(p, data, mode=0o100644): entries[p] = (mode, data, 0)
for p in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "mnt", "tmp", "root",
          "etc", "lib", "lib/modules", "run", "var"]:
    d(p)
entries["tmp"] = (0o041777, b"", 0)
entries["dev/console"] = (0o020600, b"", os.makedev(5, 1))
entries["dev/null"] = (0o020666, b"", os.makedev(1, 3))
with open(busybox, "rb") as fh:
    f("bin/busybox", fh.read(), 0o100755)
for a in applets:
    if a != "bin/busybox":
        entries[a] = (0o120777, b"/bin/busybox", 0)
f("init", init.encode() + b"\n", 0o100755)
f("etc/keel-modules", "".join(m + "\n" for m in order).encode())
f("etc/profile", b"PS1='\\h:\\w# '\nexport PS1\n")
f("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
f("etc/group", b"root:x:0:\n")
for m in order:
    f(f"lib/modules/{m}.ko", images[m])
if autorun:
    with open(autorun, "rb") as fh:
        f("etc/keel-autorun", fh.read(), 0o100755)

def newc(ino, name, mode, data, rdev):
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, os.major(rdev), os.minor(rdev), len(nb), 0))
    out = hdr.encode() + nb
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)

blob = bytearray()
for i, p in enumerate(sorted(entries), 1):
    mode, data, rdev = entries[p]
    if isinstance(data, str):
        data = data.encode()
    blob += newc(i, p, mode, data, rdev)
blob += newc(0, "TRAILER!!!", 0, b"", 0)
with open(dst, "wb") as fh:
    with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(bytes(blob))
print(f"mkinitramfs: {kver}: {len(order)} modules: {' '.join(order)}", file=sys.stderr)
PY
mv "$out/$name.cpio.gz.tmp" "$out/$name.cpio.gz"
echo "$key" > "$out/$name.key"
echo "mkinitramfs: busybox-static $(cat "$bbdir/VERSION"), $(stat -c %s "$out/$name.cpio.gz") bytes" >&2
echo "initramfs $name $out/$name.cpio.gz"
