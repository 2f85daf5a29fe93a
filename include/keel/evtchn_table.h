/* Event channels, the pure part (hv/evtchn_table.c, host-tested): one
 * domain's port table and its state transitions, and the 2-level pending /
 * mask / selector bit protocol on a shared_info page (ref/xen-pv-abi.md
 * 5.18, 6.5). No locks, no allocation: hv/evtchn.c owns the storage and
 * the per-domain lock and calls these with it held.
 *
 * Port numbering follows Xen 4.17: port 0 is reserved; a new port is the
 * lowest free one; ports exist (are "valid") in buckets of 64, a bucket
 * appearing when a port in it is first needed. A valid but free port reads
 * as closed; a port past the valid range is -EINVAL for every operation. */
#ifndef KEEL_EVTCHN_TABLE_H
#define KEEL_EVTCHN_TABLE_H

#include <keel/types.h>
#include <public/xen.h>     /* EVTCHN_2L_NR_PORTS, VIRQ_*, NR_VIRQS */

#define EVTCHN_BUCKET_PORTS     64      /* Xen: a page of 64-byte channels */
#define EVTCHN_DOMU_PORTS       1024    /* xl's default max_event_channels 1023 */
#define EVTCHN_NR_VIRQS         NR_VIRQS
#define EVTCHN_MAX_VCPUS        64      /* = MAX_VCPUS_PER_DOMAIN */

enum evtchn_state {
    ECS_FREE,
    ECS_RESERVED,           /* port 0 */
    ECS_UNBOUND,            /* offered to remote_dom */
    ECS_INTERDOMAIN,        /* connected to (remote_dom, remote_port) */
    ECS_VIRQ,
    ECS_IPI,
    ECS_PIRQ,               /* a physical IRQ of the domain (pirq) */
};

struct evtchn_port {
    uint8_t state;          /* enum evtchn_state */
    uint8_t hv_consumer;    /* unbound port served by Keel (enum evtchn_hv_consumer), 0: none */
    uint16_t notify_vcpu;   /* vCPU whose selector/upcall it raises */
    uint16_t remote_dom;    /* unbound: who may bind; interdomain: the peer */
    uint32_t remote_port;   /* interdomain */
    uint32_t virq;          /* virq */
    uint32_t pirq;          /* pirq */
};

struct evtchn_table {
    struct evtchn_port *ports;          /* max_ports entries, zeroed */
    uint32_t (*virq_port)[EVTCHN_NR_VIRQS];   /* per vCPU: port, 0 = unbound */
    unsigned max_ports;                 /* the domain's limit (<= 4096) */
    unsigned valid;                     /* ports [0, valid) exist */
    unsigned active;                    /* ports in use (not free/reserved) */
};

/* Storage: ports[max_ports], virq_port[EVTCHN_MAX_VCPUS], both zeroed. */
void evtchn_table_init(struct evtchn_table *t, struct evtchn_port *ports,
                       uint32_t (*virq_port)[EVTCHN_NR_VIRQS], unsigned max_ports);
/* The port, or NULL when past the valid range. */
struct evtchn_port *evtchn_table_port(struct evtchn_table *t, uint32_t port);
/* Per-vCPU VIRQs (timer, debug, xenoprof, xenpmu); the rest are global
 * (bound on vCPU 0, delivered to the port's notify vCPU). */
bool evtchn_virq_is_global(unsigned virq);

/* Each returns the new port or -ENOSPC (the domain's limit). */
int evtchn_table_alloc_unbound(struct evtchn_table *t, uint16_t remote_dom);
int evtchn_table_bind_ipi(struct evtchn_table *t, unsigned vcpu);
/* A port for physical IRQ pirq, notifying vCPU 0 (the caller checked the
 * pirq is the domain's and not bound). */
int evtchn_table_bind_pirq(struct evtchn_table *t, uint32_t pirq);
/* Caller checked virq < NR_VIRQS, the vCPU exists, global => vcpu 0.
 * -EEXIST if that vCPU has it bound already. */
int evtchn_table_bind_virq(struct evtchn_table *t, unsigned virq, unsigned vcpu);
/* A new local port connected to (remote_dom, remote_port); the caller has
 * checked the remote end and turns it interdomain itself. */
int evtchn_table_bind_local(struct evtchn_table *t, uint16_t remote_dom, uint32_t remote_port);
/* -EINVAL unless port is unbound and offered to `binder`. */
int evtchn_table_check_offered(struct evtchn_table *t, uint32_t port, uint16_t binder);
/* Moves notifications to vcpu: unbound, interdomain, global VIRQ; else -EINVAL. */
int evtchn_table_bind_vcpu(struct evtchn_table *t, uint32_t port, unsigned vcpu);
/* Frees a bound port (its VIRQ mapping too): the caller handles the
 * interdomain peer and the pending bit. -EINVAL: invalid, free or reserved. */
int evtchn_table_free(struct evtchn_table *t, uint32_t port);

/* ---- 2-level bits (ref 6.5) on shared_info and the target's vcpu_info
 * (vi may be NULL: a vCPU >= 32 with no registered vcpu_info) ---- */
struct shared_info;
struct vcpu_info;
/* Sets port pending. Returns a bitmask: EVTCHN_NEWLY_PENDING if the pending
 * bit was clear (pollers may care), EVTCHN_UPCALL if it also made the
 * upcall newly pending (the vCPU must be woken/kicked). */
#define EVTCHN_NEWLY_PENDING    1u
#define EVTCHN_UPCALL           2u
unsigned evtchn_2l_set_pending(struct shared_info *s, struct vcpu_info *vi, uint32_t port);
/* Clears the mask; if it was masked and is pending, raises the selector
 * and upcall like a new event: true if the upcall became pending. */
bool evtchn_2l_unmask(struct shared_info *s, struct vcpu_info *vi, uint32_t port);
void evtchn_2l_clear_pending(struct shared_info *s, uint32_t port);
bool evtchn_2l_is_pending(const struct shared_info *s, uint32_t port);
bool evtchn_2l_is_masked(const struct shared_info *s, uint32_t port);

#endif
