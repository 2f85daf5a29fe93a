/* Intel EPT (extended page tables): the entry format and the tables Keel
 * builds from a domain's memory. Formats: Intel SDM vol. 3 28.3.2 (entries)
 * and 25.6.11 (the EPT pointer). */
#ifndef KEEL_EPT_H
#define KEEL_EPT_H

#include <keel/types.h>

#define EPT_R           (1UL << 0)
#define EPT_W           (1UL << 1)
#define EPT_X           (1UL << 2)
#define EPT_RWX         (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT    3               /* leaf memory type, bits 5:3 */
#define EPT_MT_UC       0
#define EPT_MT_WB       6
#define EPT_IPAT        (1UL << 6)      /* ignore the guest's PAT type */
#define EPT_LARGE       (1UL << 7)      /* 2 MiB / 1 GiB leaf */
#define EPT_ADDR_MASK   0x000ffffffffff000UL
#define EPT_LEVELS      4

#define EPTP_MT_WB      6UL             /* paging-structure memory type, bits 2:0 */
#define EPTP_WALK_4     (3UL << 3)      /* page-walk length - 1, bits 5:3 */

static inline uint64_t ept_leaf(paddr_t pa, uint64_t perms)
{
    return (pa & EPT_ADDR_MASK) | (perms & EPT_RWX) | (EPT_MT_WB << EPT_MT_SHIFT);
}

static inline uint64_t ept_large_leaf(paddr_t pa, uint64_t perms)
{
    return ept_leaf(pa, perms) | EPT_LARGE;
}

/* A non-leaf entry: all permissions, the leaves decide. */
static inline uint64_t ept_table(paddr_t pa)
{
    return (pa & EPT_ADDR_MASK) | EPT_RWX;
}

/* An entry maps something when any of R/W/X is set (SDM 28.3.2). */
static inline bool ept_present(uint64_t e)
{
    return e & EPT_RWX;
}

/* Index of gpa in the table at `level` (4 = the root, 1 = 4 KiB leaves). */
static inline unsigned ept_index(uint64_t gpa, unsigned level)
{
    return (unsigned)(gpa >> (12 + 9 * (level - 1))) & 511;
}

static inline uint64_t eptp_make(paddr_t root)
{
    return (root & EPT_ADDR_MASK) | EPTP_WALK_4 | EPTP_MT_WB;
}

/* One domain's EPT (hypervisor only: tables come from the frame allocator). */
struct ept {
    uint64_t *root;                 /* direct-map pointer to the level-4 table */
    uint64_t eptp;
    unsigned nr_tables;             /* table pages allocated, root included */
};

int ept_init(struct ept *e);
/* Maps nr pages from gfn to machine frames from mfn on: -ENOMEM, -EEXIST
 * (already mapped: nothing of the call is undone). Callers flush (ept_flush)
 * after changing a live mapping. */
int ept_map(struct ept *e, uint64_t gfn, mfn_t mfn, uint64_t nr, uint64_t perms);
/* Removes nr pages from gfn (absent ones skipped). */
void ept_unmap(struct ept *e, uint64_t gfn, uint64_t nr);
/* The machine frame behind gfn, or INVALID_MFN. */
mfn_t ept_lookup(const struct ept *e, uint64_t gfn, uint64_t *perms);
/* Frees every table. */
void ept_destroy(struct ept *e);
/* INVEPT single-context for e (all-context where single is not offered). */
void ept_flush(const struct ept *e);
/* The same on every online CPU (after an unmap), waiting for all. */
void ept_flush_all_cpus(struct ept *e);

#endif
