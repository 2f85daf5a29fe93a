#!/bin/sh
# check-image.sh IMAGE: the loadable segments must be contiguous both in
# memory (physical) and in the file, with the same offsets, so that a
# Multiboot1 a.out-kludge load (QEMU -kernel: one flat copy of the file from
# the header's offset) and an ELF load (GRUB) give the same memory image.
set -eu
readelf -lW "$1" | awk '
    $1 == "LOAD" {
        off = strtonum($2); pa = strtonum($4); fs = strtonum($5); ms = strtonum($6)
        if (n == 0) delta = pa - off
        else if (pa - off != delta) { printf "check-image: segment at paddr %#x: file offset %#x breaks the flat layout\n", pa, off; bad = 1 }
        if (n > 0 && pa != end) { printf "check-image: gap before paddr %#x\n", pa; bad = 1 }
        end = pa + ms
        if (fs != ms && n != 3) { printf "check-image: zero-fill inside segment %d\n", n; bad = 1 }
        n++
    }
    END { if (n == 0) { print "check-image: no loadable segments"; exit 1 } exit bad }'
