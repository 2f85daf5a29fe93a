/* hvm_op (#34) and the PVH side of memory_op (#12). Facts: Xen 4.17
 * public/hvm/hvm_op.h (set_param 0, get_param 1; struct xen_hvm_param:
 * domid @0, index @4, value @8), public/hvm/params.h (HVM_PARAM_CALLBACK_IRQ
 * 0 with the type in bits 56-63, type 2 = vector in bits 0-7),
 * public/memory.h (XENMEM_add_to_physmap 7, XENMAPSPACE_*);
 * HVMOP_set_evtchn_upcall_vector 23 with struct { uint32_t vcpu; uint8_t
 * vector; } (public/hvm/hvm_op.h). */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/hypercall.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/vcpu.h>
#include <public/memory.h>
#include <public/xen.h>

#define HVMOP_set_param         0
#define HVMOP_get_param         1
#define HVMOP_set_evtchn_upcall_vector 23
#define HVM_PARAM_CALLBACK_IRQ  0
#define CALLBACK_TYPE_SHIFT     56
#define CALLBACK_TYPE_VECTOR    2

struct xen_hvm_param {
    domid_t domid;
    uint16_t pad;
    uint32_t index;
    uint64_t value;
};
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param size");

struct xen_hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
};
_Static_assert(sizeof(struct xen_hvm_evtchn_upcall_vector) == 8, "upcall_vector size");

static bool is_self(struct vcpu *v, domid_t id)
{
    return id == DOMID_SELF || id == v->d->id;
}

/* Only the vector type means anything for a PVH domain: it has no
 * emulated PIC or IO-APIC, so any other type (GSI, PCI INTx, none) is
 * accepted and changes nothing, as Xen 4.17 hvm_set_callback_via returns
 * early without a vPIC (Linux sets GSI 1 after a per-vCPU upcall vector,
 * "to trick the toolstack"). Vectors below 0x10 are exceptions: -EINVAL. */
static long set_callback(struct vcpu *v, uint64_t value)
{
    unsigned type = (unsigned)(value >> CALLBACK_TYPE_SHIFT);
    if (type != CALLBACK_TYPE_VECTOR) {
        if (!v->d->hvm->callback_type_noted) {
            v->d->hvm->callback_type_noted = true;
            log_info("domain %u: HVM_PARAM_CALLBACK_IRQ %#lx (type %u): no emulated interrupt "
                     "controller, nothing changes (as Xen)\n", v->d->id, value, type);
        }
        return 0;
    }
    uint8_t vector = (uint8_t)value;
    if (vector < 0x10)
        return -EINVAL;                 /* an exception vector */
    v->d->hvm->callback_vector = vector;
    return 0;
}

/* A vCPU's own event vector, through its local APIC (Linux >= 6.0 when
 * CPUID base+4 has bit 6): from now on every upcall_pending 0->1 of that
 * vCPU sets the vector in its LAPIC's IRR (evtchn_kick), the guest EOIs
 * it. As Xen 4.17 hvmop_set_evtchn_upcall_vector: vectors below 0x10
 * -EINVAL, no such vCPU -ENOENT, and the vector is raised once at once. */
static long set_upcall_vector(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_evtchn_upcall_vector u;
    if (copy_from_guest(&u, arg, sizeof(u)))
        return -EFAULT;
    if (u.vector < 0x10)
        return -EINVAL;
    struct vcpu *t = u.vcpu < v->d->nr_vcpus ? v->d->vcpu[u.vcpu] : NULL;
    if (!t || !t->hvm)
        return -ENOENT;
    if (t->hvm->upcall_vector != u.vector)
        log_info("domain %u vcpu %u: event upcall vector %#x\n", v->d->id, t->id, u.vector);
    __atomic_store_n(&t->hvm->upcall_vector, u.vector, __ATOMIC_RELEASE);
    vlapic_set_irq(t, u.vector);
    return 0;
}

DECLARE_HYPERCALL(hvm_op)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    struct xen_hvm_param p;
    if (!v->d->hvm)
        return -ENOSYS;
    switch (a1) {
    case HVMOP_set_param:
    case HVMOP_get_param:
        if (copy_from_guest(&p, a2, sizeof(p)))
            return -EFAULT;
        if (!is_self(v, p.domid))
            return -EPERM;              /* a toolstack's business */
        if (p.index >= HVM_NR_PARAMS)
            return -EINVAL;
        if (a1 == HVMOP_get_param) {
            p.value = v->d->hvm->params[p.index];
            return copy_to_guest(a2, &p, sizeof(p)) ? -EFAULT : 0;
        }
        if (p.index != HVM_PARAM_CALLBACK_IRQ)
            return -EPERM;              /* the others are set by the builder */
        long rc = set_callback(v, p.value);
        if (!rc)
            v->d->hvm->params[p.index] = p.value;
        return rc;
    case HVMOP_set_evtchn_upcall_vector:
        return set_upcall_vector(v, a2);
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_hvm_op, "hvm_op", a1);
    }
}

/* XENMEM_add_to_physmap (Xen 4.17 common/memory.c do_memory_op and
 * xenmem_add_to_physmap_one): gmfn_foreign only through the batch form
 * (-ENOSYS), the GMFN spaces not done yet (-ENOSYS, logged), anything
 * else but shared_info and grant_table -EINVAL. The mapping itself in
 * hvm_physmap.c. */
static long add_to_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_add_to_physmap x;
    if (copy_from_guest(&x, arg, sizeof(x)))
        return -EFAULT;
    if (x.space == XENMAPSPACE_gmfn_foreign)
        return -ENOSYS;
    if (!is_self(v, x.domid))
        return -EPERM;
    switch (x.space) {
    case XENMAPSPACE_shared_info:
    case XENMAPSPACE_grant_table:
        return hvm_add_to_physmap(v, x.space, x.idx, x.gpfn);
    case XENMAPSPACE_gmfn:
    case XENMAPSPACE_gmfn_range:
        return hypercall_unimplemented(v, __HYPERVISOR_memory_op, "add_to_physmap space", x.space);
    default:
        return -EINVAL;
    }
}

/* XENMEM_memory_map for a PVH guest: the map its start_info carries
 * (hv/dom_build_pvh.c), in e820 records. */
static long memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_memory_map m;
    const struct hvm_domain *h = v->d->hvm;
    if (copy_from_guest(&m, arg, sizeof(m)))
        return -EFAULT;
    if (m.nr_entries < h->nr_memmap)
        return -ENOBUFS;
    if (copy_to_guest(m.buffer, h->memmap, h->nr_memmap * sizeof(h->memmap[0])))
        return -EFAULT;
    m.nr_entries = h->nr_memmap;
    return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

/* memory_op from a PVH guest: add_to_physmap here; the sub-ops that only
 * describe memory, decrease_reservation and populate_physmap go to the
 * common code (*common = true; hypercall/memory_reservation.c takes GFNs
 * for a PVH domain); increase_reservation and exchange are -ENOSYS. */
long hvm_memory_op(struct vcpu *v, uint64_t a1, uint64_t a2, bool *common)
{
    unsigned op = (unsigned)(a1 & 0x3f);
    *common = false;
    switch (op) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, a2);
    case XENMEM_memory_map:
        return memory_map(v, a2);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        *common = true;
        return 0;
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_memory_op, "memory_op (PVH)", op);
    }
}
