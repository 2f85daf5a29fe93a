#!/bin/bash
# tools/install.sh: what `make install` does.
#   build/keel.elf           -> $DESTDIR/boot/keel.elf
#   tools/grub.d/20_keel     -> $DESTDIR/etc/grub.d/20_keel           (mode 755)
#   default options          -> $DESTDIR/etc/default/grub.d/keel.cfg  (kept if present)
# Then, only when installing into the running system (DESTDIR empty) and
# update-grub exists, regenerates grub.cfg so the Keel entries appear.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=${DESTDIR:-}
ELF=${KEEL_ELF:-$ROOT/build/keel.elf}

die() { echo "install: $*" >&2; exit 1; }

[ -f "$ELF" ] || die "$ELF missing: run make first"

# write_defaults FILE: GRUB_CMDLINE_KEEL for 20_keel. grub-mkconfig sources
# this file but exports only the GRUB_* names it knows, hence the export.
write_defaults() {
    cat >"$1" <<'EOF'
# Keel hypervisor options for the GRUB entries made by /etc/grub.d/20_keel.
# See README.md for the options. Run update-grub after changing this file.
GRUB_CMDLINE_KEEL="console=com1 com1=115200,8n1"
export GRUB_CMDLINE_KEEL
EOF
}

install -D -m 644 "$ELF" "$DESTDIR/boot/keel.elf" || die "cannot install keel.elf"
install -D -m 755 "$ROOT/tools/grub.d/20_keel" "$DESTDIR/etc/grub.d/20_keel" || die "cannot install 20_keel"
# Keep an admin's edited options across reinstalls.
cfg=$DESTDIR/etc/default/grub.d/keel.cfg
if [ ! -e "$cfg" ]; then
    { mkdir -p "$(dirname "$cfg")" && write_defaults "$cfg"; } || die "cannot write $cfg"
    chmod 644 "$cfg"
fi
echo "install: Keel installed under ${DESTDIR:-/}"

if [ -z "$DESTDIR" ]; then
    if command -v update-grub >/dev/null; then
        update-grub || die "update-grub failed"
    else
        echo "install: update-grub not found: regenerate your GRUB configuration by hand"
    fi
fi
