/* physdev_op (#33) (ref 5.19; Xen 4.17's xen/arch/x86/physdev.c for the
 * errors): the virtual IOPL, and for the privileged domain its physical
 * interrupts (hv/pirq.c: GSIs as pirqs, their trigger mode, status and
 * EOI), reads of the IO-APICs, and the PCI devices it announces. */
#include <keel/hypercall.h>
#include <keel/apic.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/pirq.h>
#include <keel/vcpu.h>
#include <public/physdev.h>

static long map_pirq(struct vcpu *v, uint64_t arg)
{
    struct physdev_map_pirq m;
    if (copy_from_guest(&m, arg, sizeof(m)))
        return -EFAULT;
    if (m.domid != DOMID_SELF && m.domid != v->d->id)
        return -EPERM;                  /* for another domain: not yet (passthrough) */
    int pirq = m.pirq;
    long rc;
    switch (m.type) {
    case MAP_PIRQ_TYPE_GSI:
        rc = pirq_map_gsi(v->d, m.index, &pirq);
        break;
    case MAP_PIRQ_TYPE_MSI:
    case MAP_PIRQ_TYPE_MSI_SEG: {
        /* As Xen: segment in bus bits 16+ for MSI_SEG only, bus and devfn
         * taken as bytes; a table_base (MSI-X) means MSI-X, and Keel finds
         * the table through the function's BAR itself (Xen 4.17 too; it
         * only warns when the guest's differs). index must be -1: Keel
         * creates the IRQ (Xen accepts an existing MSI IRQ of its own). */
        unsigned seg = m.type == MAP_PIRQ_TYPE_MSI_SEG ? (uint32_t)m.bus >> 16 : 0;
        if (m.index != -1)
            return -EINVAL;
        rc = pirq_map_msi(v->d, seg, (uint8_t)m.bus, (uint8_t)m.devfn, m.table_base != 0,
                          m.table_base ? (uint32_t)m.entry_nr : 0, &pirq);
        break;
    }
    default:
        return -EINVAL;                 /* MULTI_MSI (several vectors): not served */
    }
    if (rc)
        return rc;
    m.pirq = pirq;
    return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

static long unmap_pirq(struct vcpu *v, uint64_t arg)
{
    struct physdev_unmap_pirq u;
    if (copy_from_guest(&u, arg, sizeof(u)))
        return -EFAULT;
    if (u.domid != DOMID_SELF && u.domid != v->d->id)
        return -EPERM;
    return pirq_unmap(v->d, u.pirq);
}

static long apic_read(struct vcpu *v, uint64_t arg)
{
    struct physdev_apic a;
    if (!v->d->privileged)
        return -EPERM;
    if (copy_from_guest(&a, arg, sizeof(a)))
        return -EFAULT;
    long rc = ioapic_read_reg(a.apic_physbase, a.reg, &a.value);
    if (rc)
        return rc;
    return copy_to_guest(arg, &a, sizeof(a)) ? -EFAULT : 0;
}

DECLARE_HYPERCALL(physdev_op)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    switch ((int)a1) {
    case PHYSDEVOP_set_iopl: {
        uint32_t iopl;
        if (copy_from_guest(&iopl, a2, sizeof(iopl)))
            return -EFAULT;
        if (iopl > 3)
            return -EINVAL;
        v->iopl = iopl;
        return 0;
    }
    case PHYSDEVOP_map_pirq:
        return map_pirq(v, a2);
    case PHYSDEVOP_unmap_pirq:
        return unmap_pirq(v, a2);
    case PHYSDEVOP_setup_gsi: {
        struct physdev_setup_gsi g;
        if (copy_from_guest(&g, a2, sizeof(g)))
            return -EFAULT;
        /* triggering 1 = level, polarity 1 = active low (Linux's values). */
        return pirq_setup_gsi(v->d, g.gsi, g.triggering != 0, g.polarity != 0);
    }
    case PHYSDEVOP_irq_status_query: {
        struct physdev_irq_status_query q;
        if (copy_from_guest(&q, a2, sizeof(q)))
            return -EFAULT;
        long rc = pirq_status(v->d, q.irq, &q.flags);
        if (rc)
            return rc;
        return copy_to_guest(a2, &q, sizeof(q)) ? -EFAULT : 0;
    }
    case PHYSDEVOP_eoi: {
        struct physdev_eoi e;
        if (copy_from_guest(&e, a2, sizeof(e)))
            return -EFAULT;
        return pirq_eoi(v->d, e.irq);
    }
    case PHYSDEVOP_alloc_irq_vector: {
        /* Vectors are Keel's business: as Xen, the answer is the IRQ
         * number itself (dom0 only records it). */
        struct physdev_irq i;
        if (!v->d->privileged)
            return -EPERM;
        if (copy_from_guest(&i, a2, sizeof(i)))
            return -EFAULT;
        i.vector = i.irq;
        return copy_to_guest(a2, &i, sizeof(i)) ? -EFAULT : 0;
    }
    case PHYSDEVOP_get_free_pirq: {
        /* Keel reserves an MSI pirq whatever the type (a GSI's pirq is the
         * GSI itself here); Xen 4.17 gives a GSI-type caller a free pirq
         * from 16 up. */
        struct physdev_get_free_pirq g;
        if (copy_from_guest(&g, a2, sizeof(g)))
            return -EFAULT;
        int p = pirq_msi_reserve(v->d);
        if (p < 0)
            return p;
        g.pirq = (uint32_t)p;
        return copy_to_guest(a2, &g, sizeof(g)) ? -EFAULT : 0;
    }
    case PHYSDEVOP_apic_read:
        return apic_read(v, a2);
    case PHYSDEVOP_apic_write:
        /* Keel owns the IO-APICs; Linux 6.1 as dom0 only reads them. */
        return -EPERM;
    case PHYSDEVOP_manage_pci_add:
    case PHYSDEVOP_manage_pci_add_ext:
    case PHYSDEVOP_pci_device_add:
    case PHYSDEVOP_manage_pci_remove:
    case PHYSDEVOP_pci_device_remove:
        /* dom0 announces the PCI devices it found; Keel (no IOMMU, no MSI
         * yet) needs no list of them. */
        return v->d->privileged ? 0 : -EPERM;
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_physdev_op, "physdev_op", a1);
    }
}
