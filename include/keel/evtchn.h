/* Event channels, 2-level ABI (ref/xen-pv-abi.md 5.18, 6.5): the per-domain
 * port table and delivery into shared_info / vcpu_info. Implemented in
 * hv/evtchn.c; the guest-facing hypercall is hypercall/event_channel.c.
 * These are the calls the rest of Keel uses. */
#ifndef KEEL_EVTCHN_H
#define KEEL_EVTCHN_H

#include <keel/types.h>

struct domain;
struct vcpu;

/* Port table of a new domain / released when it is destroyed (every
 * interdomain peer's end becomes unbound, as Xen does). */
int evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);
/* Raises a per-vCPU VIRQ (VIRQ_TIMER, ...) on v if the guest bound it. */
void evtchn_send_virq(struct vcpu *v, unsigned virq);
/* Raises a global VIRQ (VIRQ_CONSOLE, VIRQ_DEBUG, VIRQ_DOM_EXC, ...) on
 * the vCPU it is bound to, if bound. */
void evtchn_send_global_virq(struct domain *d, unsigned virq);
/* A physical interrupt for pirq, bound to port (hv/pirq.c, interrupts
 * off): raised if the port is still that pirq's. */
void evtchn_send_pirq(struct domain *d, uint32_t port, uint32_t pirq);
/* Debug key: the domain's bound ports with their state, pending, masked. */
void evtchn_dump(struct domain *d);

/* ---- ports served by Keel itself ----
 * A boot-module domU's console and store rings have no backend domain to
 * serve them (no dom0 tools yet), so Keel does, as a Xen "xen consumer"
 * channel: an unbound port of the guest offered to DOMID_XEN (nobody can
 * bind it), whose sends call Keel's consumer instead of raising a peer.
 * The guest sees an ordinary unbound port. */
enum evtchn_hv_consumer { EVTCHN_HV_NONE, EVTCHN_HV_CONSOLE, EVTCHN_HV_STORE };
/* A new port of d served by `consumer`; the port or -ENOSPC. */
int evtchn_alloc_hv_port(struct domain *d, enum evtchn_hv_consumer consumer);
/* Keel -> guest: raises the port if it is still the consumer's. */
void evtchn_hv_notify(struct domain *d, uint32_t port, enum evtchn_hv_consumer consumer);

/* ---- the guest's operations (hypercall/event_channel.c copies the
 * arguments; these check them with Xen 4.17's errors, fill the outputs and
 * return 0 or -errno). v is the calling vCPU. ---- */
struct evtchn_alloc_unbound;
struct evtchn_bind_interdomain;
struct evtchn_bind_virq;
struct evtchn_bind_ipi;
struct evtchn_status;
struct evtchn_bind_pirq;
long evtchn_bind_pirq(struct vcpu *v, struct evtchn_bind_pirq *b);
long evtchn_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a);
long evtchn_bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b);
long evtchn_bind_virq(struct vcpu *v, struct evtchn_bind_virq *b);
long evtchn_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b);
long evtchn_bind_vcpu(struct vcpu *v, uint32_t port, uint32_t vcpu_id);
long evtchn_close(struct domain *d, uint32_t port);
long evtchn_send(struct domain *d, uint32_t port);
long evtchn_status(struct vcpu *v, struct evtchn_status *s);
long evtchn_unmask(struct domain *d, uint32_t port);
long evtchn_reset(struct vcpu *v, uint16_t dom);

/* ---- blocking (hypercall/sched_op.c) ---- */
/* An upcall is pending and events are unmasked (Xen's
 * local_events_need_delivery): a blocked vCPU must not sleep. */
bool evtchn_upcall_deliverable(struct vcpu *v);
/* SCHEDOP_block: unmask events and sleep until one arrives. */
void evtchn_block(struct vcpu *v);
/* SCHEDOP_poll: 0 at once when one of the ports is pending (or an upcall
 * is deliverable), else sleeps until one is or until `timeout` (absolute
 * system time ns, 0 none) and returns 0. -EINVAL: over 128 ports, a port
 * not bound; -EFAULT: the list unreadable. */
long evtchn_poll(struct vcpu *v, uint64_t ports_va, uint32_t nr_ports, uint64_t timeout);
/* v's poll timeout moves to `cpu` with v (vcpu_timers_follow). */
void evtchn_poll_timer_follow(struct vcpu *v, unsigned cpu);

#endif
