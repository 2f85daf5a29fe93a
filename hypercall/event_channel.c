/* event_channel_op (#32) and its compat form (#16) (ref 5.18): copies each
 * sub-op's argument in, calls hv/evtchn*.c, copies the outputs back. The
 * FIFO sub-ops answer -ENOSYS: Linux then uses the 2-level ABI. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/event_channel.h>

/* Reads *T from the guest, runs CALL, writes *T back on success (Xen:
 * an output that cannot be written is -EFAULT, the port stays bound). */
#define IN_OUT(T, CALL) ({                                          \
        T x_;                                                       \
        long r_ = copy_from_guest(&x_, arg, sizeof(x_)) ? -EFAULT : 0; \
        if (!r_) r_ = CALL(v, &x_);                                 \
        if (!r_ && copy_to_guest(arg, &x_, sizeof(x_))) r_ = -EFAULT; \
        r_; })

static long read_port(uint64_t arg, uint32_t *port)
{
    return copy_from_guest(port, arg, sizeof(*port)) ? -EFAULT : 0;
}

static long event_channel_op(struct vcpu *v, unsigned cmd, uint64_t arg)
{
    uint32_t port;
    long rc;

    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        return IN_OUT(struct evtchn_alloc_unbound, evtchn_alloc_unbound);
    case EVTCHNOP_bind_interdomain:
        return IN_OUT(struct evtchn_bind_interdomain, evtchn_bind_interdomain);
    case EVTCHNOP_bind_virq:
        return IN_OUT(struct evtchn_bind_virq, evtchn_bind_virq);
    case EVTCHNOP_bind_ipi:
        return IN_OUT(struct evtchn_bind_ipi, evtchn_bind_ipi);
    case EVTCHNOP_status:
        return IN_OUT(struct evtchn_status, evtchn_status);
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu b;
        if (copy_from_guest(&b, arg, sizeof(b)))
            return -EFAULT;
        return evtchn_bind_vcpu(v, b.port, b.vcpu);
    }
    case EVTCHNOP_close:
        return (rc = read_port(arg, &port)) ? rc : evtchn_close(v->d, port);
    case EVTCHNOP_send:
        return (rc = read_port(arg, &port)) ? rc : evtchn_send(v->d, port);
    case EVTCHNOP_unmask:
        return (rc = read_port(arg, &port)) ? rc : evtchn_unmask(v->d, port);
    case EVTCHNOP_reset: {
        struct evtchn_reset r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        return evtchn_reset(v, r.dom);
    }
    case EVTCHNOP_bind_pirq: {
        struct evtchn_bind_pirq b;
        if (copy_from_guest(&b, arg, sizeof(b)))
            return -EFAULT;
        if ((rc = evtchn_bind_pirq(v, &b)))
            return rc;
        return copy_to_guest(arg, &b, sizeof(b)) ? -EFAULT : 0;
    }
    case EVTCHNOP_init_control:
    case EVTCHNOP_expand_array:
    case EVTCHNOP_set_priority:
        return -ENOSYS;                 /* no FIFO ABI: Linux falls back to 2-level */
    default:
        return -ENOSYS;
    }
}

DECLARE_HYPERCALL(event_channel_op)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    return event_channel_op(v, (unsigned)a1, a2);
}

/* The old form: one block {cmd u32, union @4 (24 bytes)}; only the
 * sub-ops that existed then (Xen's do_event_channel_op_compat). */
DECLARE_HYPERCALL(event_channel_op_compat)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    struct evtchn_op op;
    if (copy_from_guest(&op, a1, sizeof(op)))
        return -EFAULT;
    switch (op.cmd) {
    case EVTCHNOP_bind_interdomain:
    case EVTCHNOP_bind_virq:
    case EVTCHNOP_bind_pirq:
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_status:
    case EVTCHNOP_alloc_unbound:
    case EVTCHNOP_bind_ipi:
    case EVTCHNOP_bind_vcpu:
    case EVTCHNOP_unmask:
        return event_channel_op(v, op.cmd, a1 + offsetof(struct evtchn_op, u));
    default:
        return -ENOSYS;
    }
}
