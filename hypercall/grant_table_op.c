/* grant_table_op (#20) (ref 5.13): the sub-ops that size, version and
 * hand out a domain's grant table (hv/grant_table.c); mapping, copying and
 * transferring grants come with PV devices (-ENOSYS, logged once). Xen
 * 4.17's rules (xen/common/grant_table.c do_grant_table_op,
 * gnttab_setup_table, gnttab_query_size; arch/x86/hvm/hypercall.c
 * hvm_grant_table_op), checked by tests/guests/t_grant_table.c:
 *  - (int)count < 0, or bits above the sub-op (cache_flush aside): -EINVAL;
 *  - query_size and setup_table: count != 1 -EINVAL, an unreadable
 *    argument -EFAULT; otherwise 0 with the outcome in status (unknown
 *    domain GNTST_bad_domain, another domain without privilege
 *    GNTST_permission_denied);
 *  - setup_table: a frame_list outside guest space -EFAULT (before the
 *    domain is looked at); nr_frames above the maximum GNTST_general_error;
 *    the table grows to nr_frames; frame_list gets each frame's MFN (PV)
 *    or the GFN where it is mapped (PVH; ~0 where nowhere, the M2P's
 *    invalid entry); an unwritable list GNTST_bad_virt_addr; only the
 *    status field is written back;
 *  - from a PVH guest only query_size, setup_table, set/get_version, copy,
 *    map, unmap and swap reach the common code; the rest -ENOSYS. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/grant_table.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/grant_table.h>

/* The domain an op names, with a reference if not the caller's own
 * (target_put drops it); NULL with *status set if none or forbidden. */
static struct domain *target(struct vcpu *v, domid_t id, int16_t *status)
{
    if (id == DOMID_SELF || id == v->d->id)
        return v->d;
    struct domain *d = domain_get(id);
    if (!d)
        *status = GNTST_bad_domain;
    else if (!v->d->privileged) {
        domain_put(d);
        d = NULL;
        *status = GNTST_permission_denied;
    }
    return d;
}

static void target_put(struct vcpu *v, struct domain *d)
{
    if (d && d != v->d)
        domain_put(d);
}

static long query_size(struct vcpu *v, uint64_t arg, uint64_t count)
{
    struct gnttab_query_size q;
    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&q, arg, sizeof(q)))
        return -EFAULT;
    struct domain *d = target(v, q.dom, &q.status);
    if (d) {
        q.nr_frames = grant_table_nr_frames(d);
        q.max_nr_frames = grant_table_max_frames(d);
        q.status = GNTST_okay;
        target_put(v, d);
    }
    return copy_to_guest(arg, &q, sizeof(q)) ? -EFAULT : 0;
}

static int16_t setup_frames(struct domain *d, const struct gnttab_setup_table *s)
{
    if (s->nr_frames > grant_table_max_frames(d) || grant_table_grow(d, s->nr_frames))
        return GNTST_general_error;
    int16_t status = GNTST_okay;
    for (unsigned i = 0; i < s->nr_frames; i++) {
        mfn_t mfn;
        uint64_t f = grant_table_frame(d, i, &mfn) ? GRANT_GFN_NONE : mfn;
        if (d->type == DOMAIN_PVH)
            f = grant_table_frame_gfn(d, i);
        if (copy_to_guest(s->frame_list + i * 8UL, &f, 8))
            status = GNTST_bad_virt_addr;
    }
    return status;
}

static long setup_table(struct vcpu *v, uint64_t arg, uint64_t count)
{
    struct gnttab_setup_table s;
    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&s, arg, sizeof(s)))
        return -EFAULT;
    if (!guest_range_ok(s.frame_list, s.nr_frames * 8UL))
        return -EFAULT;
    struct domain *d = target(v, s.dom, &s.status);
    if (d) {
        s.status = setup_frames(d, &s);
        target_put(v, d);
    }
    return copy_to_guest(arg + offsetof(struct gnttab_setup_table, status), &s.status,
                         sizeof(s.status)) ? -EFAULT : 0;
}

/* Keel's tables are version 1 only, as Xen's with gnttab=max-ver:1:
 * set_version 1 is 0, 2 is -ENOSYS ("as before set_version existed"; Linux
 * then stays on v1), anything else -EINVAL; the version in force is
 * written back in every case but -EFAULT. */
static long set_version(uint64_t arg)
{
    struct gnttab_set_version sv;
    if (copy_from_guest(&sv, arg, sizeof(sv)))
        return -EFAULT;
    long rc = sv.version == 1 ? 0 : sv.version == 2 ? -ENOSYS : -EINVAL;
    sv.version = 1;
    return copy_to_guest(arg, &sv, sizeof(sv)) ? -EFAULT : rc;
}

/* get_version: -ESRCH for no such domain, -EPERM for another one without
 * privilege (Xen's XSM_TARGET), only the version field written. */
static long get_version(struct vcpu *v, uint64_t arg)
{
    struct gnttab_get_version gv;
    int16_t status = GNTST_okay;
    if (copy_from_guest(&gv, arg, sizeof(gv)))
        return -EFAULT;
    struct domain *d = target(v, gv.dom, &status);
    if (!d)
        return status == GNTST_bad_domain ? -ESRCH : -EPERM;
    target_put(v, d);
    gv.version = 1;
    return copy_to_guest(arg + offsetof(struct gnttab_get_version, version), &gv.version,
                         sizeof(gv.version)) ? -EFAULT : 0;
}

static bool allowed_for_pvh(unsigned cmd)
{
    switch (cmd) {
    case GNTTABOP_query_size: case GNTTABOP_setup_table:
    case GNTTABOP_set_version: case GNTTABOP_get_version:
    case GNTTABOP_copy: case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref: case GNTTABOP_swap_grant_ref:
        return true;
    default:
        return false;
    }
}

DECLARE_HYPERCALL(grant_table_op)
{
    (void)regs, (void)a4, (void)a5;
    unsigned cmd = (unsigned)a1;
    if (v->d->type == DOMAIN_PVH && !allowed_for_pvh(cmd))
        return -ENOSYS;                 /* Xen: "need auditing", not logged */
    if ((int)a3 < 0)
        return -EINVAL;
    if ((cmd & ~GNTTABOP_CMD_MASK) && (cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush)
        return -EINVAL;
    switch (cmd & GNTTABOP_CMD_MASK) {
    case GNTTABOP_query_size:
        return query_size(v, a2, (uint32_t)a3);
    case GNTTABOP_setup_table:
        return setup_table(v, a2, (uint32_t)a3);
    case GNTTABOP_set_version:
        return set_version(a2);
    case GNTTABOP_get_version:
        return get_version(v, a2);
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_grant_table_op, "grant_table_op",
                                       cmd & GNTTABOP_CMD_MASK);
    }
}
