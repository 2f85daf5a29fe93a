/* sched_op (#29) (ref 5.16). block unmasks events and sleeps until an
 * event arrives; poll sleeps until one of a list of ports is pending or a
 * timeout (both in hv/evtchn_poll.c). */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/guest_access.h>
#include <keel/sched.h>
#include <keel/vcpu.h>

#define SCHEDOP_yield           0
#define SCHEDOP_block           1
#define SCHEDOP_shutdown        2
#define SCHEDOP_poll            3
#define SCHEDOP_shutdown_code   5
#define SHUTDOWN_REASON_MAX     5       /* poweroff reboot suspend crash watchdog soft_reset */

static long read_reason(uint64_t arg, uint32_t *reason)
{
    if (copy_from_guest(reason, arg, sizeof(*reason)))
        return -EFAULT;
    return *reason > SHUTDOWN_REASON_MAX ? -EINVAL : 0;
}

/* struct sched_poll (ref 5.16): ports @0, nr_ports @8, timeout @16. */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct { uint64_t ports; uint32_t nr_ports, pad; uint64_t timeout; } p;
    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    return evtchn_poll(v, p.ports, p.nr_ports, p.timeout);
}

DECLARE_HYPERCALL(sched_op)
{
    uint32_t reason;
    long rc;
    (void)regs, (void)a3, (void)a4, (void)a5;

    switch ((int)a1) {
    case SCHEDOP_yield:
        sched_yield();                  /* the switch happens on the way out */
        return 0;
    case SCHEDOP_block:
        /* Events unmasked; sleeps unless an upcall is already pending (it
         * is delivered on the way out, or when an event wakes the vCPU). */
        evtchn_block(v);
        return 0;
    case SCHEDOP_poll:
        return sched_poll(v, a2);
    case SCHEDOP_shutdown:
        if ((rc = read_reason(a2, &reason)))
            return rc;
        domain_shutdown(v->d, reason);
        return 0;
    case SCHEDOP_shutdown_code:
        if ((rc = read_reason(a2, &reason)))
            return rc;
        v->d->shutdown_code = reason;
        return 0;
    default:
        return hypercall_unimplemented(v, 29, "sched_op", a1);
    }
}
