/* memory_op (#12) (ref 5.10): the sub-ops that describe memory here; the
 * ones that change a domain's memory (increase/decrease/populate/exchange)
 * in hypercall/memory_reservation.c. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/hvm.h>
#include <keel/m2p.h>
#include <keel/memory_reservation.h>
#include <keel/mm.h>
#include <keel/vcpu.h>
#include <public/memory.h>

static struct domain *target_domain(struct vcpu *v, uint64_t arg, long *err)
{
    struct xen_memory_domain md;
    if (copy_from_guest(&md, arg, sizeof(md))) {
        *err = -EFAULT;
        return NULL;
    }
    if (md.domid == DOMID_SELF || md.domid == v->d->id)
        return v->d;
    if (!v->d->privileged) {
        *err = -EPERM;
        return NULL;
    }
    struct domain *d = domain_get(md.domid);    /* target_put drops it */
    *err = d ? 0 : -ESRCH;
    return d;
}

static void target_put(struct vcpu *v, struct domain *d)
{
    if (d && d != v->d)
        domain_put(d);
}

/* A PV guest's pseudo-physical map: RAM from 0 to its size (ref 5.10: one
 * RAM entry needs no remapping in Linux). */
static long memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_memory_map m;
    if (copy_from_guest(&m, arg, sizeof(m)))
        return -EFAULT;
    if (m.nr_entries < 1)
        return -EINVAL;
    struct e820_entry e = { 0, v->d->max_pages << PAGE_SHIFT, E820_RAM };
    if (copy_to_guest(m.buffer, &e, sizeof(e)))
        return -EFAULT;
    m.nr_entries = 1;
    return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

/* The host's memory map, for the privileged domain. */
static long machine_memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_memory_map m;
    if (!v->d->privileged)
        return -EPERM;
    if (copy_from_guest(&m, arg, sizeof(m)))
        return -EFAULT;
    unsigned n = mm_boot_map_entries();
    if (!m.buffer) {
        m.nr_entries = n;
        return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
    }
    if (m.nr_entries < n)
        return -ENOBUFS;
    for (unsigned i = 0; i < n; i++) {
        uint64_t base, len;
        uint32_t type;
        mm_boot_map_entry(i, &base, &len, &type);
        struct e820_entry e = { base, len, type };
        if (copy_to_guest(m.buffer + i * sizeof(e), &e, sizeof(e)))
            return -EFAULT;
    }
    m.nr_entries = n;
    return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

DECLARE_HYPERCALL(memory_op)
{
    (void)a3, (void)a4, (void)a5;
    unsigned op = (unsigned)(a1 & 0x3f);
    struct domain *d;
    long err, rc;

    if (v->d->type == DOMAIN_PVH) {
        bool common;
        long rc = hvm_memory_op(v, a1, a2, &common);
        if (!common)
            return rc;
    }
    switch (op) {
    case XENMEM_maximum_ram_page:
        return (long)m2p_max_mfn() - 1;
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return memory_reservation_op(v, regs, op, a1, a2);
    case XENMEM_exchange:
        return memory_exchange(v, regs, a2);
    case XENMEM_current_reservation:
        if (!(d = target_domain(v, a2, &err)))
            return err;
        domain_reap_given_back(d);      /* frames given back and unreferenced since */
        rc = (long)d->tot_pages;
        target_put(v, d);
        return rc;
    case XENMEM_maximum_reservation:
        if (!(d = target_domain(v, a2, &err)))
            return err;
        rc = (long)d->max_pages;
        target_put(v, d);
        return rc;
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping mm = { RO_MPT_VIRT_START, M2P_VIRT_END, m2p_max_mfn() - 1 };
        return copy_to_guest(a2, &mm, sizeof(mm)) ? -EFAULT : 0;
    }
    case XENMEM_machphys_mfn_list: {
        struct xen_machphys_mfn_list l;
        mfn_t ext[64];
        if (copy_from_guest(&l, a2, sizeof(l)))
            return -EFAULT;
        unsigned n = m2p_extents(ext, MIN(l.max_extents, (uint32_t)ARRAY_SIZE(ext)));
        for (unsigned i = 0; i < n; i++)
            if (copy_to_guest(l.extent_start + i * sizeof(uint64_t), &ext[i], sizeof(uint64_t)))
                return -EFAULT;
        l.nr_extents = n;
        return copy_to_guest(a2, &l, sizeof(l)) ? -EFAULT : 0;
    }
    case XENMEM_memory_map:
        return memory_map(v, a2);
    case XENMEM_machine_memory_map:
        return machine_memory_map(v, a2);
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_memory_op, "memory_op", op);
    }
}
