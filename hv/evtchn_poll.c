/* Waiting for events: SCHEDOP_block and SCHEDOP_poll (ref 5.16, Xen
 * 4.17's vcpu_block / do_poll).
 *
 * A polling vCPU announces itself first (its bit in ed->poll_mask, the
 * port in poll_port), then checks the ports, then blocks with a wake_now
 * test "is my poll bit gone or an upcall deliverable": whoever ends the
 * poll (an event on a polled port, any upcall for the vCPU, the timeout)
 * clears the bit and then calls sched_unblock, so an event arriving
 * between the check and the block is never lost (sched_block tests
 * wake_now after setting v->blocked). */
#include "evtchn_internal.h"
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/sched.h>
#include <keel/smp.h>
#include <keel/vcpu.h>
#include <public/xen.h>

#define POLL_MAX_PORTS  128             /* Xen's "fairly arbitrary limit" */

bool evtchn_upcall_deliverable(struct vcpu *v)
{
    const volatile struct vcpu_info *vi = v->vcpu_info;
    if (!vi)
        return true;                    /* no vcpu_info: never sleep for ever */
    return vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask;
}

/* Clears v's poll bit; true if it was set (the caller ends the poll). */
static bool end_poll(struct evtchn_domain *ed, unsigned id)
{
    uint64_t bit = 1UL << id;
    if (!(__atomic_fetch_and(&ed->poll_mask, ~bit, __ATOMIC_SEQ_CST) & bit))
        return false;
    __atomic_store_n(&ed->poll_port[id], 0, __ATOMIC_SEQ_CST);
    return true;
}

void evtchn_check_pollers(struct domain *d, uint32_t port)
{
    struct evtchn_domain *ed = d->evtchn;
    uint64_t mask = ed ? __atomic_load_n(&ed->poll_mask, __ATOMIC_SEQ_CST) : 0;
    while (mask) {
        unsigned id = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        int32_t want = __atomic_load_n(&ed->poll_port[id], __ATOMIC_SEQ_CST);
        struct vcpu *v = evtchn_vcpu(d, id);
        if (v && (want <= 0 || (uint32_t)want == port) && end_poll(ed, id))
            sched_unblock(v);
    }
}

static bool poll_over(struct vcpu *v)
{
    struct evtchn_domain *ed = v->d->evtchn;
    return !ed || !(__atomic_load_n(&ed->poll_mask, __ATOMIC_SEQ_CST) & (1UL << v->id)) ||
           evtchn_upcall_deliverable(v);
}

void evtchn_block(struct vcpu *v)
{
    pv_set_events_masked(v, false);
    sched_block(v, evtchn_upcall_deliverable);
}

/* The timer runs with interrupts off on the CPU v last ran on. A
 * callback of an earlier poll still in flight when a new poll starts
 * finds the new poll's deadline ahead and leaves it alone. */
static void poll_timeout(struct timer *t, void *data)
{
    (void)t;
    struct vcpu *v = data;
    struct evtchn_domain *ed = v->d->evtchn;
    if (!ed || now_ns() < READ_ONCE(ed->poll_deadline[v->id]))
        return;
    if (end_poll(ed, v->id))
        sched_unblock(v);
}

/* > 0 pending, 0 not, -EINVAL for a port that is not bound. */
static int port_poll(struct domain *d, uint32_t port)
{
    uint64_t f = evtchn_lock(d);
    const struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    int rc = -EINVAL;
    if (e && e->state > ECS_RESERVED)
        rc = d->shared_info && evtchn_2l_is_pending(d->shared_info, port);
    evtchn_unlock(d, f);
    return rc;
}

/* Reads the ports and looks at each: 1 if one is pending, 0 if none,
 * else -EFAULT / -EINVAL. *one is the port when there is exactly one. */
static long scan_ports(struct domain *d, uint64_t ports_va, uint32_t nr, int32_t *one)
{
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t port;
        if (copy_from_guest(&port, ports_va + 4UL * i, sizeof(port)))
            return -EFAULT;
        int rc = port_poll(d, port);
        if (rc)
            return rc;
        *one = (int32_t)port;
    }
    if (nr != 1)
        *one = -1;
    return 0;
}

long evtchn_poll(struct vcpu *v, uint64_t ports_va, uint32_t nr_ports, uint64_t timeout)
{
    struct domain *d = v->d;
    struct evtchn_domain *ed = d->evtchn;
    if (nr_ports > POLL_MAX_PORTS)
        return -EINVAL;
    if (!guest_range_ok(ports_va, 4UL * nr_ports))
        return -EFAULT;
    if (!ed || v->id >= EVTCHN_MAX_VCPUS)
        return -EINVAL;
    unsigned id = v->id;
    /* A timer left from an earlier poll must not end this one. */
    if (ed->poll_timer_used[id])
        timer_stop(&ed->poll_timer[id]);
    WRITE_ONCE(ed->poll_deadline[id], timeout ? timeout : UINT64_MAX);
    __atomic_store_n(&ed->poll_port[id], -1, __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&ed->poll_mask, 1UL << id, __ATOMIC_SEQ_CST);

    if (evtchn_upcall_deliverable(v)) {
        end_poll(ed, id);
        return 0;
    }
    int32_t one = -1;
    long rc = scan_ports(d, ports_va, nr_ports, &one);
    if (rc) {
        end_poll(ed, id);
        return rc < 0 ? rc : 0;
    }
    /* Narrow the wake-up to the one port (only if still polling). */
    if (one > 0)
        __atomic_compare_exchange_n(&ed->poll_port[id], &(int32_t){ -1 }, one, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (timeout) {
        /* Initialised once, on the CPU v runs on; it moves with v. */
        if (!ed->poll_timer_used[id]) {
            timer_init(&ed->poll_timer[id], poll_timeout, v, smp_processor_id());
            __atomic_store_n(&ed->poll_timer_used[id], true, __ATOMIC_RELEASE);
        }
        timer_set(&ed->poll_timer[id], timeout);
    }
    sched_block(v, poll_over);
    return 0;
}

void evtchn_poll_timer_follow(struct vcpu *v, unsigned cpu)
{
    struct evtchn_domain *ed = v->d->evtchn;
    if (ed && v->id < EVTCHN_MAX_VCPUS &&
        __atomic_load_n(&ed->poll_timer_used[v->id], __ATOMIC_ACQUIRE))
        timer_migrate(&ed->poll_timer[v->id], cpu);
}

/* The domain's vCPUs no longer run: stop the timeouts and wait out any
 * callback still in flight on any CPU (none re-arms). */
void evtchn_poll_shutdown(struct domain *d)
{
    struct evtchn_domain *ed = d->evtchn;
    if (!ed)
        return;
    for (unsigned i = 0; i < EVTCHN_MAX_VCPUS; i++)
        if (ed->poll_timer_used[i])
            timer_stop(&ed->poll_timer[i]);
    timer_sync_callbacks();
    for (unsigned i = 0; i < EVTCHN_MAX_VCPUS; i++)
        ed->poll_timer_used[i] = false;
    __atomic_store_n(&ed->poll_mask, 0, __ATOMIC_SEQ_CST);
}
