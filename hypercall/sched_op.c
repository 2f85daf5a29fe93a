/* sched_op (#29) (ref 5.16). Without event channels yet, block unmasks
 * events and returns at once (the ABI allows a spurious wake-up); poll is
 * unimplemented. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/sched.h>
#include <keel/vcpu.h>

#define SCHEDOP_yield           0
#define SCHEDOP_block           1
#define SCHEDOP_shutdown        2
#define SCHEDOP_shutdown_code   5
#define SHUTDOWN_REASON_MAX     5       /* poweroff reboot suspend crash watchdog soft_reset */

static long read_reason(uint64_t arg, uint32_t *reason)
{
    if (copy_from_guest(reason, arg, sizeof(*reason)))
        return -EFAULT;
    return *reason > SHUTDOWN_REASON_MAX ? -EINVAL : 0;
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
        /* Events are unmasked (a pending upcall is delivered on the way
         * out); with no event source yet the vCPU wakes at once. */
        pv_set_events_masked(v, false);
        return 0;
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
