/* PV page tables: the rules for one entry at each level (a table of allowed
 * bits), the bits the hypervisor forces into stored entries, and checked
 * updates of single entries (mmu_update, update_va_mapping). The reference
 * machinery is in mm/pv_refs.c; the design is in include/keel/pv_mm.h.
 * Facts: Xen PV ABI (ref/xen-pv-abi.md sections 3.3, 3.4, 5.3, 5.5). */
#include <keel/pv_mm.h>
#include <keel/errno.h>
#include <keel/log.h>

/* Bits a guest may set in a present entry, whatever the level. The address
 * bits are cut down to the CPU's MAXPHYADDR below. Bits 59..62 (protection
 * keys; 62 also marks grant mappings) and PSE/PWT/PCD/G are not here. */
#define PV_BASE_ALLOWED (PV_PTE_P | PV_PTE_RW | PV_PTE_US | PV_PTE_A | PV_PTE_D | \
                         PV_PTE_AVAIL | PV_PTE_AVAIL_HIGH | PV_PTE_NX | PV_PTE_ADDR)

struct level_rule {
    uint64_t allowed;       /* for every domain */
    uint64_t io_allowed;    /* in addition, for domains with I/O rights */
    uint64_t forced;        /* set in every present entry stored */
};

/* Index = level. No superpages (PSE in L2/L3, reserved bit 7 in L4): the
 * guest may not map 2 MiB / 1 GiB regions it has not shown us frame by
 * frame. Cache attributes only in leaves, and only for I/O domains. */
static const struct level_rule rules[5] = {
    [1] = { PV_BASE_ALLOWED | PV_PTE_G, PV_PTE_PWT | PV_PTE_PCD | PV_PTE_PAT, 0 },
    [2] = { PV_BASE_ALLOWED, 0, PV_PTE_US },
    [3] = { PV_BASE_ALLOWED, 0, PV_PTE_US },
    [4] = { PV_BASE_ALLOWED, 0, PV_PTE_US | PV_PTE_A },
};

int pv_pt_validate_entry(const struct pv_mm_ctx *ctx, unsigned level, uint64_t e)
{
    if (level < 1 || level > 4)
        return -EINVAL;
    if (!(e & PV_PTE_P))
        return 0;           /* not present: the CPU ignores the rest */
    if (ctx->maxphyaddr < 32 || ctx->maxphyaddr > 52)
        return -EINVAL;     /* misconfigured context: refuse everything */

    const struct level_rule *r = &rules[level];
    uint64_t allowed = r->allowed | (ctx->io_caps ? r->io_allowed : 0);
    uint64_t beyond = PV_PTE_ADDR & ~((1ULL << ctx->maxphyaddr) - 1);
    uint64_t bad = e & ~(allowed & ~beyond);

    /* An address past MAXPHYADDR names no frame at all: as a mapping
     * -EPERM, as Xen answers for a frame that is not RAM; as a table
     * -EINVAL (Xen: no page to take); bad flag bits are -EINVAL. */
    if (bad && !(bad & ~beyond)) {
        log_debug("pv_mm: d%u L%u entry 0x%lx: no such frame\n", ctx->domid, level,
                  (unsigned long)e);
        return level == 1 ? -EPERM : -EINVAL;
    }
    if (bad) {
        log_debug("pv_mm: d%u L%u entry 0x%lx: forbidden bits 0x%lx\n", ctx->domid, level,
                  (unsigned long)e, (unsigned long)bad);
        return -EINVAL;
    }
    return 0;
}

int pv_pt_validate_l1e(const struct pv_mm_ctx *ctx, uint64_t e) { return pv_pt_validate_entry(ctx, 1, e); }
int pv_pt_validate_l2e(const struct pv_mm_ctx *ctx, uint64_t e) { return pv_pt_validate_entry(ctx, 2, e); }
int pv_pt_validate_l3e(const struct pv_mm_ctx *ctx, uint64_t e) { return pv_pt_validate_entry(ctx, 3, e); }
int pv_pt_validate_l4e(const struct pv_mm_ctx *ctx, uint64_t e) { return pv_pt_validate_entry(ctx, 4, e); }

/* The guest kernel runs in ring 3, so U cannot protect it: kernel leaves
 * get U plus the GUEST_KERNEL software bit; user leaves (no bit 52) get G.
 * Only adds bits that carry no rights over other frames (idempotent). */
uint64_t pv_pt_adjust_entry(unsigned level, uint64_t e)
{
    if (!(e & PV_PTE_P) || level < 1 || level > 4)
        return e;
    e |= rules[level].forced;
    if (level == 1) {
        if (!(e & PV_PTE_US))
            e |= PV_PTE_US | PV_PTE_GUEST_KERNEL;
        if (!(e & PV_PTE_GUEST_KERNEL))
            e |= PV_PTE_G;
    }
    return e;
}

bool pv_pt_guest_slot(unsigned level, unsigned index)
{
    return !(level == 4 && index >= PV_HV_L4_FIRST && index < PV_HV_L4_FIRST + PV_HV_L4_COUNT);
}

unsigned pv_pt_entry_target_type(unsigned level, uint64_t e)
{
    if (level >= 2)
        return level - 1;
    return (e & PV_PTE_RW) ? PV_TYPE_WRITABLE : PV_TYPE_NONE;
}

/* True if old and new need exactly the same references (both absent, or
 * same frame and same type): then only the bits changed. */
static bool same_refs(unsigned level, uint64_t old, uint64_t new)
{
    if (!(old & PV_PTE_P) || !(new & PV_PTE_P))
        return !(old & PV_PTE_P) && !(new & PV_PTE_P);
    return pv_pte_mfn(old) == pv_pte_mfn(new) &&
           pv_pt_entry_target_type(level, old) == pv_pt_entry_target_type(level, new);
}

/* Stores new over old: plainly, or (expected set) only if the entry still
 * holds old, atomically against the CPU's A/D updates and other writers. */
static bool store_entry(uint64_t *slot, uint64_t old, uint64_t new, bool atomic)
{
    if (!atomic) {
        *slot = new;
        return true;
    }
    return __atomic_compare_exchange_n(slot, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Entry of a validated table: new refs first, store, then drop the old
 * entry's refs (which may devalidate a subtree; never this table, held by
 * refs from above it). With `expected`, the entry must still hold it
 * (else -EAGAIN, nothing changed). */
static int update_validated(struct pv_mm_ctx *ctx, uint64_t *p, unsigned level,
                            unsigned index, uint64_t new, bool preserve_ad,
                            const uint64_t *expected)
{
    uint64_t old = __atomic_load_n(&p[index], __ATOMIC_RELAXED);
    int rc;

    if (!pv_pt_guest_slot(level, index)) {
        log_debug("pv_mm: d%u write to hypervisor L4 slot %u\n", ctx->domid, index);
        return -EINVAL;
    }
    if (expected && old != *expected)
        return -EAGAIN;
    if (preserve_ad && (old & PV_PTE_P))
        new |= old & (PV_PTE_A | PV_PTE_D);
    rc = pv_pt_validate_entry(ctx, level, new);
    if (rc)
        return rc;
    new = pv_pt_adjust_entry(level, new);
    if (same_refs(level, old, new))
        return store_entry(&p[index], old, new, expected) ? 0 : -EAGAIN;
    rc = pv_get_entry_refs_validated(ctx, level, new);  /* checked just above */
    if (rc)
        return rc;
    if (!store_entry(&p[index], old, new, expected)) {
        pv_put_entry_refs(ctx, level, new);
        return -EAGAIN;
    }
    pv_put_entry_refs(ctx, level, old);
    return 0;
}

/* Ordinary page: stored as is, under a WRITABLE type ref for the duration
 * (so a table or descriptor page is refused, and a frame whose last type
 * was a table gets its stale TLB entries flushed first). */
static int store_plain(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned index, uint64_t new,
                       bool preserve_ad)
{
    int rc = pv_get_type(ctx, mfn, PV_TYPE_WRITABLE);

    if (rc)
        return rc;
    uint64_t *p = pv_map(ctx, mfn);
    if (preserve_ad && (p[index] & PV_PTE_P))
        new |= p[index] & (PV_PTE_A | PV_PTE_D);
    p[index] = new;
    pv_unmap(ctx, p);
    pv_put_type(ctx, mfn);
    return 0;
}

int pv_pt_update_entry(struct pv_mm_ctx *ctx, mfn_t table_mfn, unsigned index,
                       uint64_t new_entry, bool preserve_ad)
{
    if (index >= PV_PT_ENTRIES)
        return -EINVAL;
    /* Page tables of another domain (mmu_update's PFD): later, via a hook
     * like pv_foreign_frame_ref; refused today, with Xen's -EINVAL. */
    if (!pv_frame_owned(ctx, table_mfn))
        return -EINVAL;

    uint32_t ti = ctx->table[table_mfn].type_info;
    unsigned level = pv_ti_type(ti);

    if (pv_ti_count(ti) == 0 || !pv_type_is_pt(level))
        return store_plain(ctx, table_mfn, index, new_entry, preserve_ad);
    if (!(ti & PV_TI_VALIDATED))
        return -EBUSY;

    uint64_t *p = pv_map(ctx, table_mfn);
    int rc = update_validated(ctx, p, level, index, new_entry, preserve_ad, NULL);
    pv_unmap(ctx, p);
    return rc;
}

int pv_pt_cmpxchg_entry(struct pv_mm_ctx *ctx, mfn_t table_mfn, unsigned index,
                        uint64_t expected, uint64_t new_entry)
{
    if (index >= PV_PT_ENTRIES || !pv_frame_owned(ctx, table_mfn))
        return -EINVAL;
    uint32_t ti = ctx->table[table_mfn].type_info;
    if (pv_ti_count(ti) == 0 || !pv_type_is_pt(pv_ti_type(ti)) || !(ti & PV_TI_VALIDATED))
        return -EINVAL;
    uint64_t *p = pv_map(ctx, table_mfn);
    int rc = update_validated(ctx, p, pv_ti_type(ti), index, new_entry, false, &expected);
    pv_unmap(ctx, p);
    return rc;
}

static bool va_canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1ffff;
}

static unsigned va_index(uint64_t va, unsigned level)
{
    return (unsigned)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PV_PT_ENTRIES - 1);
}

/* Walks validated tables only: every present entry of a validated Ln
 * points at a validated L(n-1) of the same domain (the invariant). */
int pv_find_l1_slot(struct pv_mm_ctx *ctx, mfn_t l4_mfn, uint64_t va, mfn_t *l1_mfn,
                    unsigned *index)
{
    if (!va_canonical(va) || !pv_pt_guest_slot(4, va_index(va, 4)))
        return -EINVAL;
    if (!pv_frame_owned(ctx, l4_mfn))
        return -EPERM;

    uint32_t ti = ctx->table[l4_mfn].type_info;
    if (pv_ti_type(ti) != PV_TYPE_L4 || pv_ti_count(ti) == 0 || !(ti & PV_TI_VALIDATED))
        return -EINVAL;

    mfn_t cur = l4_mfn;
    for (unsigned level = 4; level >= 2; level--) {
        uint64_t *p = pv_map(ctx, cur);
        uint64_t e = p[va_index(va, level)];
        pv_unmap(ctx, p);
        if (!(e & PV_PTE_P))
            return -EINVAL;
        cur = pv_pte_mfn(e);
    }
    *l1_mfn = cur;
    *index = va_index(va, 1);
    return 0;
}

int pv_update_va_mapping(struct pv_mm_ctx *ctx, mfn_t l4_mfn, uint64_t va, uint64_t new_entry)
{
    mfn_t l1;
    unsigned index;
    int rc = pv_find_l1_slot(ctx, l4_mfn, va, &l1, &index);

    return rc ? rc : pv_pt_update_entry(ctx, l1, index, new_entry, false);
}
