/* set_timer_op (#15) and the timer sub-ops of vcpu_op (#24) (ref 5.15):
 * each vCPU has a singleshot timer at an absolute system time and a
 * periodic timer; either raises VIRQ_TIMER on the vCPU when it fires (a
 * blocked vCPU wakes through the event). The timers are Keel's per-CPU
 * software timers, on the CPU the vCPU ran on when they were first set. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/guest_access.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/vcpu.h>
#include <public/vcpu.h>

#define PERIOD_MIN_NS   1000000UL               /* Xen: at least 1 ms */
#define PERIOD_MAX_NS   (1UL << 50)             /* and no absurd period */

static void singleshot_fired(struct timer *t, void *data)
{
    (void)t;
    evtchn_send_virq(data, VIRQ_TIMER);
}

/* Re-armed from the previous expiry, skipping periods missed entirely so
 * a late timer does not fire a burst. */
static void periodic_fired(struct timer *t, void *data)
{
    struct vcpu *v = data;
    uint64_t period = __atomic_load_n(&v->timer_period_ns, __ATOMIC_ACQUIRE);
    evtchn_send_virq(v, VIRQ_TIMER);
    if (!period)
        return;
    uint64_t next = t->expires + period, now = now_ns();
    if (next <= now)
        next = now + period - (now - t->expires) % period;
    timer_set(t, next);
}

static void timers_ready(struct vcpu *v)
{
    if (v->timers_inited)
        return;
    unsigned cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
    timer_init(&v->singleshot_timer, singleshot_fired, v, cpu);
    timer_init(&v->periodic_timer, periodic_fired, v, cpu);
    v->timers_inited = true;
}

static void stop_here(void *arg)
{
    struct vcpu *v = arg;
    v->timer_period_ns = 0;
    timer_stop(&v->singleshot_timer);
    timer_stop(&v->periodic_timer);
}

/* Before v is freed: on the timers' own CPU, where callbacks run with
 * interrupts off, so none is in flight afterwards. */
void vcpu_timers_stop(struct vcpu *v)
{
    if (v->timers_inited)
        smp_call_on_cpu(v->singleshot_timer.cpu, stop_here, v, true);
}

static void set_singleshot(struct vcpu *v, uint64_t when)
{
    timers_ready(v);
    timer_stop(&v->singleshot_timer);
    if (when && when <= now_ns())
        evtchn_send_virq(v, VIRQ_TIMER);        /* already due: now (Xen too) */
    else if (when)
        timer_set(&v->singleshot_timer, when);
}

DECLARE_HYPERCALL(set_timer_op)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    set_singleshot(v, a1);
    return 0;
}

long vcpu_op_timer(struct vcpu *v, struct vcpu *t, int cmd, uint64_t arg)
{
    switch (cmd) {
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer s;
        if (t != v)
            return -EINVAL;             /* only for the calling vCPU (Xen) */
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        /* Xen 4.17 as Debian ships it ignores VCPU_SSHOTTMR_future: a
         * deadline already past fires at once (tests/guests/t_timer.c). */
        set_singleshot(v, s.timeout_abs_ns ? s.timeout_abs_ns : 1);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (t != v)
            return -EINVAL;
        set_singleshot(v, 0);
        return 0;
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        if (copy_from_guest(&p, arg, sizeof(p)))
            return -EFAULT;
        if (p.period_ns < PERIOD_MIN_NS || p.period_ns > PERIOD_MAX_NS)
            return -EINVAL;
        timers_ready(t);
        __atomic_store_n(&t->timer_period_ns, p.period_ns, __ATOMIC_RELEASE);
        timer_set(&t->periodic_timer, now_ns() + p.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        __atomic_store_n(&t->timer_period_ns, 0, __ATOMIC_RELEASE);
        if (t->timers_inited)
            timer_stop(&t->periodic_timer);
        return 0;
    default:
        return -ENOSYS;
    }
}
