/* PV memory safety core: page types, reference counts and the validation of
 * guest page-table entries (mm/pv_pt.c: per-entry rules and entry updates;
 * mm/pv_refs.c: reference machinery, validation, pinning, destruction).
 *
 * THE GUARANTEE. Under any sequence of calls below, for a domain D:
 *  - every present entry of a validated D table points to a frame owned by D
 *    (allocated, not hypervisor, not free, not reserved, not another domain);
 *  - no validated L1 entry with RW points at a frame whose type is L1..L4 or
 *    SEG_DESC, and no frame with a WRITABLE type ref can become one;
 *  - an Ln entry (n >= 2) points only at a frame validated as L(n-1): the
 *    type graph strictly descends, so same-level "linear"/recursive entries
 *    (an L4 pointing at itself or at another L4, ...) are refused (-EINVAL).
 *    An L1 may map any owned frame READ-ONLY, page tables included (Linux
 *    maps its page tables RO): that takes a general ref only;
 *  - L4 slots 256..271 hold the hypervisor's template, never guest values;
 *  - stored counts equal what the validated entries, pins and hypervisor
 *    references imply; a failed call leaves every count and flag as it
 *    was (only the last-type field of an untyped frame it typed for a
 *    while may differ: that field only decides TLB flushes).
 *
 * FRAME-TABLE FIELDS (struct frame, include/keel/frame.h) used here, for
 * frames in an allocated block (FRAME_ALLOCATED head or FRAME_TAIL inside an
 * allocated block; each 4 KiB frame has its own entry). next/prev are NOT
 * used (the allocator owns them while free).
 *  - owner: set by the domain memory code; fixed while count > 0. A frame is
 *    "owned by D" only if owner == D AND it lies in an allocated block (a
 *    zeroed/reserved entry reads owner 0, which must not mean "dom0").
 *  - count: general references: one per present entry of a validated table
 *    pointing at the frame, one per pin, plus hypervisor references (CR3 of
 *    a vCPU, pv_get_ref/pv_get_type callers). Every type reference carries
 *    one general reference, so count >= type count always.
 *  - type_info: type (bits 31..28, enum pv_type), VALIDATED (27), PINNED
 *    (26), type count (25..0). The type can change only when the type count
 *    is 0. When the last type ref goes, a table is devalidated (the refs of
 *    its entries are dropped) and VALIDATED is cleared, but the type field
 *    keeps the LAST type: TLBs and paging-structure caches may still hold
 *    translations made while the frame had it (a writable mapping, or the
 *    frame walked as a table). So when a frame takes a type other than its
 *    last one (last one not NONE), ctx->flush_stale_tlbs runs first, before
 *    its contents are read or a RW mapping of it is stored. A frame whose
 *    type count is 0 is "untyped" whatever its type field says.
 *
 * REFERENCES HELD BY ENTRIES. L1 present RO: general ref on the target.
 * L1 present RW: WRITABLE type ref (+ its general ref). Ln present (n>=2):
 * L(n-1) type ref (+ general). Pin: type ref of the pinned level. Base
 * pointer: L4 type ref. Not-present entries hold nothing and are not checked.
 *
 * LOCKING AND CONTEXT. Pure code: the caller holds the locks that serialize
 * every change to the frames of `ctx->domid` (one domain per call) and does
 * TLB flushes after entries change (before returning to the guest, and
 * before any frame whose count dropped is freed or given away).
 * Validation recursion is bounded (L4 -> L3 -> L2 -> L1: at most 4 nested
 * frames, so at most 4 nested ctx->map() mappings, plus one for an update).
 *
 * ERRORS (the codes Xen 4.17 gives, checked by tests/guests/t_mmu_attacks.c
 * on both hypervisors). -EINVAL: malformed entry (reserved bits, PSE,
 * PWT/PCD/PAT without I/O rights, bad index, hypervisor L4 slot), bad type
 * transition when typing a table (pinning a frame typed otherwise, same-level
 * or self reference), double pin, unpin of an unpinned frame, update of a
 * descriptor frame, any table entry naming a frame that is not a table of
 * the domain, pin/unpin or entry update of a frame not the domain's.
 * -EBUSY: a RW mapping of a frame typed otherwise (a page table, a
 * descriptor page), and a mapping of any RAM frame that is not the
 * domain's (the hypervisor's, another domain's, free); also a frame in the
 * middle of its own validation. -EPERM: a mapping of something that is no
 * RAM frame (beyond the frame table, not backed, past MAXPHYADDR).
 * -EOVERFLOW: a count would wrap.
 * -EOPNOTSUPP: SEG_DESC without a descriptor checker. */
#ifndef KEEL_PV_MM_H
#define KEEL_PV_MM_H

#include <keel/types.h>
#include <keel/frame.h>

/* Page-table entry bits (x86-64, 4-level). */
#define PV_PTE_P        (1ULL << 0)
#define PV_PTE_RW       (1ULL << 1)
#define PV_PTE_US       (1ULL << 2)
#define PV_PTE_PWT      (1ULL << 3)
#define PV_PTE_PCD      (1ULL << 4)
#define PV_PTE_A        (1ULL << 5)
#define PV_PTE_D        (1ULL << 6)
#define PV_PTE_PSE      (1ULL << 7)     /* L2/L3 superpage; in L1 this is PAT */
#define PV_PTE_PAT      (1ULL << 7)
#define PV_PTE_G        (1ULL << 8)
#define PV_PTE_AVAIL    (7ULL << 9)     /* bits 9..11, software */
#define PV_PTE_GUEST_KERNEL (1ULL << 52) /* software: a guest-kernel mapping */
#define PV_PTE_AVAIL_HIGH (0x7fULL << 52) /* bits 52..58 software; 59..62
                                           * (protection keys, bit 62 =
                                           * grant mapping) are reserved */
#define PV_PTE_NX       (1ULL << 63)
#define PV_PTE_ADDR     0x000ffffffffff000ULL   /* bits 12..51 */

#define PV_PT_ENTRIES   512
#define PV_HV_L4_FIRST  256             /* hypervisor L4 slots 256..271 */
#define PV_HV_L4_COUNT  16

enum pv_type {
    PV_TYPE_NONE = 0,
    PV_TYPE_L1 = 1, PV_TYPE_L2 = 2, PV_TYPE_L3 = 3, PV_TYPE_L4 = 4, /* == level */
    PV_TYPE_SEG_DESC = 5,       /* GDT/LDT page */
    PV_TYPE_WRITABLE = 6,       /* mapped RW somewhere */
};

#define PV_TI_COUNT_MASK    0x03ffffffu
#define PV_TI_PINNED        (1u << 26)
#define PV_TI_VALIDATED     (1u << 27)
#define PV_TI_TYPE_SHIFT    28
#define PV_COUNT_MAX        0xfffffff0u     /* general count ceiling */

static inline unsigned pv_ti_type(uint32_t ti) { return ti >> PV_TI_TYPE_SHIFT; }
static inline uint32_t pv_ti_count(uint32_t ti) { return ti & PV_TI_COUNT_MASK; }
static inline bool pv_type_is_pt(unsigned t) { return t >= PV_TYPE_L1 && t <= PV_TYPE_L4; }
static inline mfn_t pv_pte_mfn(uint64_t e) { return (e & PV_PTE_ADDR) >> PAGE_SHIFT; }

struct pv_mm_ctx {
    struct frame *table;        /* the frame table */
    mfn_t nr_frames;            /* entries in it */
    uint16_t domid;             /* the domain acted for (< 0x7ff0) */
    unsigned maxphyaddr;        /* CPU's physical address width, 36..52 */
    bool io_caps;               /* may use PWT/PCD/PAT in L1 entries (dom0) */
    const uint64_t *hv_l4_slots;            /* PV_HV_L4_COUNT template entries
                                             * (NULL: those slots are zeroed) */
    uint64_t *(*map)(void *ctx, mfn_t mfn); /* the 512 entries of a frame; never
                                             * fails (direct map) */
    void (*unmap)(void *ctx, uint64_t *p);
    /* Optional: false if mfn's frame-table entry is not backed (sparse
     * table); NULL means every entry below nr_frames may be read. */
    bool (*frame_backed)(void *ctx, mfn_t mfn);
    /* Flush every TLB / paging-structure cache of the domain's vCPUs that
     * may still hold translations made with mfn's previous type; called
     * when a frame changes type. Must be set in the hypervisor (it may skip
     * the flush if one happened since the last type ref went away). */
    void (*flush_stale_tlbs)(void *ctx, mfn_t mfn);
    /* Checks a whole descriptor page (0 or -EINVAL); NULL: SEG_DESC refused. */
    int (*check_desc_page)(void *ctx, const uint64_t *page);
    /* Optional: how an L1 entry may name machine frame mfn if it is I/O
     * memory rather than RAM (enum iomem_access, include/keel/iomem.h:
     * 0 = RAM, the ownership rules apply). I/O frames take no references;
     * only a domain with io_caps may map them, as the answer allows. The
     * answer for a frame must never change. NULL: every frame is RAM. */
    int (*io_access)(void *ctx, mfn_t mfn);
    void *map_ctx;              /* first argument of the callbacks */
};

/* The frame accessors: through the callbacks in host unit tests (a fake
 * machine), direct in the hypervisor, where every reference and
 * page-table walk uses them (the hot paths of mmu_update and
 * update_va_mapping). */
#ifdef KEEL_HOSTED
static inline uint64_t *pv_map(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    return ctx->map(ctx->map_ctx, mfn);
}
static inline void pv_unmap(const struct pv_mm_ctx *ctx, uint64_t *p)
{
    ctx->unmap(ctx->map_ctx, p);
}
static inline bool pv_entry_backed(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    return mfn < ctx->nr_frames && (!ctx->frame_backed || ctx->frame_backed(ctx->map_ctx, mfn));
}
#else
#include <keel/mm.h>
static inline uint64_t *pv_map(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    (void)ctx;
    return mfn_to_virt(mfn);
}
static inline void pv_unmap(const struct pv_mm_ctx *ctx, uint64_t *p)
{
    (void)ctx, (void)p;
}
static inline bool pv_entry_backed(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    return mfn < ctx->nr_frames && frames_entry_backed(mfn);
}
#endif

/* ---- per-entry rules (mm/pv_pt.c) ---- */

/* 0 if a present entry's bits are allowed at its level (not-present: always
 * 0); -EINVAL otherwise. Ownership and types are checked by the ref code. */
int pv_pt_validate_l1e(const struct pv_mm_ctx *ctx, uint64_t e);
int pv_pt_validate_l2e(const struct pv_mm_ctx *ctx, uint64_t e);
int pv_pt_validate_l3e(const struct pv_mm_ctx *ctx, uint64_t e);
int pv_pt_validate_l4e(const struct pv_mm_ctx *ctx, uint64_t e);
int pv_pt_validate_entry(const struct pv_mm_ctx *ctx, unsigned level, uint64_t e);
/* The entry as stored: guest kernel runs in ring 3, so present entries get
 * U (L1 kernel entries: U + GUEST_KERNEL bit 52; L1 user entries: G;
 * L4: A). */
uint64_t pv_pt_adjust_entry(unsigned level, uint64_t e);
/* False for L4 slots 256..271 (hypervisor), true for any other slot. */
bool pv_pt_guest_slot(unsigned level, unsigned index);
/* Type ref an entry needs on its target: L(level-1) for level >= 2;
 * WRITABLE for a RW L1 entry; NONE (general ref only) for a RO L1 entry. */
unsigned pv_pt_entry_target_type(unsigned level, uint64_t e);

/* mmu_update MMU_NORMAL_PT_UPDATE (preserve_ad false) and
 * MMU_PT_UPDATE_PRESERVE_AD (true): writes entry `index` of frame
 * table_mfn. If the frame is a validated L1..L4, the new entry is validated
 * and its references taken before the old entry's are dropped; if it is an
 * ordinary page (type NONE or WRITABLE) the value is stored as is. */
int pv_pt_update_entry(struct pv_mm_ctx *ctx, mfn_t table_mfn, unsigned index,
                       uint64_t new_entry, bool preserve_ad);
/* The writable-page-table emulation (include/keel/pv_ptwr.h): entry
 * `index` of the validated table table_mfn becomes new_entry, checked as
 * above, only if it still holds `expected` (atomically against the CPU's
 * accessed/dirty updates); else -EAGAIN and nothing changed. -EINVAL if
 * the frame is not a validated table of the domain. */
int pv_pt_cmpxchg_entry(struct pv_mm_ctx *ctx, mfn_t table_mfn, unsigned index,
                        uint64_t expected, uint64_t new_entry);
/* update_va_mapping: finds the L1 entry mapping `va` under the validated
 * L4 `l4_mfn` (every level present; -EINVAL otherwise or for a
 * non-canonical / hypervisor VA) and updates it as above. */
int pv_update_va_mapping(struct pv_mm_ctx *ctx, mfn_t l4_mfn, uint64_t va,
                         uint64_t new_entry);
int pv_find_l1_slot(struct pv_mm_ctx *ctx, mfn_t l4_mfn, uint64_t va,
                    mfn_t *l1_mfn, unsigned *index);

/* ---- references (mm/pv_refs.c) ---- */

/* True if mfn is a frame owned by ctx->domid (see above). */
bool pv_frame_owned(const struct pv_mm_ctx *ctx, mfn_t mfn);
/* True if the domain may map mfn RW now (owned; untyped or WRITABLE). */
bool pv_frame_is_writable_mappable(const struct pv_mm_ctx *ctx, mfn_t mfn);
/* True if no reference of any kind is held on mfn: only then may the memory
 * code free it or change its owner. */
bool pv_frame_unreferenced(const struct pv_mm_ctx *ctx, mfn_t mfn);

/* References held by one entry of a level-`level` table (see above):
 * taken after checking the bits, or dropped. For validated tables only. */
int pv_get_entry_refs(struct pv_mm_ctx *ctx, unsigned level, uint64_t e);
/* The same for an entry pv_pt_validate_entry has just accepted. */
int pv_get_entry_refs_validated(struct pv_mm_ctx *ctx, unsigned level, uint64_t e);
void pv_put_entry_refs(struct pv_mm_ctx *ctx, unsigned level, uint64_t e);

/* General reference (keeps the owner fixed). -EPERM, -EOVERFLOW. */
int pv_get_ref(struct pv_mm_ctx *ctx, mfn_t mfn);
void pv_put_ref(struct pv_mm_ctx *ctx, mfn_t mfn);
/* Type reference (with its general reference). Taking the first L1..L4 /
 * SEG_DESC ref validates the frame's contents; dropping the last
 * devalidates. -EPERM, -EINVAL (other type in use), -EBUSY, -EOVERFLOW,
 * or the first failing entry's error (everything undone). */
int pv_get_type(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned type);
void pv_put_type(struct pv_mm_ctx *ctx, mfn_t mfn);

/* MMUEXT_PIN_L{1..4}_TABLE / MMUEXT_UNPIN_TABLE. Pinning holds a type ref
 * until unpinned. -EINVAL if already pinned / not pinned / bad level. */
int pv_pin(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned level);
int pv_unpin(struct pv_mm_ctx *ctx, mfn_t mfn);

/* MMUEXT_NEW_BASEPTR / NEW_USER_BASEPTR: *cur is the vCPU's current base
 * (INVALID_MFN = none). Takes an L4 type ref on new_l4 (INVALID_MFN: none),
 * then drops the one on *cur, and sets *cur = new_l4. */
int pv_set_baseptr(struct pv_mm_ctx *ctx, mfn_t new_l4, mfn_t *cur);

/* Domain destruction. `ranges` lists every frame of the domain. Unpins all
 * and lets the devalidation cascade (the type graph is acyclic, so this
 * terminates with everything released). References the hypervisor forgot
 * to drop (vCPU CR3, ...) are then released by force, tables top-down.
 * Afterwards every listed frame owned by the domain has count 0 and type
 * NONE. Returns the number of references (type refs with their general
 * refs, or a frame's remaining general refs) released by force: 0 when the
 * caller dropped its own references first; else logged as a warning.
 * Idempotent. The domain's vCPUs must no longer run; not preemptible. */
struct pv_frame_range { mfn_t first; uint64_t count; };
long pv_relinquish_domain(struct pv_mm_ctx *ctx, const struct pv_frame_range *ranges,
                          size_t nr_ranges);

/* Hook for later: grants / privileged foreign mappings. Today every frame
 * of another owner is refused: -EBUSY as a mapping, -EINVAL as a table or
 * descriptor page, -EPERM where no RAM frame is (Xen 4.17's codes). */
int pv_foreign_frame_ref(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned type);

#endif
