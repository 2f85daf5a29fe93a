/* The guest's event-channel operations (EVTCHNOP_*, ref 5.18) with Xen
 * 4.17's checks in Xen's order and its error codes. Locking as in
 * evtchn_internal.h: one domain's lock for operations on its own ports;
 * remote_lock then both domains' locks for anything that names another
 * domain or changes an interdomain binding. */
#include "evtchn_internal.h"
#include <keel/errno.h>
#include <keel/pirq.h>
#include <keel/vcpu.h>
#include <public/event_channel.h>

/* dom as the guest names it (DOMID_SELF or an id): under remote_lock.
 * -ESRCH: no such domain; -EPERM: another domain and v unprivileged (Xen's
 * XSM_TARGET rule). */
static struct domain *target_domain(struct vcpu *v, uint16_t dom, long *rc)
{
    struct domain *d = dom == DOMID_SELF ? v->d : evtchn_domain_lookup(dom);
    *rc = 0;
    if (!d || !d->evtchn)
        *rc = -ESRCH;
    else if (d != v->d && !v->d->privileged)
        *rc = -EPERM;
    return *rc ? NULL : d;
}

long evtchn_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    long rc;
    uint64_t f = evtchn_remote_lock();
    struct domain *d = target_domain(v, a->dom, &rc);
    if (d) {
        uint16_t remote = a->remote_dom == DOMID_SELF ? v->d->id : a->remote_dom;
        evtchn_lock_pair(d, d);
        int port = evtchn_table_alloc_unbound(&d->evtchn->t, remote);
        evtchn_unlock_pair(d, d);
        if (port < 0)
            rc = port;
        else
            a->port = (uint32_t)port;
    }
    evtchn_remote_unlock(f);
    return rc;
}

/* Connects a new port of v's domain to the remote unbound port offered to
 * it; the new local port is set pending (notifications sent to the
 * unbound port were dropped), as Xen does. */
long evtchn_bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
    struct domain *ld = v->d;
    long rc = 0;
    uint64_t f = evtchn_remote_lock();
    struct domain *rd = b->remote_dom == DOMID_SELF ? ld : evtchn_domain_lookup(b->remote_dom);
    if (!rd || !rd->evtchn || !ld->evtchn) {
        evtchn_remote_unlock(f);
        return -ESRCH;
    }
    evtchn_lock_pair(ld, rd);
    int lport = evtchn_table_bind_local(&ld->evtchn->t, rd->id, b->remote_port);
    if (lport < 0) {
        rc = lport;
    } else if ((rc = evtchn_table_check_offered(&rd->evtchn->t, b->remote_port, ld->id))) {
        evtchn_table_free(&ld->evtchn->t, (uint32_t)lport);
    } else {
        struct evtchn_port *r = evtchn_table_port(&rd->evtchn->t, b->remote_port);
        r->state = ECS_INTERDOMAIN;
        r->remote_dom = ld->id;
        r->remote_port = (uint32_t)lport;
        b->local_port = (uint32_t)lport;
        evtchn_raise(ld, (uint32_t)lport);
    }
    evtchn_unlock_pair(ld, rd);
    evtchn_remote_unlock(f);
    return rc;
}

long evtchn_bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->d;
    if (b->virq >= EVTCHN_NR_VIRQS)
        return -EINVAL;
    if (evtchn_virq_is_global(b->virq) && b->vcpu != 0)
        return -EINVAL;
    if (!evtchn_vcpu(d, b->vcpu))
        return -ENOENT;
    uint64_t f = evtchn_lock(d);
    int port = d->evtchn ? evtchn_table_bind_virq(&d->evtchn->t, b->virq, b->vcpu) : -ESRCH;
    evtchn_unlock(d, f);
    if (port < 0)
        return port;
    b->port = (uint32_t)port;
    return 0;
}

long evtchn_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->d;
    if (!evtchn_vcpu(d, b->vcpu))
        return -ENOENT;
    uint64_t f = evtchn_lock(d);
    int port = d->evtchn ? evtchn_table_bind_ipi(&d->evtchn->t, b->vcpu) : -ESRCH;
    evtchn_unlock(d, f);
    if (port < 0)
        return port;
    b->port = (uint32_t)port;
    return 0;
}

/* A port for one of the domain's physical IRQs (hv/pirq.c). The pirq
 * module is called without the event-channel lock (its lock comes first
 * when an interrupt raises the port). */
long evtchn_bind_pirq(struct vcpu *v, struct evtchn_bind_pirq *b)
{
    struct domain *d = v->d;
    long rc = pirq_bind_check(d, b->pirq);
    if (rc)
        return rc;
    uint64_t f = evtchn_lock(d);
    int port = d->evtchn ? evtchn_table_bind_pirq(&d->evtchn->t, b->pirq) : -ESRCH;
    evtchn_unlock(d, f);
    if (port < 0)
        return port;
    rc = pirq_bind_port(d, b->pirq, (uint32_t)port);
    if (rc) {
        evtchn_close(d, (uint32_t)port);
        return rc;
    }
    b->port = (uint32_t)port;
    return 0;
}

long evtchn_bind_vcpu(struct vcpu *v, uint32_t port, uint32_t vcpu_id)
{
    struct domain *d = v->d;
    if (!evtchn_vcpu(d, vcpu_id))
        return -ENOENT;
    uint64_t f = evtchn_lock(d);
    long rc = d->evtchn ? evtchn_table_bind_vcpu(&d->evtchn->t, port, vcpu_id) : -EINVAL;
    evtchn_unlock(d, f);
    return rc;
}

/* Frees a port of d (lock held): its pending bit goes, so a new binding
 * of the number starts clean (Xen's evtchn_free). */
static long free_port(struct domain *d, uint32_t port)
{
    long rc = evtchn_table_free(&d->evtchn->t, port);
    if (!rc && d->shared_info)
        evtchn_2l_clear_pending(d->shared_info, port);
    return rc;
}

/* An interdomain port: both ends locked under remote_lock; the peer's end
 * becomes unbound, offered to d again. The port may have changed while no
 * lock was held: then the caller starts over. */
static long close_interdomain(struct domain *d, uint32_t port, bool *again)
{
    uint64_t f = evtchn_remote_lock();
    long rc = 0;
    struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
    /* remote_dom may be read unlocked here: only its use below counts. */
    struct domain *rd = e ? evtchn_domain_lookup(e->remote_dom) : NULL;
    if (!rd) {
        *again = true;
        evtchn_remote_unlock(f);
        return 0;
    }
    evtchn_lock_pair(d, rd);
    if (e->state != ECS_INTERDOMAIN || e->remote_dom != rd->id) {
        *again = true;
    } else {
        struct evtchn_port *r = evtchn_table_port(&rd->evtchn->t, e->remote_port);
        if (r && r->state == ECS_INTERDOMAIN && r->remote_dom == d->id && r->remote_port == port) {
            r->state = ECS_UNBOUND;
            r->remote_port = 0;
        }
        rc = free_port(d, port);
    }
    evtchn_unlock_pair(d, rd);
    evtchn_remote_unlock(f);
    return rc;
}

long evtchn_close(struct domain *d, uint32_t port)
{
    for (;;) {
        uint64_t f = evtchn_lock(d);
        struct evtchn_port *e = d->evtchn ? evtchn_table_port(&d->evtchn->t, port) : NULL;
        if (e && e->state == ECS_INTERDOMAIN) {
            evtchn_unlock(d, f);
            bool again = false;
            long rc = close_interdomain(d, port, &again);
            if (!again)
                return rc;
            continue;
        }
        bool pirq = e && e->state == ECS_PIRQ;
        uint32_t pirq_nr = pirq ? e->pirq : 0;
        long rc = e ? free_port(d, port) : -EINVAL;
        evtchn_unlock(d, f);
        if (pirq && !rc)
            pirq_unbind_port(d, pirq_nr, port);     /* its pin masked again */
        return rc;
    }
}

long evtchn_status(struct vcpu *v, struct evtchn_status *s)
{
    long rc;
    uint64_t f = evtchn_remote_lock();
    struct domain *d = s->dom == DOMID_SELF ? v->d : evtchn_domain_lookup(s->dom);
    if (!d || !d->evtchn) {
        evtchn_remote_unlock(f);
        return -ESRCH;
    }
    evtchn_lock_pair(d, d);
    const struct evtchn_port *e = evtchn_table_port(&d->evtchn->t, s->port);
    rc = !e ? -EINVAL : d != v->d && !v->d->privileged ? -EPERM : 0;
    if (!rc) {
        static const uint32_t status_of[] = {
            [ECS_FREE] = EVTCHNSTAT_closed, [ECS_RESERVED] = EVTCHNSTAT_closed,
            [ECS_UNBOUND] = EVTCHNSTAT_unbound, [ECS_INTERDOMAIN] = EVTCHNSTAT_interdomain,
            [ECS_VIRQ] = EVTCHNSTAT_virq, [ECS_IPI] = EVTCHNSTAT_ipi,
            [ECS_PIRQ] = EVTCHNSTAT_pirq,
        };
        s->status = e->state < ARRAY_SIZE(status_of) ? status_of[e->state] : EVTCHNSTAT_closed;
        s->vcpu = e->notify_vcpu;
        if (e->state == ECS_UNBOUND) {
            s->u.unbound.dom = e->remote_dom;
        } else if (e->state == ECS_INTERDOMAIN) {
            s->u.interdomain.dom = e->remote_dom;
            s->u.interdomain.port = e->remote_port;
        } else if (e->state == ECS_VIRQ) {
            s->u.virq = e->virq;
        } else if (e->state == ECS_PIRQ) {
            s->u.pirq = e->pirq;
        }
    }
    evtchn_unlock_pair(d, d);
    evtchn_remote_unlock(f);
    return rc;
}

/* Closes every port of dom (the caller's own; a privileged caller's on
 * another domain only while that one is paused, as Xen's
 * controller_pause_count rule: Keel refuses it with -EINVAL). */
long evtchn_reset(struct vcpu *v, uint16_t dom)
{
    long rc;
    uint64_t f = evtchn_remote_lock();
    struct domain *d = target_domain(v, dom, &rc);
    bool self = d == v->d;
    unsigned valid = d ? d->evtchn->t.valid : 0;
    evtchn_remote_unlock(f);
    if (rc)
        return rc;
    if (!self)
        return -EINVAL;
    for (uint32_t p = 1; p < valid; p++)
        evtchn_close(d, p);             /* free ports: -EINVAL, ignored */
    return 0;
}
