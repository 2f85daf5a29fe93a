/* Fault-safe access to PV guest virtual memory. Every pointer a guest hands
 * to a hypercall goes through these: the range must lie wholly in the
 * guest's part of the address space (never the hypervisor's slots 256-271,
 * never non-canonical), and a fault while copying (unmapped, or a page the
 * guest cannot access) is caught by the exception-fixup table and reported
 * as -EFAULT instead of crashing. SMAP is lifted only for the copy itself. */
#ifndef KEEL_GUEST_ACCESS_H
#define KEEL_GUEST_ACCESS_H

#include <keel/types.h>
#include <keel/memlayout.h>

/* Lower and upper halves of the 48-bit canonical space. */
#define GUEST_LOW_END       0x0000800000000000UL
#define GUEST_HIGH_START    HV_VIRT_END             /* 0xffff880000000000 */

static inline bool guest_range_ok(uint64_t va, uint64_t len)
{
    if (len == 0)
        return true;                                /* touches nothing */
    uint64_t last = va + len - 1;
    if (last < va)
        return false;                               /* wraps past 2^64 */
    if (last < GUEST_LOW_END)
        return true;
    return va >= GUEST_HIGH_START;                  /* canonical high half, up to 2^64 */
}

/* Both return 0 or -EFAULT (nothing is promised about a partial copy). */
int copy_from_guest(void *dst, uint64_t guest_va, size_t len);
int copy_to_guest(uint64_t guest_va, const void *src, size_t len);
/* Copies a NUL-terminated string of at most size-1 bytes; -EFAULT or
 * -ENAMETOOLONG. */
int copy_string_from_guest(char *dst, uint64_t guest_va, size_t size);

/* Raw copy with fixups: returns the number of bytes NOT copied. */
size_t raw_copy_guest(void *dst, const void *src, size_t len);

#endif
