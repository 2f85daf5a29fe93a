/* The per-vCPU event upcall vector (HVMOP_set_evtchn_upcall_vector, Xen
 * 4.17 public/hvm/hvm_op.h; advertised by XEN_HVM_CPUID_UPCALL_VECTOR in
 * leaf base+4, public/arch-x86/cpuid.h; Linux >= 6.0 uses it when
 * advertised), which comes through the local APIC, so the guest's minimal
 * APIC must work: software-enable in SVR, ID and version reads, the vector
 * in ISR until EOI, no second delivery before the EOI. With both this and
 * the domain-wide callback vector set, Xen 4.17 injects both for one event
 * (the domain-wide one first: hvm/irq.c hvm_vcpu_has_pending_irq checks it
 * before the APIC), and on a PVH domain HVM_PARAM_CALLBACK_IRQ cannot be
 * turned off again (hvm_set_callback_via returns early, rc 0, for any type
 * but the vector when there is no vPIC), so this test asks the library not
 * to set it (pvh_no_callback_irq), as Linux does not when it uses the
 * per-vCPU vector. When it is not advertised the test
 * only checks that the HVMOP fails. Xen 4.17 values (run-xen.sh
 * pvh_upcall_vector) noted next to the checks. */
#include "pvh.h"

GUEST_TEST("pvh_upcall_vector");
bool pvh_no_callback_irq = true;

static void send(unsigned p)
{
    struct evtchn_send s = { .port = p };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    if (rc)
        fail("send %u: %ld", p, rc);
}

static bool port_seen(unsigned p)
{
    return events_ports[p / 64] & (1UL << (p % 64));
}

static void wait_a_bit(unsigned p)
{
    uint64_t end = pvclock_ns() + 100000000;
    irq_enable();
    while (!port_seen(p) && pvclock_ns() < end)
        cpu_relax();
    irq_disable();
}

void test_main(void)
{
    struct cpuid l5 = cpuid(xen_cpuid_base + 4, 0);
    /* Xen 4.17 PVH dom0: eax 0x5c (X2APIC_VIRT IOMMU_MAPPINGS VCPU_ID
     * DOMID UPCALL_VECTOR), ebx 0 (vCPU 0), ecx 0 (domid 0). */
    printk("leaf base+4: eax %#x ebx %#x ecx %#x\n", l5.a, l5.b, l5.c);
    if (l5.a & XEN_HVM_CPUID_VCPU_ID_PRESENT)
        check_eq("vCPU id in base+4 EBX", l5.b, 0);
    struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = 0, .vector = PVH_APIC_EVENT_VECTOR };
    if (!(l5.a & XEN_HVM_CPUID_UPCALL_VECTOR)) {
        long rc = HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &uv);
        printk("per-vCPU upcall vector not advertised; HVMOP_set_evtchn_upcall_vector: %ld\n", rc);
        check(rc < 0, "HVMOP_set_evtchn_upcall_vector not advertised but accepted");
        return;
    }

    /* The local APIC at its default base, in xAPIC mode. */
    uint64_t apic_base = rdmsr(0x1b);
    printk("APIC base MSR %#lx, ID %#x, version %#x, SVR %#x\n", apic_base, lapic_read(LAPIC_ID),
           lapic_read(LAPIC_VER), lapic_read(LAPIC_SVR));
    check_eq("APIC base (enabled, BSP, xAPIC)", apic_base & 0xfffff000UL, LAPIC_BASE);
    check(apic_base & (1 << 11), "APIC globally disabled (%#lx)", apic_base);
    /* Xen 4.17: base MSR 0xfee00900, ID 0, version 0x50014, SVR 0xff. */
    check_eq("APIC ID of vCPU 0", lapic_read(LAPIC_ID) >> 24, 0);
    check((lapic_read(LAPIC_VER) & 0xff) >= 0x10, "APIC version %#x: not an integrated APIC", lapic_read(LAPIC_VER));
    lapic_write(LAPIC_SVR, 0x1ff);              /* software enable, spurious 0xff */
    lapic_write(LAPIC_TPR, 0);
    check_eq("SVR read back", lapic_read(LAPIC_SVR) & 0x1ff, 0x1ff);

    /* Bad arguments: a vector below 0x10, an absent vCPU. */
    struct xen_hvm_evtchn_upcall_vector bad = { .vcpu = 0, .vector = 0x0f };
    check_eq("upcall vector 0x0f", HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &bad), -EINVAL);
    bad = (struct xen_hvm_evtchn_upcall_vector){ .vcpu = 77, .vector = PVH_APIC_EVENT_VECTOR };
    check_eq("upcall vector for vCPU 77", HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &bad), -ENOENT);
    check_eq("set_evtchn_upcall_vector", HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &uv), 0);

    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    check_eq("alloc_unbound", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0);
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    check_eq("bind_interdomain", HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi), 0);
    unsigned a = au.port, b = bi.local_port;

    /* Delivered on the APIC vector, not on the domain-wide one. */
    unsigned dom0 = events_seen, apic0 = apic_events_seen;
    send(b);
    wait_a_bit(a);
    check(port_seen(a), "port %u not delivered", a);
    check_eq("APIC vector entries", apic_events_seen - apic0, 1);
    check_eq("entries in all", events_seen - dom0, 1);

    /* Without the EOI the vector stays in service: the next event waits. */
    apic_event_eoi = false;
    __atomic_fetch_and(&events_ports[a / 64], ~(1UL << (a % 64)), __ATOMIC_SEQ_CST);
    send(b);
    wait_a_bit(a);
    uint32_t isr = lapic_read(LAPIC_ISR + (PVH_APIC_EVENT_VECTOR / 32) * 0x10);
    check(isr & (1u << (PVH_APIC_EVENT_VECTOR % 32)), "vector not in ISR without EOI (%#x)", isr);
    __atomic_fetch_and(&events_ports[a / 64], ~(1UL << (a % 64)), __ATOMIC_SEQ_CST);
    apic0 = apic_events_seen;
    send(b);
    wait_a_bit(a);
    check_eq("delivery while in service", apic_events_seen - apic0, 0);
    apic_event_eoi = true;
    lapic_write(LAPIC_EOI, 0);
    wait_a_bit(a);
    check(port_seen(a), "event not delivered after EOI");
    check_eq("APIC vector entries after EOI", apic_events_seen - apic0, 1);
    isr = lapic_read(LAPIC_ISR + (PVH_APIC_EVENT_VECTOR / 32) * 0x10);
    check(!(isr & (1u << (PVH_APIC_EVENT_VECTOR % 32))), "vector still in ISR after EOI (%#x)", isr);
}
