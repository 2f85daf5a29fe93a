/* Physical memory maps as lists of struct mem_range (pure; host-tested).
 * Firmware maps overlap, come unsorted and sometimes wrap; sanitising turns
 * them into a sorted list of disjoint ranges where, at every address, the
 * most restrictive type reported for it wins. */
#ifndef KEEL_MEMMAP_H
#define KEEL_MEMMAP_H

#include <keel/bootinfo.h>

/* Sorts by base, resolves overlaps (BAD > RESERVED > NVS > ACPI > USABLE;
 * unknown types count as RESERVED), merges touching ranges of one type,
 * drops empty ones and clips ranges that would wrap past 2^64 (to end at
 * 2^64 - 1). r has room for cap entries. Returns 0, or -ENOSPC if the
 * result needs more than cap entries (then r is unusable). */
int memmap_sanitize(struct mem_range *r, unsigned *nr, unsigned cap);

/* Carves [base, base + len) out of the USABLE ranges of a sanitised map,
 * keeping it sorted (used to reserve the image, the modules and the boot
 * information). If splitting a range needs a slot and none is left, the
 * smaller piece is given up too (with a warning): never the other way. */
void memmap_remove(struct mem_range *r, unsigned *nr, unsigned cap,
                   uint64_t base, uint64_t len);

/* Total bytes of the given type (saturates at UINT64_MAX). */
uint64_t memmap_total(const struct mem_range *r, unsigned nr, uint32_t type);

#endif
