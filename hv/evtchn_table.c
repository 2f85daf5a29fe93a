/* Event channels, the pure part: port allocation and state transitions of
 * one domain's table, and the 2-level bit protocol (see keel/evtchn_table.h).
 * The caller holds the domain's event-channel lock around table calls; the
 * bit operations are atomic because the guest (and, for interdomain sends,
 * the peer's CPU) touch the same words at the same time. */
#include <keel/evtchn_table.h>
#include <keel/errno.h>
#include <public/xen.h>

void evtchn_table_init(struct evtchn_table *t, struct evtchn_port *ports,
                       uint32_t (*virq_port)[EVTCHN_NR_VIRQS], unsigned max_ports)
{
    t->ports = ports;
    t->virq_port = virq_port;
    t->max_ports = max_ports < EVTCHN_2L_NR_PORTS ? max_ports : EVTCHN_2L_NR_PORTS;
    t->valid = EVTCHN_BUCKET_PORTS < t->max_ports ? EVTCHN_BUCKET_PORTS : t->max_ports;
    t->active = 0;
    t->ports[0].state = ECS_RESERVED;
}

struct evtchn_port *evtchn_table_port(struct evtchn_table *t, uint32_t port)
{
    return port < t->valid ? &t->ports[port] : NULL;
}

bool evtchn_virq_is_global(unsigned virq)
{
    return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF &&
           virq != VIRQ_XENPMU;
}

/* The lowest free port, made valid (its bucket appears), still free. */
static int find_free(struct evtchn_table *t)
{
    for (unsigned p = 1; p < t->max_ports; p++) {
        if (p < t->valid && t->ports[p].state != ECS_FREE)
            continue;
        if (p >= t->valid) {
            unsigned v = (p / EVTCHN_BUCKET_PORTS + 1) * EVTCHN_BUCKET_PORTS;
            t->valid = v < t->max_ports ? v : t->max_ports;
        }
        return (int)p;
    }
    return -ENOSPC;
}

static int take(struct evtchn_table *t, enum evtchn_state state, unsigned vcpu)
{
    int p = find_free(t);
    if (p < 0)
        return p;
    t->ports[p] = (struct evtchn_port){ .state = (uint8_t)state, .notify_vcpu = (uint16_t)vcpu };
    t->active++;
    return p;
}

int evtchn_table_alloc_unbound(struct evtchn_table *t, uint16_t remote_dom)
{
    int p = take(t, ECS_UNBOUND, 0);
    if (p > 0)
        t->ports[p].remote_dom = remote_dom;
    return p;
}

int evtchn_table_bind_ipi(struct evtchn_table *t, unsigned vcpu)
{
    return take(t, ECS_IPI, vcpu);
}

int evtchn_table_bind_pirq(struct evtchn_table *t, uint32_t pirq)
{
    int p = take(t, ECS_PIRQ, 0);
    if (p > 0)
        t->ports[p].pirq = pirq;
    return p;
}

int evtchn_table_bind_virq(struct evtchn_table *t, unsigned virq, unsigned vcpu)
{
    if (virq >= EVTCHN_NR_VIRQS || vcpu >= EVTCHN_MAX_VCPUS)
        return -EINVAL;                 /* the caller checked; stay in bounds */
    if (t->virq_port[vcpu][virq])
        return -EEXIST;
    int p = take(t, ECS_VIRQ, vcpu);
    if (p > 0) {
        t->ports[p].virq = virq;
        t->virq_port[vcpu][virq] = (uint32_t)p;
    }
    return p;
}

int evtchn_table_bind_local(struct evtchn_table *t, uint16_t remote_dom, uint32_t remote_port)
{
    int p = take(t, ECS_INTERDOMAIN, 0);
    if (p > 0) {
        t->ports[p].remote_dom = remote_dom;
        t->ports[p].remote_port = remote_port;
    }
    return p;
}

int evtchn_table_check_offered(struct evtchn_table *t, uint32_t port, uint16_t binder)
{
    const struct evtchn_port *e = evtchn_table_port(t, port);
    if (!e || e->state != ECS_UNBOUND || e->remote_dom != binder)
        return -EINVAL;
    return 0;
}

int evtchn_table_bind_vcpu(struct evtchn_table *t, uint32_t port, unsigned vcpu)
{
    struct evtchn_port *e = evtchn_table_port(t, port);
    if (!e)
        return -EINVAL;
    switch (e->state) {
    case ECS_VIRQ:
        if (!evtchn_virq_is_global(e->virq))
            return -EINVAL;             /* per-vCPU VIRQs stay where bound */
        break;
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
    case ECS_PIRQ:
        break;
    default:
        return -EINVAL;                 /* free, reserved, IPI */
    }
    e->notify_vcpu = (uint16_t)vcpu;
    return 0;
}

int evtchn_table_free(struct evtchn_table *t, uint32_t port)
{
    struct evtchn_port *e = evtchn_table_port(t, port);
    if (!e || e->state == ECS_FREE || e->state == ECS_RESERVED)
        return -EINVAL;
    if (e->state == ECS_VIRQ) {
        /* A global VIRQ is recorded under vCPU 0 wherever it notifies. */
        unsigned v = evtchn_virq_is_global(e->virq) ? 0 : e->notify_vcpu;
        if (v < EVTCHN_MAX_VCPUS && e->virq < EVTCHN_NR_VIRQS &&
            t->virq_port[v][e->virq] == port)
            t->virq_port[v][e->virq] = 0;
    }
    *e = (struct evtchn_port){ .state = ECS_FREE };
    t->active--;
    return 0;
}

/* ---- 2-level bits ---- */

static bool test_and_set(volatile uint64_t *w, unsigned bit)
{
    return __atomic_fetch_or(w, 1UL << bit, __ATOMIC_SEQ_CST) & (1UL << bit);
}

static bool test_and_clear(volatile uint64_t *w, unsigned bit)
{
    return __atomic_fetch_and(w, ~(1UL << bit), __ATOMIC_SEQ_CST) & (1UL << bit);
}

static bool test(const volatile uint64_t *w, unsigned bit)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & (1UL << bit);
}

/* Selector bit for the port's word, then the upcall flag: true if the
 * upcall flag went from 0 to 1 (the vCPU must notice). */
static bool raise_upcall(struct vcpu_info *vi, uint32_t port)
{
    if (!vi || test_and_set(&vi->evtchn_pending_sel, port / 64))
        return false;
    return !__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

unsigned evtchn_2l_set_pending(struct shared_info *s, struct vcpu_info *vi, uint32_t port)
{
    if (port >= EVTCHN_2L_NR_PORTS)
        return 0;
    if (test_and_set(&s->evtchn_pending[port / 64], port % 64))
        return 0;                       /* already pending: edge latched */
    if (test(&s->evtchn_mask[port / 64], port % 64))
        return EVTCHN_NEWLY_PENDING;
    return EVTCHN_NEWLY_PENDING | (raise_upcall(vi, port) ? EVTCHN_UPCALL : 0);
}

bool evtchn_2l_unmask(struct shared_info *s, struct vcpu_info *vi, uint32_t port)
{
    if (port >= EVTCHN_2L_NR_PORTS)
        return false;
    if (!test_and_clear(&s->evtchn_mask[port / 64], port % 64) ||
        !test(&s->evtchn_pending[port / 64], port % 64))
        return false;
    return raise_upcall(vi, port);
}

void evtchn_2l_clear_pending(struct shared_info *s, uint32_t port)
{
    if (port < EVTCHN_2L_NR_PORTS)
        test_and_clear(&s->evtchn_pending[port / 64], port % 64);
}

bool evtchn_2l_is_pending(const struct shared_info *s, uint32_t port)
{
    return port < EVTCHN_2L_NR_PORTS && test(&s->evtchn_pending[port / 64], port % 64);
}

bool evtchn_2l_is_masked(const struct shared_info *s, uint32_t port)
{
    return port >= EVTCHN_2L_NR_PORTS || test(&s->evtchn_mask[port / 64], port % 64);
}
