#!/bin/bash
# fetch-kernels.sh: fetch Debian's kernels with apt-get download (Debian's
# archive only), unpack them with dpkg -x into a cache, print what is there.
#   cloud:   linux-image-cloud-amd64 -> a PV domU kernel (lz4 bzImage)
#   generic: linux-image-amd64       -> the dom0 kernel (xz bzImage) + modules
# Cache: $KEEL_CACHE (default ~/.cache/keel). Prints lines "NAME VERSION PATH".
# Pinned by package name: the archive's current version is taken and printed.
set -euo pipefail
cache=${KEEL_CACHE:-$HOME/.cache/keel}/kernels
mkdir -p "$cache"

# resolve META: the versioned linux-image package a meta package depends on.
resolve() {
    apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}

fetch() {   # fetch NAME META
    local name=$1 meta=$2 pkg deb dir
    pkg=$(resolve "$meta")
    if [ -z "$pkg" ]; then
        apt-get update -qq >/dev/null
        pkg=$(resolve "$meta")
    fi
    [ -n "$pkg" ] || { echo "fetch-kernels: cannot resolve $meta" >&2; return 1; }
    dir=$cache/$pkg
    if [ ! -d "$dir/boot" ]; then
        (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1) || { echo "fetch-kernels: apt-get download $pkg failed" >&2; return 1; }
        deb=$(ls "$cache"/"$pkg"_*.deb | head -1)
        rm -rf "$dir.tmp" && dpkg -x "$deb" "$dir.tmp" && mv "$dir.tmp" "$dir"
        rm -f "$deb"
    fi
    local vmlinuz
    vmlinuz=$(ls "$dir"/boot/vmlinuz-* | head -1)
    ln -sfn "$dir" "$cache/$name"
    echo "$name $pkg $vmlinuz"
}

fetch cloud linux-image-cloud-amd64
fetch generic linux-image-amd64
