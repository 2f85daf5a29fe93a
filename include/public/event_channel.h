/* Xen PV guest ABI: event_channel_op (hypercall 32) and its compat form (16).
 * Ref: shared/ref/xen-pv-abi.md §5.18, §6.5 (numbers and layouts only). */
#ifndef KEEL_PUBLIC_EVENT_CHANNEL_H
#define KEEL_PUBLIC_EVENT_CHANNEL_H

#include <public/xen.h>

#define EVTCHNOP_bind_interdomain   0
#define EVTCHNOP_bind_virq          1
#define EVTCHNOP_bind_pirq          2
#define EVTCHNOP_close              3
#define EVTCHNOP_send               4
#define EVTCHNOP_status             5
#define EVTCHNOP_alloc_unbound      6
#define EVTCHNOP_bind_ipi           7
#define EVTCHNOP_bind_vcpu          8
#define EVTCHNOP_unmask             9
#define EVTCHNOP_reset              10
#define EVTCHNOP_init_control       11
#define EVTCHNOP_expand_array       12
#define EVTCHNOP_set_priority       13

#define BIND_PIRQ__WILL_SHARE       (1U << 0)

/* evtchn_status.status */
#define EVTCHNSTAT_closed           0
#define EVTCHNSTAT_unbound          1
#define EVTCHNSTAT_interdomain      2
#define EVTCHNSTAT_pirq             3
#define EVTCHNSTAT_virq             4
#define EVTCHNSTAT_ipi              5

/* FIFO ABI (only if EVTCHNOP_init_control is implemented). */
#define EVTCHN_FIFO_PRIORITY_MAX    0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN    15
#define EVTCHN_FIFO_MAX_QUEUES      16
#define EVTCHN_FIFO_PENDING         31
#define EVTCHN_FIFO_MASKED          30
#define EVTCHN_FIFO_LINKED          29
#define EVTCHN_FIFO_BUSY            28
#define EVTCHN_FIFO_LINK_BITS       17
#define EVTCHN_FIFO_LINK_MASK       ((1U << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS     (1U << EVTCHN_FIFO_LINK_BITS)

#ifndef __ASSEMBLY__
struct evtchn_bind_interdomain {
    domid_t remote_dom;
    uint16_t _pad;
    evtchn_port_t remote_port;
    evtchn_port_t local_port;   /* out */
};
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "bind_interdomain size");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "bind_interdomain.remote_port");
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "bind_interdomain.local_port");

struct evtchn_bind_virq {
    uint32_t virq;
    uint32_t vcpu;
    evtchn_port_t port;         /* out */
};
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "bind_virq size");
_Static_assert(offsetof(struct evtchn_bind_virq, port) == 8, "bind_virq.port");

struct evtchn_bind_pirq {
    uint32_t pirq;
    uint32_t flags;             /* BIND_PIRQ__* */
    evtchn_port_t port;         /* out */
};
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "bind_pirq size");

struct evtchn_close { evtchn_port_t port; };
struct evtchn_send { evtchn_port_t port; };
struct evtchn_unmask { evtchn_port_t port; };
_Static_assert(sizeof(struct evtchn_close) == 4, "evtchn_close size");
_Static_assert(sizeof(struct evtchn_send) == 4, "evtchn_send size");
_Static_assert(sizeof(struct evtchn_unmask) == 4, "evtchn_unmask size");

struct evtchn_status {
    domid_t  dom;
    uint16_t _pad;
    evtchn_port_t port;
    uint32_t status;            /* out: EVTCHNSTAT_* */
    uint32_t vcpu;              /* out */
    union {
        struct { domid_t dom; } unbound;
        struct { domid_t dom; uint16_t _pad; evtchn_port_t port; } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;
};
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status size");
_Static_assert(offsetof(struct evtchn_status, port) == 4, "status.port");
_Static_assert(offsetof(struct evtchn_status, status) == 8, "status.status");
_Static_assert(offsetof(struct evtchn_status, vcpu) == 12, "status.vcpu");
_Static_assert(offsetof(struct evtchn_status, u) == 16, "status.u");
_Static_assert(offsetof(struct evtchn_status, u.interdomain.port) == 20, "status.u.interdomain.port");

struct evtchn_alloc_unbound {
    domid_t dom, remote_dom;
    evtchn_port_t port;         /* out */
};
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound size");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4, "alloc_unbound.port");

struct evtchn_bind_ipi {
    uint32_t vcpu;
    evtchn_port_t port;         /* out */
};
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "bind_ipi size");

struct evtchn_bind_vcpu {
    evtchn_port_t port;
    uint32_t vcpu;
};
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "bind_vcpu size");

struct evtchn_reset { domid_t dom; };
_Static_assert(sizeof(struct evtchn_reset) == 2, "evtchn_reset size");

struct evtchn_init_control {
    uint64_t control_gfn;
    uint32_t offset;
    uint32_t vcpu;
    uint8_t  link_bits;         /* out */
    uint8_t  _pad[7];
};
_Static_assert(sizeof(struct evtchn_init_control) == 24, "init_control size");
_Static_assert(offsetof(struct evtchn_init_control, link_bits) == 16, "init_control.link_bits");

struct evtchn_expand_array { uint64_t array_gfn; };
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "expand_array size");

struct evtchn_set_priority {
    evtchn_port_t port;
    uint32_t priority;
};
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "set_priority size");

/* Compat form (hypercall 16): command and argument in one block. */
struct evtchn_op {
    uint32_t cmd;
    union {
        struct evtchn_alloc_unbound alloc_unbound;
        struct evtchn_bind_interdomain bind_interdomain;
        struct evtchn_bind_virq bind_virq;
        struct evtchn_bind_pirq bind_pirq;
        struct evtchn_bind_ipi bind_ipi;
        struct evtchn_close close;
        struct evtchn_send send;
        struct evtchn_status status;
        struct evtchn_bind_vcpu bind_vcpu;
        struct evtchn_unmask unmask;
    } u;
};
_Static_assert(sizeof(struct evtchn_op) == 28, "evtchn_op size");
_Static_assert(offsetof(struct evtchn_op, u) == 4, "evtchn_op.u");

/* FIFO control block, one per vCPU. */
struct evtchn_fifo_control_block {
    uint32_t ready;
    uint32_t _rsvd;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
};
_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72, "fifo control block size");
#endif

#endif
