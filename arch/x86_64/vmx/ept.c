/* EPT tables of a domain: a 4-level tree of frames from the frame
 * allocator, 4 KiB leaves (2 MiB leaves where a whole aligned run maps one).
 * Every leaf is write-back (EPT_MT_WB); guest memory is RAM. Anything not
 * mapped is an EPT violation that the HVM layer turns into a domain crash.
 * INVEPT: SDM vol. 3 31.3; the EPT pointer: 25.6.11. */
#include <keel/ept.h>
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/smp.h>
#include <keel/string.h>
#include "vmx_internal.h"

#define INVEPT_SINGLE   1
#define INVEPT_ALL      2
#define LARGE_PAGES     512             /* 4 KiB pages in a 2 MiB leaf */

static uint64_t *table_alloc(struct ept *e, paddr_t *pa)
{
    uint64_t *t = alloc_pages(0);
    if (!t)
        return NULL;
    memset(t, 0, PAGE_SIZE);
    e->nr_tables++;
    *pa = virt_to_phys(t);
    return t;
}

int ept_init(struct ept *e)
{
    paddr_t pa;
    memset(e, 0, sizeof(*e));
    e->root = table_alloc(e, &pa);
    if (!e->root)
        return -ENOMEM;
    e->eptp = eptp_make(pa);
    return 0;
}

/* The table at `level` - 1 under entry `slot`, made if absent (create). */
static uint64_t *next_table(struct ept *e, uint64_t *slot, bool create)
{
    paddr_t pa;
    if (ept_present(*slot))
        return (*slot & EPT_LARGE) ? NULL : phys_to_virt(*slot & EPT_ADDR_MASK);
    if (!create)
        return NULL;
    uint64_t *t = table_alloc(e, &pa);
    if (t)
        *slot = ept_table(pa);
    return t;
}

/* The entry for gfn at `level` (1: 4 KiB, 2: 2 MiB), or NULL. */
static uint64_t *walk(struct ept *e, uint64_t gfn, unsigned level, bool create)
{
    uint64_t gpa = gfn << PAGE_SHIFT, *t = e->root;
    for (unsigned l = EPT_LEVELS; l > level; l--) {
        t = next_table(e, &t[ept_index(gpa, l)], create);
        if (!t)
            return NULL;
    }
    return &t[ept_index(gpa, level)];
}

int ept_map(struct ept *e, uint64_t gfn, mfn_t mfn, uint64_t nr, uint64_t perms)
{
    bool large_ok = vmx_caps.ept_vpid & EPT_CAP_2M;
    while (nr) {
        bool large = large_ok && nr >= LARGE_PAGES && IS_ALIGNED(gfn, LARGE_PAGES) &&
                     IS_ALIGNED(mfn, LARGE_PAGES);
        uint64_t *slot = walk(e, gfn, large ? 2 : 1, true);
        if (!slot)
            return -ENOMEM;
        if (ept_present(*slot))
            return -EEXIST;
        paddr_t pa = mfn << PAGE_SHIFT;
        *slot = large ? ept_large_leaf(pa, perms) : ept_leaf(pa, perms);
        uint64_t step = large ? LARGE_PAGES : 1;
        gfn += step, mfn += step, nr -= step;
    }
    return 0;
}

void ept_unmap(struct ept *e, uint64_t gfn, uint64_t nr)
{
    for (; nr; gfn++, nr--) {
        uint64_t *l2 = walk(e, gfn, 2, false);
        if (l2 && (*l2 & EPT_LARGE)) {
            /* Split the 2 MiB leaf into 4 KiB leaves, then drop one. */
            paddr_t pa, base = *l2 & EPT_ADDR_MASK & ~(MiB(2) - 1);
            uint64_t perms = *l2 & EPT_RWX;
            uint64_t *t = table_alloc(e, &pa);
            if (!t) {
                *l2 = 0;        /* no memory: the whole 2 MiB goes (the guest loses more, not less) */
                continue;
            }
            for (unsigned i = 0; i < LARGE_PAGES; i++)
                t[i] = ept_leaf(base + i * PAGE_SIZE, perms);
            *l2 = ept_table(pa);
        }
        uint64_t *l1 = walk(e, gfn, 1, false);
        if (l1)
            *l1 = 0;
    }
}

mfn_t ept_lookup(const struct ept *e, uint64_t gfn, uint64_t *perms)
{
    uint64_t gpa = gfn << PAGE_SHIFT, *t = e->root;
    for (unsigned l = EPT_LEVELS; l >= 1; l--) {
        uint64_t ent = t[ept_index(gpa, l)];
        if (!ept_present(ent))
            return INVALID_MFN;
        if (l == 1 || (ent & EPT_LARGE)) {
            if (perms)
                *perms = ent & EPT_RWX;
            uint64_t within = gfn & ((1UL << (9 * (l - 1))) - 1);
            return ((ent & EPT_ADDR_MASK) >> PAGE_SHIFT) + within;
        }
        t = phys_to_virt(ent & EPT_ADDR_MASK);
    }
    return INVALID_MFN;
}

static void free_level(uint64_t *t, unsigned level)
{
    if (level > 1)
        for (unsigned i = 0; i < 512; i++)
            if (ept_present(t[i]) && !(t[i] & EPT_LARGE))
                free_level(phys_to_virt(t[i] & EPT_ADDR_MASK), level - 1);
    free_pages(t, 0);
}

void ept_destroy(struct ept *e)
{
    if (e->root)
        free_level(e->root, EPT_LEVELS);
    e->root = NULL;
    e->nr_tables = 0;
}

static void invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
    __asm__ __volatile__("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

void vmx_invept(uint64_t eptp)
{
    if (vmx_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE)
        invept(INVEPT_SINGLE, eptp);
    else
        invept(INVEPT_ALL, 0);
}

void ept_flush(const struct ept *e)
{
    vmx_invept(e->eptp);
}

static void flush_here(void *arg)
{
    ept_flush(arg);
}

/* After a mapping is removed or narrowed: no CPU may keep it cached. */
void ept_flush_all_cpus(struct ept *e)
{
    smp_call_others(flush_here, e, true);
    ept_flush(e);
}
