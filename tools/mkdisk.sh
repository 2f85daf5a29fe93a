#!/bin/bash
# tools/mkdisk.sh [OUT]: an ext4 image (64 MiB) for the dom0 disk test, made
# with mke2fs -d from a directory (no mount, no root needed), printed as
#   disk PATH
# It holds keel-disk.txt, whose first line is "keel-disk: known file" and
# whose second is "sha256 <hash> data.bin", and data.bin, 1 MiB of fixed
# pseudo-random bytes, so a guest can check what it reads.
# Deterministic (fixed UUID, hash seed and time) and cached in
# $KEEL_CACHE (default ~/.cache/keel)/disk/; OUT gets a copy (tests write to
# theirs: the cached image stays clean).
set -euo pipefail
CACHE=${KEEL_CACHE:-$HOME/.cache/keel}
dir=$CACHE/disk
img=$dir/keel-disk.ext4
mkdir -p "$dir"
command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v mke2fs >/dev/null || { echo "mkdisk: mke2fs missing (apt-get install e2fsprogs)" >&2; exit 1; }

key=$( { sha256sum "$0" | cut -d' ' -f1; mke2fs -V 2>&1 | sed -n 1p; } | sha256sum | cut -d' ' -f1)
if [ ! -s "$img" ] || [ "$(cat "$img.key" 2>/dev/null)" != "$key" ]; then
    tree=$(mktemp -d "$dir/tree.XXXXXX")
    trap 'rm -rf "$tree"' EXIT
    # data.bin: SHA-256 in counter mode over a fixed seed, 1 MiB.
    python3 -c '
import hashlib, sys
out = b"".join(hashlib.sha256(b"keel-disk %d" % i).digest() for i in range(32768))
sys.stdout.buffer.write(out)' > "$tree/data.bin"
    { echo "keel-disk: known file"
      echo "sha256 $(sha256sum "$tree/data.bin" | cut -d' ' -f1) data.bin"; } > "$tree/keel-disk.txt"
    touch -d @1700000000 "$tree"/* "$tree"
    rm -f "$img.tmp"
    E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext4 -b 4096 -L keel-disk \
        -U 4b65656c-6469-736b-0000-000000000001 -E hash_seed=4b65656c-6469-736b-0000-000000000002,root_owner=0:0 \
        -d "$tree" "$img.tmp" 64M >/dev/null
    mv "$img.tmp" "$img"
    echo "$key" > "$img.key"
fi
if [ $# -ge 1 ]; then
    cp "$img" "$1"
    echo "disk $1"
else
    echo "disk $img"
fi
