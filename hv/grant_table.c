/* Per-domain grant table: the version 1 shared frames (public/grant_table.h
 * grant_entry_v1), allocated zeroed on demand up to GRANT_FRAMES_MAX. Keel
 * only hands the frames out for now (GNTTABOP_setup_table for PV,
 * XENMAPSPACE_grant_table for PVH); mapping and copying grants come with
 * PV devices. Each frame holds one PV writable type reference of Keel's,
 * as Xen's share_xen_page_with_guest(SHARE_rw) does: it can never become a
 * page table or descriptor page, so Keel may write into it later. */
#include <keel/grant_table.h>
#include <keel/alloc.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/spinlock.h>
#include <keel/string.h>

struct grant_table {
    spinlock_t lock;                    /* growth */
    unsigned nr_frames, max_frames;
    mfn_t frames[GRANT_FRAMES_MAX];
    uint64_t gfns[GRANT_FRAMES_MAX];    /* PVH: where each is mapped */
};

static int add_frame(struct domain *d, struct grant_table *gt)
{
    mfn_t m;
    if (alloc_frames(0, &m))
        return -ENOMEM;
    memset(mfn_to_virt(m), 0, PAGE_SIZE);
    uint64_t f = domain_lock(d);
    struct frame *fr = &frame_table[m];
    fr->count = 0;
    fr->type_info = 0;
    fr->flags = FRAME_FLAG_GRANT;
    fr->owner = d->id;
    int rc = pv_get_type(&d->mm_ctx, m, PV_TYPE_WRITABLE);
    if (rc)
        fr->owner = FRAME_OWNER_HV;
    domain_unlock(d, f);
    if (rc) {
        fr->flags = 0;
        free_frames(m, 0);
        return -ENOMEM;
    }
    gt->gfns[gt->nr_frames] = GRANT_GFN_NONE;
    __atomic_store_n(&gt->frames[gt->nr_frames], m, __ATOMIC_RELEASE);
    __atomic_store_n(&gt->nr_frames, gt->nr_frames + 1, __ATOMIC_RELEASE);
    return 0;
}

int grant_table_init(struct domain *d)
{
    struct grant_table *gt = kzalloc(sizeof(*gt));
    if (!gt)
        return -ENOMEM;
    gt->lock = (spinlock_t)SPINLOCK_INIT;
    gt->max_frames = GRANT_FRAMES_MAX;
    d->grant_table = gt;
    return grant_table_grow(d, GRANT_FRAMES_INITIAL);
}

void grant_table_relinquish(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    if (!gt)
        return;
    uint64_t f = domain_lock(d);
    for (unsigned i = 0; i < gt->nr_frames; i++)
        pv_put_type(&d->mm_ctx, gt->frames[i]);
    domain_unlock(d, f);
}

void grant_table_destroy(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    if (!gt)
        return;
    for (unsigned i = 0; i < gt->nr_frames; i++) {
        mfn_t m = gt->frames[i];
        struct frame *fr = &frame_table[m];
        fr->count = 0;                  /* (every reference is gone by now) */
        fr->type_info = 0;
        fr->flags = 0;
        fr->owner = FRAME_OWNER_HV;
        memset(mfn_to_virt(m), 0, PAGE_SIZE);
        free_frames(m, 0);
    }
    kfree(gt);
    d->grant_table = NULL;
}

unsigned grant_table_nr_frames(struct domain *d)
{
    return d->grant_table ? __atomic_load_n(&d->grant_table->nr_frames, __ATOMIC_ACQUIRE) : 0;
}

unsigned grant_table_max_frames(struct domain *d)
{
    return d->grant_table ? d->grant_table->max_frames : 0;
}

int grant_table_grow(struct domain *d, unsigned nr)
{
    struct grant_table *gt = d->grant_table;
    if (!gt || nr > gt->max_frames)
        return -EINVAL;
    int rc = 0;
    uint64_t f = spin_lock_irqsave(&gt->lock);
    unsigned from = gt->nr_frames;
    while (!rc && gt->nr_frames < nr)
        rc = add_frame(d, gt);
    spin_unlock_irqrestore(&gt->lock, f);
    if (gt->nr_frames > from && from >= GRANT_FRAMES_INITIAL)
        log_info("domain %u: grant table grown from %u to %u frames\n", d->id, from, gt->nr_frames);
    return rc;
}

int grant_table_frame(struct domain *d, unsigned idx, mfn_t *mfn)
{
    if (idx >= GRANT_FRAMES_MAX)
        return -EINVAL;
    int rc = grant_table_grow(d, idx + 1);
    if (rc)
        return rc;
    *mfn = __atomic_load_n(&d->grant_table->frames[idx], __ATOMIC_ACQUIRE);
    return 0;
}

uint64_t grant_table_frame_gfn(struct domain *d, unsigned idx)
{
    struct grant_table *gt = d->grant_table;
    return gt && idx < grant_table_nr_frames(d) ? gt->gfns[idx] : GRANT_GFN_NONE;
}

void grant_table_set_frame_gfn(struct domain *d, unsigned idx, uint64_t gfn)
{
    struct grant_table *gt = d->grant_table;
    if (gt && idx < grant_table_nr_frames(d))
        gt->gfns[idx] = gfn;
}

int grant_table_frame_index(struct domain *d, mfn_t mfn)
{
    struct grant_table *gt = d->grant_table;
    if (!gt || frame_table[mfn].owner != d->id || !(frame_table[mfn].flags & FRAME_FLAG_GRANT))
        return -1;
    unsigned n = grant_table_nr_frames(d);
    for (unsigned i = 0; i < n; i++)
        if (gt->frames[i] == mfn)
            return (int)i;
    return -1;
}
