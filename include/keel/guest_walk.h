/* A guest's own page-table walk (guest-virtual -> guest-physical), pure:
 * the hypervisor uses it for a PVH guest's hypercall buffers
 * (arch/x86_64/hvm/hvm_guest_copy.c) and the host unit tests run it over
 * fake memory (tests/unit/test_guest_walk.c). Modes (Intel SDM vol. 3
 * 4.3 and 4.5): paging off (linear = physical, 32 bits), 32-bit paging
 * (2 levels, 4 MiB pages with CR4.PSE) and 4-level long mode (1 GiB and
 * 2 MiB pages); PAE without long mode and 5-level paging are refused.
 * Access rights: present everywhere; for a write, writable at every level
 * (a supervisor write with CR0.WP set). */
#ifndef KEEL_GUEST_WALK_H
#define KEEL_GUEST_WALK_H

#include <keel/types.h>

struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
    /* Reads `size` (4 or 8) bytes of guest-physical memory: 0 or -1. */
    int (*read)(void *arg, uint64_t gpa, uint64_t *val, unsigned size);
    void *arg;
};

/* 0 and *gpa, or -EFAULT (not mapped, not writable, unsupported mode). */
int guest_walk(const struct guest_paging *p, uint64_t va, bool write, uint64_t *gpa);

#endif
