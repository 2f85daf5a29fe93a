/* physdev: physical interrupts and IO-APIC reads of the privileged domain
 * (physdev_op #33 and EVTCHNOP_bind_pirq, ref 5.18/5.19): map a GSI as a
 * pirq, its status, bind it to an event channel (once), EOI, unmap; the
 * IO-APIC version register through apic_read; the errors for what does not
 * exist. As a domU (pair with exceptions) every privileged sub-op is
 * refused and nothing can be bound. GSI 10 is a PCI link interrupt no
 * device uses on QEMU's i440fx (level, active high by the MADT).
 * guest-run: smp=2 */
#include "guest.h"

GUEST_TEST("physdev");

#define EPERM 1
#define ENODEV 19
#define EEXIST 17
#define EINVAL 22

#define FREE_GSI 10
#define IOAPIC_BASE 0xfec00000UL

static long physdev(int cmd, void *arg) { return HYPERVISOR_physdev_op(cmd, arg); }
static long evtchn(int cmd, void *arg) { return HYPERVISOR_event_channel_op(cmd, arg); }

static long map_gsi(uint16_t domid, int gsi, int want_pirq, int *pirq)
{
    struct physdev_map_pirq m = { .domid = domid, .type = MAP_PIRQ_TYPE_GSI, .index = gsi,
                                  .pirq = want_pirq };
    long rc = physdev(PHYSDEVOP_map_pirq, &m);
    if (pirq)
        *pirq = m.pirq;
    return rc;
}

static long bind_pirq(uint32_t pirq, uint32_t *port)
{
    struct evtchn_bind_pirq b = { .pirq = pirq, .flags = BIND_PIRQ__WILL_SHARE };
    long rc = evtchn(EVTCHNOP_bind_pirq, &b);
    *port = b.port;
    return rc;
}

static long eoi(uint32_t pirq)
{
    struct physdev_eoi e = { .irq = pirq };
    return physdev(PHYSDEVOP_eoi, &e);
}

static long map_msi(int type, int index, int bus, int devfn, int entry, uint64_t table,
                    int *pirq)
{
    struct physdev_map_pirq m = { .domid = DOMID_SELF, .type = type, .index = index,
                                  .pirq = -1, .bus = bus, .devfn = devfn, .entry_nr = entry,
                                  .table_base = table };
    long rc = physdev(PHYSDEVOP_map_pirq, &m);
    *pirq = m.pirq;
    return rc;
}

/* MSI requests that must fail the same way on Keel and Xen 4.17 (its
 * physdev.c / irq.c / msi.c): no such function, a foreign IRQ as index,
 * MULTI_MSI with a table, unknown types; a pirq from get_free_pirq is not
 * mapped (unmap and bind refuse it). The test rig has no MSI device. */
static void msi_errors(void)
{
    int pirq;
    /* 00:1f.7 and ff:1f.7 do not exist on the rig's i440fx. */
    check_eq("map MSI, no such function", map_msi(MAP_PIRQ_TYPE_MSI, -1, 0, 0xff, 0, 0, &pirq),
             -ENODEV);
    check_eq("map MSI-X, no such function",
             map_msi(MAP_PIRQ_TYPE_MSI_SEG, -1, 0xff, 0xff, 3, 0xfebf0000UL, &pirq), -ENODEV);
    check_eq("map MSI-X, huge entry, no such function",
             map_msi(MAP_PIRQ_TYPE_MSI_SEG, -1, 0, 0xff, 0x7fffffff, 0xfebf0000UL, &pirq), -ENODEV);
    check_eq("map MSI with a GSI's IRQ as index",
             map_msi(MAP_PIRQ_TYPE_MSI, 5, 0, 0, 0, 0, &pirq), -EINVAL);
    check_eq("map MULTI_MSI with a table", map_msi(MAP_PIRQ_TYPE_MULTI_MSI, -1, 0, 0, 1,
                                                   0x1000, &pirq), -EINVAL);
    check_eq("map_pirq type 7", map_msi(7, -1, 0, 0, 0, 0, &pirq), -EINVAL);

    struct physdev_get_free_pirq g = { .type = MAP_PIRQ_TYPE_MSI };
    check_eq("get_free_pirq MSI", physdev(PHYSDEVOP_get_free_pirq, &g), 0);
    check(g.pirq >= 16, "free MSI pirq %u among the GSIs' pirqs", g.pirq);
    uint32_t port = 0;
    check_eq("bind_pirq of a reserved pirq", bind_pirq(g.pirq, &port), -EPERM);
    struct physdev_unmap_pirq u = { .domid = DOMID_SELF, .pirq = (int)g.pirq };
    check_eq("unmap_pirq of a reserved pirq", physdev(PHYSDEVOP_unmap_pirq, &u), -EINVAL);
    struct physdev_irq_status_query q = { .irq = g.pirq };
    check_eq("irq_status_query of a reserved pirq", physdev(PHYSDEVOP_irq_status_query, &q), 0);
    check_eq("its flags: needs_eoi (Xen: always, without a pirq_eoi_map)", q.flags, XENIRQSTAT_needs_eoi);
}

static void as_domu(void)
{
    int pirq = -1;
    uint32_t port = 0;
    check_eq("domU: map_pirq", map_gsi(DOMID_SELF, FREE_GSI, -1, &pirq), -EPERM);
    check_eq("domU: bind_pirq", bind_pirq(FREE_GSI, &port), -EPERM);
    check_eq("domU: eoi", eoi(FREE_GSI), -EINVAL);
    struct physdev_setup_gsi g = { .gsi = FREE_GSI, .triggering = 1, .polarity = 0 };
    check_eq("domU: setup_gsi", physdev(PHYSDEVOP_setup_gsi, &g), -EPERM);
    struct physdev_apic a = { .apic_physbase = IOAPIC_BASE, .reg = 1 };
    check_eq("domU: apic_read", physdev(PHYSDEVOP_apic_read, &a), -EPERM);
    struct physdev_irq i = { .irq = FREE_GSI };
    check_eq("domU: alloc_irq_vector", physdev(PHYSDEVOP_alloc_irq_vector, &i), -EPERM);
    struct physdev_irq_status_query q = { .irq = FREE_GSI, .flags = 0x55 };
    check_eq("domU: irq_status_query", physdev(PHYSDEVOP_irq_status_query, &q), 0);
    check_eq("domU: needs_eoi (as for any pirq)", q.flags, XENIRQSTAT_needs_eoi);
}

void test_main(void)
{
    if (!(start_info->flags & SIF_PRIVILEGED)) {
        as_domu();
        return;
    }
    bool keel = on_keel();
    int pirq = -1;

    /* IO-APIC version register: QEMU's IO-APIC is version 0x20 with 24
     * pins (max redirection entry 23 in bits 16-23). */
    struct physdev_apic a = { .apic_physbase = IOAPIC_BASE, .reg = 1 };
    check_eq("apic_read version", physdev(PHYSDEVOP_apic_read, &a), 0);
    check_eq("IO-APIC version", a.value & 0xff, 0x20);
    check_eq("IO-APIC pins - 1", (a.value >> 16) & 0xff, 23);
    a.apic_physbase = 0x1000;
    check_eq("apic_read of no IO-APIC", physdev(PHYSDEVOP_apic_read, &a), -EINVAL);  /* Xen: -EINVAL */

    check_eq("map_pirq GSI 9999", map_gsi(DOMID_SELF, 9999, -1, &pirq), -EINVAL);    /* Xen: -EINVAL */
    check_eq("map_pirq GSI -1", map_gsi(DOMID_SELF, -1, -1, &pirq), -EINVAL);
    msi_errors();
    if (keel) {
        /* Keel keeps its UART's GSI (COM1: 4) and GSI 0; another pirq
         * number than the GSI, and other domains, are not served. */
        check_eq("map_pirq of Keel's UART GSI", map_gsi(DOMID_SELF, 4, -1, &pirq), -EPERM);
        check_eq("map_pirq GSI 0", map_gsi(DOMID_SELF, 0, -1, &pirq), -EPERM);
        check_eq("map_pirq pirq != GSI", map_gsi(DOMID_SELF, FREE_GSI, 40, &pirq), -EINVAL);
        check_eq("map_pirq for domain 7", map_gsi(7, FREE_GSI, -1, &pirq), -EPERM);
    }
    uint32_t port = 0, port2 = 0;
    check_eq("bind_pirq before map", bind_pirq(FREE_GSI, &port), -EPERM);             /* Xen: -EPERM */

    /* Linux maps a GSI asking for pirq = GSI (xen_register_gsi). With -1,
     * Xen 4.17 allocates a free pirq (16 for GSI 10 here); Keel answers
     * pirq = GSI, so only Keel checks that form. */
    check_eq("map_pirq GSI 10 as pirq 10", map_gsi(DOMID_SELF, FREE_GSI, FREE_GSI, &pirq), 0);
    check_eq("pirq = GSI", pirq, FREE_GSI);
    if (keel) {
        check_eq("map it again, any pirq", map_gsi(DOMID_SELF, FREE_GSI, -1, &pirq), 0);
        check_eq("the same pirq", pirq, FREE_GSI);
    }
    struct physdev_setup_gsi g = { .gsi = FREE_GSI, .triggering = 1, .polarity = 0 };
    long rc = physdev(PHYSDEVOP_setup_gsi, &g);
    check(rc == 0 || rc == -EEXIST, "setup_gsi: %ld", rc);                            /* Xen: -EEXIST */
    struct physdev_irq i = { .irq = 77 };
    check_eq("alloc_irq_vector", physdev(PHYSDEVOP_alloc_irq_vector, &i), 0);
    check_eq("vector = irq", i.vector, 77);                                            /* Xen: same */

    check_eq("bind_pirq", bind_pirq(FREE_GSI, &port), 0);
    check(port > 0, "port %u", port);
    check_eq("bind_pirq twice", bind_pirq(FREE_GSI, &port2), -EEXIST);                /* Xen: -EEXIST */
    struct evtchn_status s = { .dom = DOMID_SELF, .port = port };
    check_eq("status", evtchn(EVTCHNOP_status, &s), 0);
    check_eq("status: pirq", s.status, EVTCHNSTAT_pirq);
    check_eq("status: which pirq", s.u.pirq, FREE_GSI);
    struct physdev_irq_status_query q = { .irq = FREE_GSI };
    check_eq("irq_status_query", physdev(PHYSDEVOP_irq_status_query, &q), 0);
    check(q.flags & XENIRQSTAT_needs_eoi, "level pirq without needs_eoi (flags %#x)", q.flags);
    check_eq("eoi", eoi(FREE_GSI), 0);
    struct evtchn_close c = { .port = port };
    check_eq("close", evtchn(EVTCHNOP_close, &c), 0);
    check_eq("bind again after close", bind_pirq(FREE_GSI, &port), 0);
    c.port = port;
    check_eq("close again", evtchn(EVTCHNOP_close, &c), 0);
    struct physdev_unmap_pirq u = { .domid = DOMID_SELF, .pirq = FREE_GSI };
    check_eq("unmap_pirq", physdev(PHYSDEVOP_unmap_pirq, &u), 0);
    if (keel) {
        check_eq("eoi after unmap", eoi(FREE_GSI), -EINVAL);
        check_eq("unmap twice", physdev(PHYSDEVOP_unmap_pirq, &u), -EINVAL);
    }
}
