/* PV page types and reference counts: ownership, general and type refs,
 * validation and devalidation of whole tables, pinning, base pointers and
 * the release of everything when a domain dies. Design, invariants and
 * error meanings: include/keel/pv_mm.h. Per-entry rules: mm/pv_pt.c.
 *
 * Recursion: validating an Ln takes L(n-1) type refs on its targets, which
 * may validate those: at most 4 nested tables. Devalidation nests the same
 * way. Each level iterates its 512 entries; a failure at entry i drops the
 * refs of entries 0..i-1 again, so a failed call changes no count. */
#include <keel/pv_mm.h>
#include <keel/errno.h>
#include <keel/iomem.h>
#include <keel/log.h>

#define DOMID_FIRST_RESERVED 0x7ff0u

static struct frame *frame_of(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    return &ctx->table[mfn];
}

static bool entry_backed(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    return pv_entry_backed(ctx, mfn);
}

/* A managed frame (a reserved entry is all zeroes, which would read as
 * owner 0) naming the domain: the allocator clears the owner of every
 * frame it frees (include/keel/frame.h), so no free frame names one. */
bool pv_frame_owned(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (ctx->domid >= DOMID_FIRST_RESERVED || !entry_backed(ctx, mfn))
        return false;
    const struct frame *f = frame_of(ctx, mfn);
    return f->owner == ctx->domid && f->state != FRAME_RESERVED;
}

int pv_foreign_frame_ref(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned type)
{
    log_debug("pv_mm: d%u: frame 0x%lx (type %u wanted) is not the domain's\n", ctx->domid,
              (unsigned long)mfn, type);
    /* Xen 4.17's codes (tests/guests/t_mmu_attacks.c): no RAM frame there
     * -EPERM; a RAM frame of anyone else (the hypervisor, another domain,
     * nobody) -EBUSY as a mapping, -EINVAL as a table or descriptor page. */
    if (type != PV_TYPE_NONE && type != PV_TYPE_WRITABLE)
        return -EINVAL;
    return entry_backed(ctx, mfn) ? -EBUSY : -EPERM;
}

bool pv_frame_is_writable_mappable(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!pv_frame_owned(ctx, mfn))
        return false;
    uint32_t ti = frame_of(ctx, mfn)->type_info;
    return pv_ti_count(ti) == 0 || pv_ti_type(ti) == PV_TYPE_WRITABLE;
}

bool pv_frame_unreferenced(const struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!entry_backed(ctx, mfn))
        return true;
    const struct frame *f = frame_of(ctx, mfn);
    return f->count == 0 && pv_ti_count(f->type_info) == 0;
}

int pv_get_ref(struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!pv_frame_owned(ctx, mfn))
        return pv_foreign_frame_ref(ctx, mfn, PV_TYPE_NONE);
    struct frame *f = frame_of(ctx, mfn);
    if (f->count >= PV_COUNT_MAX)
        return -EOVERFLOW;
    f->count++;
    return 0;
}

/* Checks a put against the counts; false (and a log line) on a caller bug. */
static bool put_allowed(const struct pv_mm_ctx *ctx, mfn_t mfn, bool typed)
{
    const struct frame *f;
    uint32_t tc;

    if (!entry_backed(ctx, mfn)) {
        log_err("pv_mm: d%u: put on bad frame 0x%lx\n", ctx->domid, (unsigned long)mfn);
        return false;
    }
    f = frame_of(ctx, mfn);
    tc = pv_ti_count(f->type_info);
    if (typed ? (tc == 0 || f->count < tc) : f->count <= tc) {
        log_err("pv_mm: d%u: %s ref underflow on frame 0x%lx (count %u, type_info 0x%x)\n",
                ctx->domid, typed ? "type" : "general", (unsigned long)mfn, f->count,
                f->type_info);
        return false;
    }
    return true;
}

void pv_put_ref(struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (put_allowed(ctx, mfn, false))
        frame_of(ctx, mfn)->count--;
}

int pv_get_entry_refs(struct pv_mm_ctx *ctx, unsigned level, uint64_t e)
{
    int rc = pv_pt_validate_entry(ctx, level, e);
    return rc ? rc : pv_get_entry_refs_validated(ctx, level, e);
}

static int io_kind(const struct pv_mm_ctx *ctx, unsigned level, uint64_t e)
{
    if (level != 1 || !ctx->io_access)
        return IOMEM_RAM;
    return ctx->io_access(ctx->map_ctx, pv_pte_mfn(e));
}

/* An L1 entry naming I/O memory (Xen: a frame of dom_io or no frame at
 * all): allowed without references for a domain with I/O rights, as far
 * as the hypervisor's own devices allow; -EPERM otherwise (Xen's code for
 * a mapping of I/O memory without the permission), for a domain without
 * I/O rights too. */
static int io_entry(struct pv_mm_ctx *ctx, uint64_t e, int kind)
{
    if (!ctx->io_caps)
        return -EPERM;                  /* Xen: I/O memory without the permission */
    if (kind == IOMEM_RW || (kind == IOMEM_RO && !(e & PV_PTE_RW)))
        return 0;
    log_debug("pv_mm: d%u: I/O frame 0x%lx is the hypervisor's (%s)\n", ctx->domid,
              (unsigned long)pv_pte_mfn(e), kind == IOMEM_RO ? "read-only" : "no access");
    return -EPERM;
}

int pv_get_entry_refs_validated(struct pv_mm_ctx *ctx, unsigned level, uint64_t e)
{
    int rc;
    if (!(e & PV_PTE_P))
        return 0;
    int kind = io_kind(ctx, level, e);
    if (kind != IOMEM_RAM)
        return io_entry(ctx, e, kind);
    unsigned t = pv_pt_entry_target_type(level, e);
    if (t == PV_TYPE_NONE)
        return pv_get_ref(ctx, pv_pte_mfn(e));
    rc = pv_get_type(ctx, pv_pte_mfn(e), t);
    /* Xen's code for a RW mapping of a frame typed otherwise (a page table,
     * a descriptor page) is -EBUSY; pinning such a frame stays -EINVAL. */
    return rc == -EINVAL && t == PV_TYPE_WRITABLE ? -EBUSY : rc;
}

void pv_put_entry_refs(struct pv_mm_ctx *ctx, unsigned level, uint64_t e)
{
    if (!(e & PV_PTE_P) || io_kind(ctx, level, e) != IOMEM_RAM)
        return;
    if (pv_pt_entry_target_type(level, e) == PV_TYPE_NONE)
        pv_put_ref(ctx, pv_pte_mfn(e));
    else
        pv_put_type(ctx, pv_pte_mfn(e));
}

/* Takes the refs of every guest entry, writing each back as adjusted (one
 * read per entry: the refs taken match the value stored). On failure drops
 * the refs taken so far; entries keep the harmless adjusted bits. */
static int validate_table(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned level)
{
    uint64_t *p = pv_map(ctx, mfn);
    unsigned i;
    int rc = 0;

    for (i = 0; i < PV_PT_ENTRIES; i++) {
        if (!pv_pt_guest_slot(level, i))
            continue;
        uint64_t e = p[i];
        rc = pv_get_entry_refs(ctx, level, e);
        if (rc)
            break;
        p[i] = pv_pt_adjust_entry(level, e);
    }
    if (rc) {
        log_debug("pv_mm: d%u: L%u 0x%lx: entry %u refused (%d)\n", ctx->domid, level,
                  (unsigned long)mfn, i, rc);
        while (i-- > 0)
            if (pv_pt_guest_slot(level, i))
                pv_put_entry_refs(ctx, level, p[i]);
    } else if (level == 4) {
        for (i = 0; i < PV_HV_L4_COUNT; i++)
            p[PV_HV_L4_FIRST + i] = ctx->hv_l4_slots ? ctx->hv_l4_slots[i] : 0;
    }
    pv_unmap(ctx, p);
    return rc;
}

static void devalidate_table(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned level)
{
    uint64_t *p = pv_map(ctx, mfn);

    for (unsigned i = 0; i < PV_PT_ENTRIES; i++)
        if (pv_pt_guest_slot(level, i))
            pv_put_entry_refs(ctx, level, p[i]);
    pv_unmap(ctx, p);
}

static int check_desc_frame(struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!ctx->check_desc_page)
        return -EOPNOTSUPP;
    uint64_t *p = pv_map(ctx, mfn);
    int rc = ctx->check_desc_page(ctx->map_ctx, p);
    pv_unmap(ctx, p);
    return rc;
}

/* First type ref: the frame takes `type` (flushing translations made under
 * another previous type first), holds one ref while its contents are
 * checked (not VALIDATED: a request for it meanwhile gets -EBUSY), and
 * is restored bit for bit on failure. */
static int first_type_ref(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned type)
{
    struct frame *f = frame_of(ctx, mfn);
    uint32_t saved = f->type_info;
    unsigned last = pv_ti_type(saved);
    int rc = 0;

    if (last != PV_TYPE_NONE && last != type && ctx->flush_stale_tlbs)
        ctx->flush_stale_tlbs(ctx->map_ctx, mfn);
    f->type_info = ((uint32_t)type << PV_TI_TYPE_SHIFT) | 1;
    f->count++;
    if (pv_type_is_pt(type))
        rc = validate_table(ctx, mfn, type);
    else if (type == PV_TYPE_SEG_DESC)
        rc = check_desc_frame(ctx, mfn);
    if (rc) {
        f->count--;
        f->type_info = saved;
        return rc;
    }
    f->type_info |= PV_TI_VALIDATED;
    return 0;
}

int pv_get_type(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned type)
{
    if (type == PV_TYPE_NONE || type > PV_TYPE_WRITABLE)
        return -EINVAL;
    if (!pv_frame_owned(ctx, mfn))
        return pv_foreign_frame_ref(ctx, mfn, type);

    struct frame *f = frame_of(ctx, mfn);
    uint32_t ti = f->type_info;

    if (f->count >= PV_COUNT_MAX)
        return -EOVERFLOW;
    if (pv_ti_count(ti) == 0)
        return first_type_ref(ctx, mfn, type);
    if (pv_ti_type(ti) != type) {
        log_debug("pv_mm: d%u: frame 0x%lx is type %u (x%u), not %u\n", ctx->domid,
                  (unsigned long)mfn, pv_ti_type(ti), pv_ti_count(ti), type);
        return -EINVAL;
    }
    if (!(ti & PV_TI_VALIDATED))
        return -EBUSY;
    if (pv_ti_count(ti) == PV_TI_COUNT_MASK)
        return -EOVERFLOW;
    f->type_info++;
    f->count++;
    return 0;
}

/* Last type ref: devalidate (not VALIDATED meanwhile), keep the type field
 * as the last type (see the header: stale translations). */
void pv_put_type(struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!put_allowed(ctx, mfn, true))
        return;

    struct frame *f = frame_of(ctx, mfn);
    uint32_t ti = f->type_info;
    unsigned type = pv_ti_type(ti);

    if (pv_ti_count(ti) == 1 && (ti & PV_TI_PINNED)) {
        log_err("pv_mm: d%u: put of a pinned frame's last type ref 0x%lx\n", ctx->domid,
                (unsigned long)mfn);
        return;
    }

    if (pv_ti_count(ti) > 1) {
        f->type_info--;
    } else {
        f->type_info = ((uint32_t)type << PV_TI_TYPE_SHIFT) | 1;
        if (pv_type_is_pt(type))
            devalidate_table(ctx, mfn, type);
        f->type_info = (uint32_t)type << PV_TI_TYPE_SHIFT;
    }
    f->count--;
}

int pv_pin(struct pv_mm_ctx *ctx, mfn_t mfn, unsigned level)
{
    if (!pv_type_is_pt(level))
        return -EINVAL;
    if (!pv_frame_owned(ctx, mfn))
        return -EINVAL;                 /* Xen: not a page of the domain */
    if (frame_of(ctx, mfn)->type_info & PV_TI_PINNED)
        return -EINVAL;

    int rc = pv_get_type(ctx, mfn, level);
    if (!rc)
        frame_of(ctx, mfn)->type_info |= PV_TI_PINNED;
    return rc;
}

int pv_unpin(struct pv_mm_ctx *ctx, mfn_t mfn)
{
    if (!pv_frame_owned(ctx, mfn))
        return -EINVAL;
    struct frame *f = frame_of(ctx, mfn);
    if (!(f->type_info & PV_TI_PINNED))
        return -EINVAL;
    f->type_info &= ~PV_TI_PINNED;
    pv_put_type(ctx, mfn);
    return 0;
}

int pv_set_baseptr(struct pv_mm_ctx *ctx, mfn_t new_l4, mfn_t *cur)
{
    if (new_l4 != INVALID_MFN) {
        int rc = pv_get_type(ctx, new_l4, PV_TYPE_L4);
        if (rc)
            return rc;
    }
    if (*cur != INVALID_MFN)
        pv_put_type(ctx, *cur);
    *cur = new_l4;
    return 0;
}

/* Calls fn on every listed frame the domain owns. */
static void for_each_owned(struct pv_mm_ctx *ctx, const struct pv_frame_range *r, size_t nr,
                           void (*fn)(struct pv_mm_ctx *, mfn_t, void *), void *arg)
{
    for (size_t i = 0; i < nr; i++)
        for (uint64_t k = 0; k < r[i].count; k++)
            if (pv_frame_owned(ctx, r[i].first + k))
                fn(ctx, r[i].first + k, arg);
}

static void unpin_one(struct pv_mm_ctx *ctx, mfn_t mfn, void *arg)
{
    (void)arg;
    if (frame_of(ctx, mfn)->type_info & PV_TI_PINNED)
        pv_unpin(ctx, mfn);
}

struct force_pass {
    unsigned type;      /* type released in this pass; PV_TYPE_NONE: general refs */
    long forced;        /* frames released by force */
};

/* Releases refs nobody will put any more: a table's entries' refs first
 * (normal puts: their targets are at lower levels, released in a later
 * pass if still held), then the type refs with their general refs. */
static void force_one(struct pv_mm_ctx *ctx, mfn_t mfn, void *arg)
{
    struct force_pass *fp = arg;
    struct frame *f = frame_of(ctx, mfn);
    uint32_t tc = pv_ti_count(f->type_info);

    if (fp->type == PV_TYPE_NONE) {
        if (f->count) {
            fp->forced++;
            f->count = 0;
        }
        f->type_info = 0;
        return;
    }
    if (tc == 0 || pv_ti_type(f->type_info) != fp->type)
        return;
    fp->forced++;
    f->type_info = ((uint32_t)fp->type << PV_TI_TYPE_SHIFT) | 1;
    if (pv_type_is_pt(fp->type))
        devalidate_table(ctx, mfn, fp->type);
    f->type_info = (uint32_t)fp->type << PV_TI_TYPE_SHIFT;
    f->count = f->count > tc ? f->count - tc : 0;
}

long pv_relinquish_domain(struct pv_mm_ctx *ctx, const struct pv_frame_range *ranges,
                          size_t nr_ranges)
{
    /* Type refs only go from Ln to L(n-1): with the pins gone, the cascade
     * of devalidations releases every table no one else holds. */
    for_each_owned(ctx, ranges, nr_ranges, unpin_one, NULL);

    static const unsigned order[] = { PV_TYPE_L4, PV_TYPE_L3, PV_TYPE_L2, PV_TYPE_L1,
                                      PV_TYPE_SEG_DESC, PV_TYPE_WRITABLE, PV_TYPE_NONE };
    struct force_pass fp = { 0, 0 };
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        fp.type = order[i];
        for_each_owned(ctx, ranges, nr_ranges, force_one, &fp);
    }
    if (fp.forced)
        log_warn("pv_mm: d%u: %ld references released by force at destruction\n", ctx->domid,
                 fp.forced);
    return fp.forced;
}
