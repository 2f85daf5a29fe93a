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
/* Debug key: the domain's bound ports with their state, pending, masked. */
void evtchn_dump(struct domain *d);

#endif
