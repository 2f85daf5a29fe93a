/* A fake machine for host tests of the PV reference machinery: a frame
 * table with reserved, hypervisor, domain, free and unbacked frames, and
 * the contents of every frame. Test-only (static functions). */
#ifndef PV_FAKE_H
#define PV_FAKE_H

#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/pv_mm.h>

#define FAKE_FRAMES     320
#define FAKE_MAXPHY     40
#define DOM_A           0       /* dom0: a zeroed frame entry also reads owner 0 */
#define DOM_B           1

/* Frame map. */
#define RESERVED_FIRST  0       /* 0..15: FRAME_RESERVED, all-zero entries */
#define HV_FIRST        16      /* 16..31: hypervisor frames */
#define A_FIRST         32      /* 32..63 one order-5 block, 64..159 order-0 */
#define A_END           160
#define B_FIRST         160     /* 160..191 one order-5 block, 192..287 order-0 */
#define B_END           288
#define FREE_FIRST      288     /* 288..303: a free order-4 block (no owner: the allocator clears it) */
#define NOBODY_FIRST    304     /* 304..311: allocated, owner FRAME_OWNER_NONE */
#define UNBACKED_FIRST  312     /* 312..319: not backed (sparse table) */

struct fake_machine {
    struct frame table[FAKE_FRAMES];
    uint64_t mem[FAKE_FRAMES][PV_PT_ENTRIES];
    uint64_t hv_slots[PV_HV_L4_COUNT];
    unsigned maps_live, maps_max;
    unsigned long flushes;
    uint8_t flushed[FAKE_FRAMES];   /* flush_stale_tlbs called for it */
    bool fail_map;                  /* a map of a bad frame happened */
};

static inline uint64_t *fake_map(void *c, mfn_t mfn)
{
    struct fake_machine *m = c;
    if (mfn >= UNBACKED_FIRST) {
        m->fail_map = true;
        mfn = 0;
    }
    m->maps_live++;
    if (m->maps_live > m->maps_max)
        m->maps_max = m->maps_live;
    return m->mem[mfn];
}

static inline void fake_unmap(void *c, uint64_t *p)
{
    struct fake_machine *m = c;
    (void)p;
    m->maps_live--;
}

static inline bool fake_backed(void *c, mfn_t mfn)
{
    (void)c;
    return mfn < UNBACKED_FIRST;
}

static inline void fake_flush(void *c, mfn_t mfn)
{
    struct fake_machine *m = c;
    m->flushes++;
    if (mfn < FAKE_FRAMES)
        m->flushed[mfn] = 1;
}

/* A descriptor page is "bad" if its first word says so. */
static inline int fake_check_desc(void *c, const uint64_t *page)
{
    (void)c;
    return page[0] == 0xbadbadULL ? -EINVAL : 0;
}

static inline void fake_block(struct fake_machine *m, mfn_t first, unsigned order,
                              uint8_t head_state, uint32_t owner, uint32_t tail_owner)
{
    for (mfn_t i = 0; i < (1ULL << order); i++) {
        struct frame *f = &m->table[first + i];
        memset(f, 0, sizeof(*f));
        f->next = f->prev = INVALID_MFN;
        f->state = i ? FRAME_TAIL : head_state;
        f->order = i ? 0 : (uint8_t)order;
        f->owner = i ? tail_owner : owner;
    }
}

static inline struct fake_machine *fake_new(void)
{
    struct fake_machine *m = calloc(1, sizeof(*m));
    if (!m)
        abort();
    for (mfn_t i = HV_FIRST; i < A_FIRST; i++)
        fake_block(m, i, 0, FRAME_ALLOCATED, FRAME_OWNER_HV, 0);
    fake_block(m, A_FIRST, 5, FRAME_ALLOCATED, DOM_A, DOM_A);
    for (mfn_t i = A_FIRST + 32; i < A_END; i++)
        fake_block(m, i, 0, FRAME_ALLOCATED, DOM_A, 0);
    fake_block(m, B_FIRST, 5, FRAME_ALLOCATED, DOM_B, DOM_B);
    for (mfn_t i = B_FIRST + 32; i < B_END; i++)
        fake_block(m, i, 0, FRAME_ALLOCATED, DOM_B, 0);
    fake_block(m, FREE_FIRST, 4, FRAME_FREE_HEAD, FRAME_OWNER_NONE, FRAME_OWNER_NONE);
    fake_block(m, NOBODY_FIRST, 3, FRAME_ALLOCATED, FRAME_OWNER_NONE, FRAME_OWNER_NONE);
    for (mfn_t i = UNBACKED_FIRST; i < FAKE_FRAMES; i++) {   /* garbage a bad reader would trust */
        m->table[i].owner = DOM_A;
        m->table[i].state = FRAME_ALLOCATED;
    }
    for (unsigned i = 0; i < PV_HV_L4_COUNT; i++)
        m->hv_slots[i] = ((uint64_t)(HV_FIRST + i) << PAGE_SHIFT) | PV_PTE_P | PV_PTE_RW;
    return m;
}

static inline struct pv_mm_ctx fake_ctx(struct fake_machine *m, uint16_t domid)
{
    struct pv_mm_ctx c = {
        .table = m->table, .nr_frames = FAKE_FRAMES, .domid = domid, .maxphyaddr = FAKE_MAXPHY,
        .io_caps = false, .hv_l4_slots = m->hv_slots, .map = fake_map, .unmap = fake_unmap,
        .frame_backed = fake_backed, .flush_stale_tlbs = fake_flush,
        .check_desc_page = fake_check_desc, .map_ctx = m,
    };
    return c;
}

static inline uint64_t pte(mfn_t mfn, uint64_t flags)
{
    return (mfn << PAGE_SHIFT) | flags;
}

/* True if the frame tables are the same except for the last-type field of
 * frames untyped in both: a failed call may leave a new last type on a
 * frame it typed for a while (that field only decides TLB flushes). Counts,
 * flags and the types of typed frames must be identical. */
static inline bool fake_same_refs(const struct frame *a, const struct frame *b)
{
    for (mfn_t f = 0; f < FAKE_FRAMES; f++) {
        uint32_t ta = a[f].type_info, tb = b[f].type_info;
        if (a[f].count != b[f].count || a[f].owner != b[f].owner || a[f].state != b[f].state)
            return false;
        if (pv_ti_count(ta) == 0 && pv_ti_count(tb) == 0) {
            ta &= ~(0xfu << PV_TI_TYPE_SHIFT);
            tb &= ~(0xfu << PV_TI_TYPE_SHIFT);
        }
        if (ta != tb)
            return false;
    }
    return true;
}

#define KRO (PV_PTE_P | PV_PTE_A)
#define KRW (PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D)
#define UTBL (PV_PTE_P | PV_PTE_RW | PV_PTE_US | PV_PTE_A)

#endif
