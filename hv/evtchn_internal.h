/* Event channels inside hv/: the per-domain state behind d->evtchn and the
 * locks (hv/evtchn.c, evtchn_ops.c, evtchn_poll.c).
 *
 * Locking. Each domain has its event-channel lock d->evtchn_lock (taken
 * with interrupts off; a CPU waiting for it serves cross-CPU calls, so a
 * holder that kicks a vCPU on another CPU never deadlocks with it). Every
 * change of d's table happens under it. Operations that involve two
 * domains (bind_interdomain, closing an interdomain port, destroying a
 * domain, and a privileged caller's alloc_unbound/status/reset on another
 * domain) also take the one remote_lock first and look the other domain up
 * in evtchn_domains[] (registered at init, removed at destroy under that
 * lock); with remote_lock held, both domain locks are taken lower id first.
 *
 * The send path takes no global lock: a sender holds only its own domain's
 * lock while it raises the peer's port. That is safe because an
 * interdomain binding changes only with BOTH domains' locks held: while the
 * sender holds its lock the binding stands, so the peer cannot have gone
 * through evtchn_domain_destroy (which unbinds every peer's end under that
 * peer's lock before the peer's table, vCPUs and shared_info are freed). */
#ifndef KEEL_HV_EVTCHN_INTERNAL_H
#define KEEL_HV_EVTCHN_INTERNAL_H

#include <keel/evtchn.h>
#include <keel/evtchn_table.h>
#include <keel/domain.h>
#include <keel/timer.h>

struct evtchn_domain {
    struct evtchn_table t;
    uint32_t virq_port[EVTCHN_MAX_VCPUS][EVTCHN_NR_VIRQS];
    /* SCHEDOP_poll: bit n set while vCPU n polls; poll_port[n] is the one
     * port it polls, or -1 for any (Xen's poll_mask / poll_evtchn). */
    uint64_t poll_mask;
    int32_t poll_port[EVTCHN_MAX_VCPUS];
    struct timer poll_timer[EVTCHN_MAX_VCPUS];
    bool poll_timer_used[EVTCHN_MAX_VCPUS];      /* initialised (on first use) */
    uint64_t poll_deadline[EVTCHN_MAX_VCPUS];    /* the current poll's timeout */
    struct evtchn_port ports[];         /* t.max_ports */
};

uint64_t evtchn_lock(struct domain *d);
void evtchn_unlock(struct domain *d, uint64_t flags);
uint64_t evtchn_remote_lock(void);
void evtchn_remote_unlock(uint64_t flags);
/* Under remote_lock: a domain with an event-channel table, or NULL. */
struct domain *evtchn_domain_lookup(uint16_t id);
/* Takes the locks of a and b (may be equal), lower id first. */
void evtchn_lock_pair(struct domain *a, struct domain *b);
void evtchn_unlock_pair(struct domain *a, struct domain *b);

/* Under d's lock: raises port of d on its notify vCPU (pollers woken,
 * the vCPU kicked if the upcall became pending). */
void evtchn_raise(struct domain *d, uint32_t port);
/* The vCPU becomes aware of a newly pending upcall. */
void evtchn_kick(struct vcpu *v);
struct vcpu *evtchn_vcpu(struct domain *d, unsigned id);
/* Wakes vCPUs of d polling for port (any port: those polling for any). */
void evtchn_check_pollers(struct domain *d, uint32_t port);
/* Stops the poll timers of d's vCPUs for good (before destruction). */
void evtchn_poll_shutdown(struct domain *d);

#endif
