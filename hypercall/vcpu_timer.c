/* set_timer_op (#15) and the timer sub-ops of vcpu_op (#24) (ref 5.15):
 * each vCPU has a singleshot timer at an absolute system time and a
 * periodic timer; either raises VIRQ_TIMER on the vCPU when it fires (a
 * blocked vCPU wakes through the event; the periodic one ticks only
 * while the vCPU runs, as Xen's). The timers are Keel's per-CPU software
 * timers on the CPU the vCPU runs on: they follow it when it moves. */
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
#define PERIOD_DEFAULT_NS 10000000UL            /* a new PV vCPU's 100 Hz tick */

static void singleshot_fired(struct timer *t, void *data)
{
    struct vcpu *v = data;
    uint64_t now = now_ns();
    uint64_t late = now > t->expires ? now - t->expires : 0;
    v->lat.timer_late_sum += late;
    v->lat.timer_late_max = MAX(v->lat.timer_late_max, late);
    v->lat.timer_n++;
    evtchn_send_virq(v, VIRQ_TIMER);
}

/* The periodic timer follows Xen's (xen/common/sched/core.c): it ticks
 * only while its vCPU runs; a vCPU that blocked or waits for a CPU gets
 * one overdue tick when it next runs, not a burst, and an idle guest is
 * not woken 100 times a second. Ticks stay on the period's grid (no
 * drift) unless a whole period was missed.
 * Under v->periodic_lock: true when a tick is due now; *next is when the
 * timer must fire next. The caller arms it after dropping the lock: the
 * timer may be another CPU's, and timer_set then waits for that CPU to take
 * a call, which it never does while its periodic_fired spins on this lock
 * with interrupts off (a deadlock seen with a yielding dom0 beside two
 * Linux domUs, tests/linux/multi.py domu-pair). A late arm is harmless: a
 * tick that fires early finds nothing due and re-arms. */
static bool periodic_work_locked(struct vcpu *v, uint64_t now, uint64_t *next)
{
    uint64_t period = v->timer_period_ns;
    *next = v->periodic_last_ns + period;
    bool due = now >= *next;
    if (due) {
        v->periodic_last_ns = now - *next < period ? *next : now;
        *next = v->periodic_last_ns + period;
    }
    return due;
}

static void periodic_fired(struct timer *t, void *data)
{
    struct vcpu *v = data;
    bool due = false;
    uint64_t next = 0;
    (void)t;
    uint64_t f = spin_lock_irqsave(&v->periodic_lock);
    if (v->timer_period_ns) {
        if (v->periodic_on_cpu)
            due = periodic_work_locked(v, now_ns(), &next);
        else
            v->periodic_parked = true;          /* resumes at switch-in */
    }
    spin_unlock_irqrestore(&v->periodic_lock, f);
    if (next)
        timer_set(&v->periodic_timer, next);
    if (due)
        evtchn_send_virq(v, VIRQ_TIMER);
}

void vcpu_periodic_switch_in(struct vcpu *v)
{
    bool due = false;
    uint64_t next = 0;
    spin_lock(&v->periodic_lock);
    v->periodic_on_cpu = true;
    if (v->periodic_parked && v->timer_period_ns) {
        v->periodic_parked = false;
        due = periodic_work_locked(v, now_ns(), &next);
    }
    spin_unlock(&v->periodic_lock);
    if (next)                                   /* outside the lock: see periodic_work_locked */
        timer_set(&v->periodic_timer, next);
    if (due)
        evtchn_send_virq(v, VIRQ_TIMER);
}

/* Cheap on purpose: the timer is not stopped here; if it fires while the
 * vCPU is away, it parks. */
void vcpu_periodic_switch_out(struct vcpu *v)
{
    spin_lock(&v->periodic_lock);
    v->periodic_on_cpu = false;
    spin_unlock(&v->periodic_lock);
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

/* PV vCPUs start with a 100 Hz periodic timer (Xen: "PV guests by default
 * have a 100Hz ticker", xen/arch/x86/pv/domain.c); Linux stops it. */
void vcpu_timers_init(struct vcpu *v)
{
    timers_ready(v);
    v->timer_period_ns = PERIOD_DEFAULT_NS;
    v->periodic_last_ns = 0;
    v->periodic_parked = true;                  /* starts at its first switch-in */
}

static void set_periodic(struct vcpu *t, uint64_t period)
{
    uint64_t next = 0;
    timers_ready(t);
    uint64_t f = spin_lock_irqsave(&t->periodic_lock);
    t->timer_period_ns = period;
    t->periodic_last_ns = now_ns();
    t->periodic_parked = false;
    if (!period)
        timer_stop(&t->periodic_timer);         /* (takes no call: safe under the lock) */
    else if (t->periodic_on_cpu)
        next = t->periodic_last_ns + period;
    else
        t->periodic_parked = true;              /* not running: starts when it runs */
    spin_unlock_irqrestore(&t->periodic_lock, f);
    if (next)                                   /* outside the lock: see periodic_work_locked */
        timer_set(&t->periodic_timer, next);
}

/* Before v is freed (v no longer runs, so nothing but a callback arms its
 * timers): stop them, wait out any callback in flight on any CPU (a
 * periodic one may re-arm), and stop them again. */
void vcpu_timers_stop(struct vcpu *v)
{
    if (!v->timers_inited)
        return;
    uint64_t f = spin_lock_irqsave(&v->periodic_lock);
    v->timer_period_ns = 0;
    spin_unlock_irqrestore(&v->periodic_lock, f);
    timer_stop(&v->singleshot_timer);
    timer_stop(&v->periodic_timer);
    timer_sync_callbacks();
    timer_stop(&v->singleshot_timer);
    timer_stop(&v->periodic_timer);
}

void vcpu_switch_in_time(struct vcpu *v)
{
    pv_time_update(v);
    vcpu_timers_follow(v);
    vcpu_periodic_switch_in(v);
}

/* At switch-in (interrupts off): v's timers and its poll timeout move to
 * this CPU if the scheduler moved v here. */
void vcpu_timers_follow(struct vcpu *v)
{
    unsigned cpu = smp_processor_id();
    if (!v->timers_inited || READ_ONCE(v->singleshot_timer.cpu) == cpu)
        return;
    timer_migrate(&v->singleshot_timer, cpu);
    timer_migrate(&v->periodic_timer, cpu);
    evtchn_poll_timer_follow(v, cpu);
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
        set_periodic(t, p.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        set_periodic(t, 0);
        return 0;
    default:
        return -ENOSYS;
    }
}
