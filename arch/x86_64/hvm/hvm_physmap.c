/* Changes a PVH guest makes to its guest-physical map (Xen 4.17
 * arch/x86/mm/p2m.c xenmem_add_to_physmap_one and p2m_add_page,
 * common/memory.c guest_remove_page and populate_physmap):
 *  - add_to_physmap puts shared_info or a grant frame at a GFN, after
 *    unhooking it from where it was; what the GFN held goes: a special
 *    frame (shared_info, a grant frame) is only unhooked, the domain's RAM
 *    is given back (tot_pages down);
 *  - a GFN is removed (decrease_reservation): RAM given back and freed
 *    once no CPU can reach it (hv/domain.c domain_free_taken flushes the
 *    nested TLBs synchronously), a special frame only unhooked; a hole
 *    -ENOENT;
 *  - frames are put at GFNs (populate_physmap): what is there is replaced
 *    (Xen's p2m_add_page: its p2m type is RAM either way): RAM stays the
 *    domain's, unmapped, freed with the domain; a special frame is
 *    unhooked.
 * p2m updates run under the domain lock; frames are freed after it. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/grant_table.h>
#include <keel/mm.h>
#include <keel/vcpu.h>
#include <public/memory.h>

/* A special frame (shared_info, a grant frame) leaving its GFN: it is
 * mapped nowhere now. false if mfn is not one. */
static bool unhook_special(struct domain *d, mfn_t mfn)
{
    if (!mfn)
        return false;
    int idx = grant_table_frame_index(d, mfn);
    if (mfn == d->shared_info_mfn)
        d->hvm->shared_info_mapped = false;
    else if (idx >= 0)
        grant_table_set_frame_gfn(d, (unsigned)idx, GRANT_GFN_NONE);
    return mfn == d->shared_info_mfn || idx >= 0;
}

/* Unhooks whatever is at gfn (d's lock held). RAM taken from d is
 * returned in *freed (0 if none: a special frame, or a frame Keel still
 * references, kept until it lets go). */
static int remove_locked(struct domain *d, uint64_t gfn, mfn_t *freed)
{
    *freed = 0;
    mfn_t old = hvm_gfn_to_mfn(d, gfn);
    if (!old)
        return -ENOENT;
    if (!unhook_special(d, old)) {
        int rc = domain_take_frame(d, old, true);
        if (rc < 0)
            return rc;
        if (rc == DOMAIN_TAKEN)
            *freed = old;
    }
    return hvm_p2m_set(d, gfn, 0, 0);
}

int hvm_physmap_remove(struct domain *d, uint64_t gfn, mfn_t *freed)
{
    uint64_t f = domain_lock(d);
    int rc = remove_locked(d, gfn, freed);
    domain_unlock(d, f);
    return rc;
}

/* Puts special frame mfn (shared_info, grant frame) at gfn; *old_gfn is
 * where it was (~0: nowhere) and becomes gfn. */
static long map_special(struct domain *d, mfn_t mfn, uint64_t gfn, uint64_t *old_gfn)
{
    mfn_t freed = 0;
    long rc = 0;
    uint64_t f = domain_lock(d);
    mfn_t there = hvm_gfn_to_mfn(d, gfn);
    if (there && there != mfn)
        rc = remove_locked(d, gfn, &freed);
    if (!rc && *old_gfn != GRANT_GFN_NONE && *old_gfn != gfn)
        rc = hvm_p2m_set(d, *old_gfn, 0, 0);
    if (!rc)
        rc = hvm_p2m_set(d, gfn, mfn, NPT_R | NPT_W);
    if (!rc)
        *old_gfn = gfn;
    domain_unlock(d, f);
    if (freed)
        domain_free_taken(d, &freed, 1, 0);
    return rc;
}

long hvm_add_to_physmap(struct vcpu *v, unsigned space, uint64_t idx, uint64_t gfn)
{
    struct domain *d = v->d;
    struct hvm_domain *h = d->hvm;
    mfn_t mfn;
    if (gfn >= h->nr_gfns)
        return -EINVAL;
    if (space == XENMAPSPACE_shared_info) {
        if (idx != 0)
            return -EINVAL;
        uint64_t where = h->shared_info_mapped ? h->shared_info_gfn : GRANT_GFN_NONE;
        long rc = map_special(d, d->shared_info_mfn, gfn, &where);
        if (!rc) {
            h->shared_info_gfn = where;
            h->shared_info_mapped = true;
        }
        return rc;
    }
    /* Grant frame idx (Xen passes it on as unsigned int). Version 1 has no
     * status frames: the XENMAPIDX_grant_table_status bit stays in idx,
     * which is then past the maximum: -EINVAL, as Xen 4.17's
     * gnttab_map_frame on a v1 table. */
    unsigned frame = (unsigned)idx;
    if (grant_table_frame(d, frame, &mfn))
        return -EINVAL;                 /* Xen: also when growing fails */
    uint64_t where = grant_table_frame_gfn(d, frame);
    long r = map_special(d, mfn, gfn, &where);
    if (!r)
        grant_table_set_frame_gfn(d, frame, where);
    return r;
}

int hvm_physmap_populate(struct domain *d, uint64_t gfn, mfn_t mfn, unsigned order)
{
    struct hvm_domain *h = d->hvm;
    uint64_t n = 1UL << order;
    if (gfn >= h->nr_gfns || n > h->nr_gfns - gfn)
        return -EINVAL;
    int rc = 0;
    uint64_t f = domain_lock(d);
    uint64_t done = 0;
    for (; done < n && !rc; done++) {
        unhook_special(d, hvm_gfn_to_mfn(d, gfn + done));
        rc = hvm_p2m_set(d, gfn + done, mfn + done, NPT_RWX);
    }
    if (rc)
        while (done-- > 0)              /* the caller frees the extent */
            hvm_p2m_set(d, gfn + done, 0, 0);
    domain_unlock(d, f);
    return rc;
}
