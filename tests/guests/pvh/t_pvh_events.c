/* Event channels delivered through the callback vector
 * (HVM_PARAM_CALLBACK_IRQ, vector type, set by the library): a loopback
 * channel (alloc_unbound for ourselves + bind_interdomain to it,
 * public/event_channel.h), send, the vector fires once; the pending bit in
 * shared_info and evtchn_upcall_pending while interrupts are off, then the
 * vector on sti; a masked port latches its pending bit and is delivered on
 * EVTCHNOP_unmask; an IPI channel to ourselves; close. */
#include "pvh.h"

GUEST_TEST("pvh_events");

static bool port_seen(unsigned p)
{
    return p < 256 && (events_ports[p / 64] & (1UL << (p % 64)));
}

static void port_forget(unsigned p)
{
    __atomic_fetch_and(&events_ports[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
}

static void send(unsigned p)
{
    struct evtchn_send s = { .port = p };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    if (rc)
        fail("send %u: %ld", p, rc);
}

/* Waits (interrupts on) up to ~100 ms of system time for port p. */
static bool wait_port(unsigned p)
{
    uint64_t end = pvclock_ns() + 100000000;
    irq_enable();
    while (!port_seen(p) && pvclock_ns() < end)
        cpu_relax();
    irq_disable();
    return port_seen(p);
}

void test_main(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    check_eq("alloc_unbound", rc, 0);
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
    check_eq("bind_interdomain", rc, 0);
    unsigned a = au.port, b = bi.local_port;
    printk("loopback ports %u <-> %u\n", a, b);
    if (rc || a >= 256 || b >= 256)
        guest_abort("no loopback channel (ports %u %u)", a, b);

    /* Interrupts off: the send leaves the pending bits, no vector yet. */
    unsigned seen0 = events_seen;
    send(b);
    check(shared_info->evtchn_pending[a / 64] & (1UL << (a % 64)), "port %u not pending in shared_info", a);
    check(shared_info->vcpu_info[0].evtchn_upcall_pending, "evtchn_upcall_pending not set");
    check(shared_info->vcpu_info[0].evtchn_pending_sel & (1UL << (a / 64)), "pending_sel bit not set");
    check_eq("vector while interrupts are off", events_seen, seen0);
    check(wait_port(a), "vector did not fire for port %u after sti", a);
    check_eq("vector entries for one event", events_seen - seen0, 1);
    check(!(shared_info->evtchn_pending[a / 64] & (1UL << (a % 64))), "port %u still pending", a);

    /* The other direction. */
    port_forget(b);
    send(a);
    check(wait_port(b), "vector did not fire for port %u", b);

    /* Masked: pending latched, no vector; unmask delivers it. */
    port_forget(a);
    __atomic_fetch_or(&shared_info->evtchn_mask[a / 64], 1UL << (a % 64), __ATOMIC_SEQ_CST);
    seen0 = events_seen;
    send(b);
    check(!wait_port(a), "masked port %u delivered", a);
    check(shared_info->evtchn_pending[a / 64] & (1UL << (a % 64)), "masked port %u not pending", a);
    /* EVTCHNOP_unmask clears the mask bit itself and delivers only if it
     * was set (Xen 4.17 event_2l.c evtchn_2l_unmask: test_and_clear). */
    struct evtchn_unmask um = { .port = a };
    check_eq("unmask", HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um), 0);
    check(wait_port(a), "unmask did not deliver port %u", a);
    check(!(shared_info->evtchn_mask[a / 64] & (1UL << (a % 64))), "port %u still masked after unmask", a);

    /* An IPI channel to our own vCPU. */
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    check_eq("bind_ipi", HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    send(ipi.port);
    check(wait_port(ipi.port), "IPI port %u not delivered", ipi.port);

    /* 1000 round trips, one vector entry each at most. */
    seen0 = events_seen;
    for (unsigned i = 0; i < 1000; i++) {
        port_forget(a);
        send(b);
        if (!wait_port(a)) {
            fail("round trip %u lost", i);
            break;
        }
    }
    printk("1000 sends: %u vector entries\n", events_seen - seen0);
    check_eq("vector entries for 1000 sends", events_seen - seen0, 1000);

    /* Closed: sending to it fails. */
    struct evtchn_close cl = { .port = b };
    check_eq("close", HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl), 0);
    struct evtchn_send s = { .port = b };
    check_eq("send to a closed port", HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -EINVAL);
}
