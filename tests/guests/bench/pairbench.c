/* pairbench: the costs between two *domains* on one CPU, in TSC cycles
 * per operation (median of 7 rounds): an event-channel round trip
 * (dom0 -> domU -> dom0 over an interdomain channel, each side sleeping in
 * SCHEDOP_poll on its masked port) and a yield round trip (both domains
 * yield in turn: two domain switches). The same kernel runs as dom0 and as
 * the domU (domu=1:pairbench:32M); dom0 measures and prints
 * "keel-bench: NAME: N" lines for tools/pvbench.sh. Keel only: xen-ref
 * boots a dom0 alone. Not a test: it checks only that each step works. */
#include "guest.h"

GUEST_TEST("pairbench");

#define ROUNDS  7
#define ITERS   2000
#define PEER    1                       /* the domU's id on Keel */

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static long evtchn(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static bool take_pending(uint32_t p)
{
    uint64_t bit = 1UL << (p % 64);
    return __atomic_fetch_and(&shared_info->evtchn_pending[p / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

static long send(uint32_t port)
{
    struct evtchn_send s = { .port = port };
    return evtchn(EVTCHNOP_send, &s);
}

/* Sleeps in SCHEDOP_poll until port p is pending, then clears it. */
static long wait_port(uint32_t p)
{
    while (!take_pending(p)) {
        struct sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1, .timeout = 0 };
        long rc = HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        if (rc)
            return rc;
    }
    return 0;
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static uint32_t port;

static long op_evtchn(void)
{
    long rc = send(port);
    return rc ? rc : wait_port(port);
}

static long op_yield(void)
{
    return HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static void bench(const char *name, long (*op)(void))
{
    uint64_t r[ROUNDS];
    for (unsigned k = 0; k < ROUNDS; k++) {
        uint64_t t0 = tsc();
        for (unsigned i = 0; i < ITERS; i++) {
            if (op()) {
                fail("%s: operation %u failed", name, i);
                return;
            }
        }
        r[k] = (tsc() - t0) / ITERS;
    }
    sort(r, ROUNDS);
    printk("keel-bench: %s: %lu\n", name, r[ROUNDS / 2]);
}

/* dom0: offers a port to the domU, waits for its first event (it has
 * bound), measures, then tells it (one more event) to switch to yields. */
static void run_dom0(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = PEER };
    if (evtchn(EVTCHNOP_alloc_unbound, &a)) {
        fail("alloc_unbound");
        return;
    }
    port = a.port;
    __atomic_fetch_or(&shared_info->evtchn_mask[port / 64], 1UL << (port % 64), __ATOMIC_SEQ_CST);
    if (wait_port(port)) {
        fail("the domU never bound");
        return;
    }
    bench("evtchn_round_trip_domains", op_evtchn);
    send(port);                         /* domU: now yield */
    bench("yield_round_trip_domains", op_yield);
}

/* domU: binds dom0's port (found by probing), answers each event, then
 * yields for ever once dom0 says so (dom0's end ends the machine). */
static void run_domu(void)
{
    long local = -1;
    for (unsigned tries = 0; local < 0 && tries < 100000; tries++)
        for (uint32_t p = 1; p < 64 && local < 0; p++) {
            struct evtchn_bind_interdomain b = { .remote_dom = 0, .remote_port = p };
            if (!evtchn(EVTCHNOP_bind_interdomain, &b))
                local = b.local_port;
        }
    if (local < 0) {
        fail("no port of dom0 to bind");
        return;
    }
    port = (uint32_t)local;
    __atomic_fetch_or(&shared_info->evtchn_mask[port / 64], 1UL << (port % 64), __ATOMIC_SEQ_CST);
    /* Binding sets the new local port pending (as Xen does, for events
     * sent to the unbound port): not a request from dom0. */
    take_pending(port);
    send(port);                         /* bound */
    for (unsigned i = 0; i < ROUNDS * ITERS; i++) {
        if (wait_port(port) || send(port)) {
            fail("round trip %u", i);
            return;
        }
    }
    wait_port(port);
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

void test_main(void)
{
    if (start_info->flags & SIF_INITDOMAIN)
        run_dom0();
    else
        run_domu();
}
