/* evtchn_pair: an event channel between two domains (ref §5.18, §6.5). Run
 * as a dom0 + domU pair (tests/guests/pairs.list), the same kernel in both.
 * dom0 offers a decoy unbound port to domain 5, then a port to domain 1;
 * the domU finds its port by probing dom0's ports with bind_interdomain
 * (the decoy is refused with -EINVAL), and the two exchange 10,000 round
 * trips, each side sleeping in SCHEDOP_poll on its masked port; both count
 * exactly 10,000. The domU also meets the privilege rules (status,
 * alloc_unbound and reset on dom0: -EPERM). When the domU is gone, dom0's
 * end is unbound again, offered to domain 1 (as Xen). Alone (Xen's
 * xen-ref, or Keel without a domU) dom0 only checks what it can alone. */
#include "guest.h"

GUEST_TEST("evtchn_pair");

#define EPERM   1
#define ESRCH   3
#define EINVAL  22

#define ROUND_TRIPS 10000
#define PEER        1                   /* the domU's id on Keel */

static long op(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static long alloc_unbound(uint16_t dom, uint16_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
    long rc = op(EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

static long bind_interdomain(uint16_t dom, uint32_t port)
{
    struct evtchn_bind_interdomain b = { .remote_dom = dom, .remote_port = port };
    long rc = op(EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : (long)b.local_port;
}

static long send(uint32_t port)
{
    struct evtchn_send s = { .port = port };
    return op(EVTCHNOP_send, &s);
}

static long status(uint16_t dom, uint32_t port, struct evtchn_status *s)
{
    *s = (struct evtchn_status){ .dom = dom, .port = port };
    return op(EVTCHNOP_status, s);
}

static bool take_pending(uint32_t p)
{
    uint64_t bit = 1UL << (p % 64);
    return __atomic_fetch_and(&shared_info->evtchn_pending[p / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

/* Sleeps in SCHEDOP_poll until port p is pending (then clears it), at most
 * `ms` milliseconds. */
static bool wait_port(uint32_t p, unsigned ms)
{
    uint64_t end = pvclock_ns() + (uint64_t)ms * 1000000;
    while (!take_pending(p)) {
        if (pvclock_ns() >= end)
            return false;
        struct sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1, .timeout = end };
        long rc = HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        if (rc) {
            fail("poll: %ld", rc);
            return false;
        }
    }
    return true;
}

static void sleep_ms(unsigned ms)
{
    uint32_t none = 0;
    struct sched_poll sp = { .ports = (uint64_t)&none, .nr_ports = 0,
                             .timeout = pvclock_ns() + (uint64_t)ms * 1000000 };
    HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

static void mask(uint32_t p)
{
    __atomic_fetch_or(&shared_info->evtchn_mask[p / 64], 1UL << (p % 64), __ATOMIC_SEQ_CST);
}

/* The domU exists (dom0 may look at its ports): retried a while, it may be
 * built after dom0 starts. */
static bool peer_exists(void)
{
    struct evtchn_status s;
    for (int i = 0; i < 20; i++) {
        if (status(PEER, 0, &s) != -ESRCH)
            return true;
        sleep_ms(100);
    }
    return false;
}

static void run_dom0(void)
{
    struct evtchn_status s;
    long decoy = alloc_unbound(DOMID_SELF, 5);
    check(decoy > 0, "alloc_unbound for dom 5: %ld", decoy);
    if (!peer_exists()) {
        printk("evtchn_pair: no domain %u: dom0 alone\n", PEER);
        long p = alloc_unbound(DOMID_SELF, PEER);
        check(p > 0, "alloc_unbound for a domain that does not exist: %ld", p);
        check_eq("status of its port", status(DOMID_SELF, (uint32_t)p, &s), 0);
        check_eq("  unbound", s.status, EVTCHNSTAT_unbound);
        check_eq("  for dom 1", s.u.unbound.dom, PEER);
        check_eq("alloc_unbound in a domain that does not exist", alloc_unbound(PEER, 0), -ESRCH);
        return;
    }
    long p = alloc_unbound(DOMID_SELF, PEER);
    check(p > 0, "alloc_unbound for dom %u: %ld", PEER, p);
    uint32_t port = (uint32_t)p;
    mask(port);
    unsigned got = 0;
    for (unsigned i = 0; i < ROUND_TRIPS; i++) {
        if (!wait_port(port, i == 0 ? 20000 : 5000)) {
            fail("round trip %u: no event from the domU", i);
            break;
        }
        got++;
        check_eq("send back", send(port), 0);
    }
    check_eq("events from the domU", got, ROUND_TRIPS);
    check_eq("status of our port", status(DOMID_SELF, port, &s), 0);
    check_eq("  interdomain", s.status, EVTCHNSTAT_interdomain);
    check_eq("  with dom 1", s.u.interdomain.dom, PEER);
    uint32_t theirs = s.u.interdomain.port;
    if (status(PEER, theirs, &s) == 0) {        /* dom0 may look at the domU's end */
        check_eq("the domU's end", s.status, EVTCHNSTAT_interdomain);
        check(s.u.interdomain.dom == 0 && s.u.interdomain.port == port,
              "the domU's end is connected to %u:%u", s.u.interdomain.dom, s.u.interdomain.port);
    } else {
        fail("status of the domU's port %u", theirs);
    }
    check_eq("tell the domU to go", send(port), 0);
    /* The domU ends without closing: its destruction unbinds our end. */
    for (int i = 0; i < 300 && status(PEER, 0, &s) != -ESRCH; i++)
        sleep_ms(20);
    check_eq("the domU is gone", status(PEER, 0, &s), -ESRCH);
    check_eq("status of our port after the domU went", status(DOMID_SELF, port, &s), 0);
    check_eq("  unbound again", s.status, EVTCHNSTAT_unbound);
    check_eq("  offered to dom 1", s.u.unbound.dom, PEER);
    check_eq("send on it: dropped", send(port), 0);
}

static void run_domu(void)
{
    struct evtchn_status s;
    check_eq("status of a dom0 port", status(0, 1, &s), -EPERM);
    check_eq("alloc_unbound in dom0", alloc_unbound(0, DOMID_SELF), -EPERM);
    struct evtchn_reset r = { .dom = 0 };
    check_eq("reset dom0", op(EVTCHNOP_reset, &r), -EPERM);
    long port = -1, decoy_rc = 0;
    uint32_t remote = 0;
    /* dom0's decoy (offered to dom 5) comes first, ours after it. */
    for (int tries = 0; port < 0 && tries < 400; tries++) {
        for (uint32_t p = 1; p < 16 && port < 0; p++) {
            long rc = bind_interdomain(0, p);
            if (rc > 0) {
                port = rc;
                remote = p;
            }
            else if (p == 1)
                decoy_rc = rc;
        }
        if (port < 0)
            sleep_ms(50);
    }
    if (port < 0)
        guest_abort("no port of dom0 could be bound");
    check_eq("binding dom0's decoy", decoy_rc, -EINVAL);
    uint32_t l = (uint32_t)port;
    mask(l);
    take_pending(l);                    /* set by bind_interdomain */
    check_eq("bind the bound port again", bind_interdomain(0, remote), -EINVAL);
    unsigned got = 0;
    for (unsigned i = 0; i < ROUND_TRIPS; i++) {
        check_eq("send", send(l), 0);
        if (!wait_port(l, 5000)) {
            fail("round trip %u: no answer from dom0", i);
            break;
        }
        got++;
    }
    check_eq("answers from dom0", got, ROUND_TRIPS);
    check(wait_port(l, 20000), "dom0 did not let us go");
    check_eq("status of our port", status(DOMID_SELF, l, &s), 0);
    check_eq("  interdomain with dom0", s.status == EVTCHNSTAT_interdomain && s.u.interdomain.dom == 0, 1);
}

void test_main(void)
{
    if (start_info->flags & SIF_PRIVILEGED)
        run_dom0();
    else
        run_domu();
}
