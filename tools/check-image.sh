#!/bin/bash
# check-image.sh IMAGE: the loadable segments must be contiguous both in
# memory (physical) and in the file, with the same offsets, so that a
# Multiboot1 a.out-kludge load (QEMU -kernel: one flat copy of the file from
# the header's offset) and an ELF load (GRUB) give the same memory image.
# Only the last segment may have a zero-filled tail (.bss).
set -eu
n=0 bad=0 delta=0 end=0 last_fill=0
while read -r _ off _ pa fs ms _; do
    off=$((off)) pa=$((pa)) fs=$((fs)) ms=$((ms))
    if [ $n -eq 0 ]; then
        delta=$((pa - off))
    else
        [ $((pa - off)) -eq $delta ] || { printf 'check-image: segment at paddr %#x: file offset %#x breaks the flat layout\n' $pa $off; bad=1; }
        [ $pa -eq $end ] || { printf 'check-image: gap before paddr %#x\n' $pa; bad=1; }
        [ $last_fill -eq 0 ] || { echo "check-image: zero-filled segment before paddr $pa"; bad=1; }
    fi
    end=$((pa + ms)); last_fill=$((ms != fs)); n=$((n + 1))
done < <(readelf -lW "$1" | awk '$1 == "LOAD"')
[ $n -gt 0 ] || { echo "check-image: no loadable segments"; exit 1; }
exit $bad
