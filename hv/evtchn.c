/* Event channels, 2-level ABI (ref/xen-pv-abi.md 5.18, 6.5): the
 * per-domain tables, the locks (see evtchn_internal.h for the rules),
 * raising a port into shared_info / vcpu_info and making the target vCPU
 * notice, VIRQs, sending, and destruction. The table logic itself is pure
 * (evtchn_table.c); the guest's bind/close/status operations are in
 * evtchn_ops.c, SCHEDOP_block/poll in evtchn_poll.c. */
#include "evtchn_internal.h"
#include <keel/alloc.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/sched.h>
#include <keel/smp.h>
#include <keel/vcpu.h>
#include <keel/hvm.h>
#include <keel/pirq.h>
#include <keel/xenstore.h>
#include <public/xen.h>

static spinlock_t remote_lock = SPINLOCK_INIT;
static struct domain *evtchn_domains[MAX_DOMAINS];

/* Waiting with interrupts off, a CPU still serves cross-CPU calls: the
 * holder may be kicking a vCPU on this CPU (smp_call_on_cpu waits until the
 * call is taken). */
static uint64_t lock_serving(spinlock_t *l)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(l)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

uint64_t evtchn_lock(struct domain *d)
{
    return lock_serving(&d->evtchn_lock);
}

void evtchn_unlock(struct domain *d, uint64_t flags)
{
    spin_unlock_irqrestore(&d->evtchn_lock, flags);
}

uint64_t evtchn_remote_lock(void)
{
    return lock_serving(&remote_lock);
}

void evtchn_remote_unlock(uint64_t flags)
{
    spin_unlock_irqrestore(&remote_lock, flags);
}

struct domain *evtchn_domain_lookup(uint16_t id)
{
    return id < MAX_DOMAINS ? evtchn_domains[id] : NULL;
}

/* Interrupts are already off (remote_lock is held). */
void evtchn_lock_pair(struct domain *a, struct domain *b)
{
    if (a->id > b->id) {
        struct domain *t = a;
        a = b;
        b = t;
    }
    while (!spin_trylock(&a->evtchn_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    while (a != b && !spin_trylock(&b->evtchn_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
}

void evtchn_unlock_pair(struct domain *a, struct domain *b)
{
    if (a != b)
        spin_unlock(&b->evtchn_lock);
    spin_unlock(&a->evtchn_lock);
}

int evtchn_domain_init(struct domain *d)
{
    unsigned max_ports = d->privileged ? EVTCHN_2L_NR_PORTS : EVTCHN_DOMU_PORTS;
    struct evtchn_domain *ed = kzalloc(sizeof(*ed) + max_ports * sizeof(struct evtchn_port));
    if (!ed)
        return -ENOMEM;
    evtchn_table_init(&ed->t, ed->ports, ed->virq_port, max_ports);
    d->evtchn_lock = (spinlock_t)SPINLOCK_INIT;
    uint64_t f = evtchn_remote_lock();
    d->evtchn = ed;
    evtchn_domains[d->id] = d;
    evtchn_remote_unlock(f);
    return 0;
}

/* Every port of d is closed; a peer's end of an interdomain channel
 * becomes unbound, offered to d's id again (as Xen). Under remote_lock and
 * d's lock: peers are locked one at a time after d (no other CPU holds two
 * event-channel locks without remote_lock, so the order cannot deadlock). */
static void unbind_peers(struct domain *d, struct evtchn_domain *ed)
{
    for (uint32_t p = 1; p < ed->t.valid; p++) {
        struct evtchn_port *e = &ed->ports[p];
        if (e->state != ECS_INTERDOMAIN || e->remote_dom == d->id)
            continue;
        struct domain *rd = evtchn_domain_lookup(e->remote_dom);
        if (!rd)
            continue;
        while (!spin_trylock(&rd->evtchn_lock)) {
            smp_serve_calls();
            cpu_relax();
        }
        struct evtchn_port *r = evtchn_table_port(&rd->evtchn->t, e->remote_port);
        if (r && r->state == ECS_INTERDOMAIN && r->remote_dom == d->id) {
            r->state = ECS_UNBOUND;
            r->remote_port = 0;
        }
        spin_unlock(&rd->evtchn_lock);
    }
}

void evtchn_domain_destroy(struct domain *d)
{
    pirq_domain_destroy(d);             /* no interrupt names d any more */
    if (!d->evtchn)
        return;
    evtchn_poll_shutdown(d);
    uint64_t f = evtchn_remote_lock();
    while (!spin_trylock(&d->evtchn_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    struct evtchn_domain *ed = d->evtchn;
    if (ed) {
        unbind_peers(d, ed);
        evtchn_domains[d->id] = NULL;
        d->evtchn = NULL;
    }
    spin_unlock(&d->evtchn_lock);
    evtchn_remote_unlock(f);
    kfree(ed);
}

struct vcpu *evtchn_vcpu(struct domain *d, unsigned id)
{
    return id < d->nr_vcpus && id < MAX_VCPUS_PER_DOMAIN ? d->vcpu[id] : NULL;
}

/* Xen's vcpu_kick: a blocked vCPU wakes; one running on another CPU is
 * interrupted so that its return to the guest delivers the upcall
 * (pv_deliver_pending_upcall); one running here or queued delivers it
 * when it next enters the guest anyway. A poll it was in ends too. */
void evtchn_kick(struct vcpu *v)
{
    struct evtchn_domain *ed = v->d->evtchn;
    uint8_t vector = v->hvm ? __atomic_load_n(&v->hvm->upcall_vector, __ATOMIC_ACQUIRE) : 0;
    if (vector)                         /* PVH with its own vector: through its LAPIC */
        vlapic_set_irq(v, vector);
    if (ed && v->id < EVTCHN_MAX_VCPUS &&
        (__atomic_fetch_and(&ed->poll_mask, ~(1UL << v->id), __ATOMIC_SEQ_CST) & (1UL << v->id)))
        __atomic_store_n(&ed->poll_port[v->id], 0, __ATOMIC_SEQ_CST);
    sched_unblock(v);
    if (__atomic_load_n(&v->sched_state, __ATOMIC_SEQ_CST) == VCPU_RUNNING &&
        __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) != smp_processor_id())
        sched_kick(v);
}

void evtchn_raise(struct domain *d, uint32_t port)
{
    struct evtchn_domain *ed = d->evtchn;
    struct evtchn_port *e = ed ? evtchn_table_port(&ed->t, port) : NULL;
    if (!e || !d->shared_info)
        return;
    struct vcpu *v = evtchn_vcpu(d, e->notify_vcpu);
    unsigned r = evtchn_2l_set_pending(d->shared_info, v ? v->vcpu_info : NULL, port);
    if (r & EVTCHN_NEWLY_PENDING)
        evtchn_check_pollers(d, port);
    if ((r & EVTCHN_UPCALL) && v)
        evtchn_kick(v);
}

int evtchn_alloc_hv_port(struct domain *d, enum evtchn_hv_consumer consumer)
{
    uint64_t f = evtchn_lock(d);
    int port = d->evtchn ? evtchn_table_alloc_unbound(&d->evtchn->t, DOMID_XEN) : -ESRCH;
    if (port > 0)
        d->evtchn->t.ports[port].hv_consumer = (uint8_t)consumer;
    evtchn_unlock(d, f);
    return port;
}

void evtchn_hv_notify(struct domain *d, uint32_t port, enum evtchn_hv_consumer consumer)
{
    uint64_t f = evtchn_lock(d);
    struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    if (e && e->state == ECS_UNBOUND && e->hv_consumer == consumer)
        evtchn_raise(d, port);
    evtchn_unlock(d, f);
}

/* The guest notified a port Keel serves: runs the consumer, outside the
 * event-channel lock (it copies rings and prints). */
static void hv_consumer_run(struct domain *d, unsigned consumer)
{
    switch (consumer) {
    case EVTCHN_HV_CONSOLE:
        console_ring_kick(d);
        break;
    case EVTCHN_HV_STORE:
        xenstore_ring_kick(d);
        break;
    default:
        break;
    }
}

long evtchn_send(struct domain *d, uint32_t port)
{
    uint64_t f = evtchn_lock(d);
    struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    unsigned consumer = EVTCHN_HV_NONE;
    long rc = 0;
    if (!e) {
        rc = -EINVAL;
    } else if (e->state == ECS_INTERDOMAIN) {
        /* The binding stands while we hold d's lock: the peer is alive. */
        struct domain *rd = e->remote_dom == d->id ? d : evtchn_domain_lookup(e->remote_dom);
        if (rd)
            evtchn_raise(rd, e->remote_port);
    } else if (e->state == ECS_IPI) {
        evtchn_raise(d, port);
    } else if (e->state == ECS_UNBOUND) {
        consumer = e->hv_consumer;      /* served by Keel, or dropped */
    } else {
        rc = -EINVAL;                   /* free, reserved, VIRQ */
    }
    evtchn_unlock(d, f);
    if (consumer != EVTCHN_HV_NONE)
        hv_consumer_run(d, consumer);
    return rc;
}

void evtchn_send_pirq(struct domain *d, uint32_t port, uint32_t pirq)
{
    uint64_t f = evtchn_lock(d);
    struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    if (e && e->state == ECS_PIRQ && e->pirq == pirq)
        evtchn_raise(d, port);
    evtchn_unlock(d, f);
}

/* Per-vCPU VIRQs are looked up in v's own slot, global ones in vCPU 0's
 * (ref 6.6; Xen's send_guest_vcpu_virq / send_guest_global_virq). */
static void send_virq(struct domain *d, unsigned slot, unsigned virq)
{
    if (virq >= EVTCHN_NR_VIRQS || slot >= EVTCHN_MAX_VCPUS)
        return;
    uint64_t f = evtchn_lock(d);
    if (d->evtchn) {
        uint32_t port = d->evtchn->virq_port[slot][virq];
        if (port)
            evtchn_raise(d, port);
    }
    evtchn_unlock(d, f);
}

void evtchn_send_virq(struct vcpu *v, unsigned virq)
{
    if (v && virq < EVTCHN_NR_VIRQS && !evtchn_virq_is_global(virq))
        send_virq(v->d, v->id, virq);
}

void evtchn_send_global_virq(struct domain *d, unsigned virq)
{
    if (d && virq < EVTCHN_NR_VIRQS && evtchn_virq_is_global(virq))
        send_virq(d, 0, virq);
}

long evtchn_unmask(struct domain *d, uint32_t port)
{
    uint64_t f = evtchn_lock(d);
    struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    long rc = e ? 0 : -EINVAL;
    /* A free or reserved port is left alone (Xen: not "usable"). */
    if (e && e->state > ECS_RESERVED && d->shared_info) {
        struct vcpu *v = evtchn_vcpu(d, e->notify_vcpu);
        if (evtchn_2l_unmask(d->shared_info, v ? v->vcpu_info : NULL, port) && v)
            evtchn_kick(v);
    }
    evtchn_unlock(d, f);
    return rc;
}

static const char *const state_names[] = {
    [ECS_FREE] = "free", [ECS_RESERVED] = "reserved", [ECS_UNBOUND] = "unbound",
    [ECS_INTERDOMAIN] = "interdomain", [ECS_VIRQ] = "virq", [ECS_IPI] = "ipi",
    [ECS_PIRQ] = "pirq",
};

void evtchn_dump(struct domain *d)
{
    uint64_t f = evtchn_lock(d);
    struct evtchn_domain *ed = d->evtchn;
    if (!ed) {
        evtchn_unlock(d, f);
        return;
    }
    log_info("domain %u: event channels (%u of %u ports in use, polling %#lx)\n",
             d->id, ed->t.active, ed->t.max_ports, ed->poll_mask);
    for (uint32_t p = 1; p < ed->t.valid; p++) {
        const struct evtchn_port *e = &ed->ports[p];
        if (e->state == ECS_FREE || e->state > ECS_PIRQ)
            continue;
        bool pend = d->shared_info && evtchn_2l_is_pending(d->shared_info, p);
        bool mask = !d->shared_info || evtchn_2l_is_masked(d->shared_info, p);
        if (e->state == ECS_INTERDOMAIN)
            log_info("  port %u: interdomain d%u:%u vcpu %u pending %d masked %d\n", p,
                     e->remote_dom, e->remote_port, e->notify_vcpu, pend, mask);
        else if (e->state == ECS_UNBOUND)
            log_info("  port %u: unbound for d%u vcpu %u pending %d masked %d\n", p,
                     e->remote_dom, e->notify_vcpu, pend, mask);
        else if (e->state == ECS_VIRQ)
            log_info("  port %u: virq %u vcpu %u pending %d masked %d\n", p, e->virq,
                     e->notify_vcpu, pend, mask);
        else if (e->state == ECS_PIRQ)
            log_info("  port %u: pirq %u vcpu %u pending %d masked %d\n", p, e->pirq,
                     e->notify_vcpu, pend, mask);
        else
            log_info("  port %u: %s vcpu %u pending %d masked %d\n", p, state_names[e->state],
                     e->notify_vcpu, pend, mask);
    }
    evtchn_unlock(d, f);
}
