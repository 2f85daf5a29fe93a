/* Per-CPU run queues: a FIFO of runnable vCPUs per physical CPU and a
 * 10 ms time slice, so several vCPUs can share a CPU (round robin). The
 * weighted scheduler (the scheduler issue) replaces the policy; the
 * mechanism (queue, slice timer, switch on return to the guest) stays.
 *
 * Each vCPU is off, queued or running (v->sched_state), changed only under
 * its CPU's run-queue lock, so a wake-up racing with the vCPU leaving its
 * CPU is never lost or doubled. d->nr_active counts a domain's queued and
 * running vCPUs: when a dying domain's count reaches zero, nothing of it
 * runs anywhere and it is torn down. */
#include <keel/sched.h>
#include <keel/domain.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/vcpu.h>

#define SLICE_NS    10000000UL

static void wake_cpu(void *arg)
{
    (void)arg;                          /* the IPI ends the CPU's hlt */
}

bool vcpu_runnable(const struct vcpu *v)
{
    return v->online && !v->blocked && v->d->state == DOMAIN_RUNNING;
}

/* The current vCPU v stops until sched_unblock(v), unless `wake_now`
 * (called after v->blocked is set, e.g. "an event is already pending")
 * says otherwise: checking after setting the flag closes the race with a
 * sender that sets the event and then unblocks. The switch away happens
 * on the way back to the guest. */
void sched_block(struct vcpu *v, bool (*wake_now)(struct vcpu *))
{
    __atomic_store_n(&v->blocked, true, __ATOMIC_SEQ_CST);
    if (wake_now && wake_now(v)) {
        __atomic_store_n(&v->blocked, false, __ATOMIC_SEQ_CST);
        return;
    }
    this_cpu()->need_resched = true;
}

/* Ends v's block (an event arrived, its timer fired): queued to run. */
void sched_unblock(struct vcpu *v)
{
    if (__atomic_exchange_n(&v->blocked, false, __ATOMIC_SEQ_CST))
        sched_wake(v);
}

static void rq_append(struct percpu *pc, struct vcpu *v)
{
    v->rq_next = NULL;
    if (pc->rq_tail)
        pc->rq_tail->rq_next = v;
    else
        pc->rq_head = v;
    pc->rq_tail = v;
    v->sched_state = VCPU_QUEUED;
}

/* Queues v on its CPU unless it is queued or running already. */
void sched_wake(struct vcpu *v)
{
    struct percpu *pc = cpu_percpu[v->processor];
    bool queued = false;
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    if (v->sched_state == VCPU_OFF && vcpu_runnable(v)) {
        __atomic_add_fetch(&v->d->nr_active, 1, __ATOMIC_SEQ_CST);
        rq_append(pc, v);
        queued = true;
    }
    spin_unlock_irqrestore(&pc->rq_lock, f);
    if (queued && v->processor != smp_processor_id())
        smp_call_on_cpu(v->processor, wake_cpu, NULL, false);
}

/* v (off or queued) will not run: true when its dying domain has nothing
 * left running or queued. Caller holds v's run-queue lock. */
static bool went_off(struct vcpu *v)
{
    v->sched_state = VCPU_OFF;
    return __atomic_sub_fetch(&v->d->nr_active, 1, __ATOMIC_SEQ_CST) == 0 &&
           v->d->state != DOMAIN_RUNNING && v->d->state != DOMAIN_PAUSED;
}

/* The next vCPU to run here, now marked running. Queued vCPUs that may no
 * longer run (offline, domain paused or dying) are dropped on the way. */
struct vcpu *sched_pick_next(void)
{
    struct percpu *pc = this_cpu();
    for (;;) {
        uint64_t f = spin_lock_irqsave(&pc->rq_lock);
        struct vcpu *v = pc->rq_head;
        if (!v) {
            spin_unlock_irqrestore(&pc->rq_lock, f);
            return NULL;
        }
        pc->rq_head = v->rq_next;
        if (!pc->rq_head)
            pc->rq_tail = NULL;
        v->rq_next = NULL;
        if (vcpu_runnable(v)) {
            v->sched_state = VCPU_RUNNING;
            spin_unlock_irqrestore(&pc->rq_lock, f);
            return v;
        }
        bool last = went_off(v);
        spin_unlock_irqrestore(&pc->rq_lock, f);
        if (last)
            domain_teardown(v->d);
    }
}

/* The running vCPU `prev` has left this CPU (its state saved): back in
 * the queue if it may still run. True when its dying domain is now idle
 * everywhere (the caller tears it down). */
bool sched_put_prev(struct vcpu *prev)
{
    struct percpu *pc = this_cpu();
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    bool last = false;
    if (vcpu_runnable(prev))
        rq_append(pc, prev);
    else
        last = went_off(prev);
    spin_unlock_irqrestore(&pc->rq_lock, f);
    return last;
}

static void slice_expired(struct timer *t, void *data)
{
    struct percpu *pc = data;
    if (pc->rq_head)
        pc->need_resched = true;
    timer_set(t, now_ns() + SLICE_NS);
}

/* Called when this CPU starts running guests. */
void sched_start_slice(void)
{
    struct percpu *pc = this_cpu();
    if (pc->slice.fn)
        return;
    timer_init(&pc->slice, slice_expired, pc, pc->cpu_id);
    timer_set(&pc->slice, now_ns() + SLICE_NS);
}

static void resched_ipi(void *arg)
{
    (void)arg;
    this_cpu()->need_resched = true;
}

/* The CPU running (or about to run) v looks at its run queue again on
 * its next return to a guest: v went offline, or its domain paused or died. */
void sched_kick(struct vcpu *v)
{
    if (v->processor == smp_processor_id())
        this_cpu()->need_resched = true;
    else
        smp_call_on_cpu(v->processor, resched_ipi, NULL, false);
}

/* The current vCPU gives up the rest of its slice (sched_op yield). */
void sched_yield(void)
{
    this_cpu()->need_resched = true;
}

/* On return to a guest (from an interrupt or a hypercall): switch to the
 * next runnable vCPU if asked to, or leave for the idle loop when the
 * current one may not run and nothing else is queued. regs is the guest
 * frame at the stack top. */
void sched_maybe_switch(struct cpu_regs *regs)
{
    struct percpu *pc = this_cpu();
    if (!pc->need_resched)
        return;
    pc->need_resched = false;
    struct vcpu *prev = current_vcpu();
    if (vcpu_runnable(prev) && !pc->rq_head)
        return;
    struct vcpu *next = sched_pick_next();
    if (!next) {
        if (vcpu_runnable(prev))
            return;
        pv_leave_to_idle();             /* does not return */
    }
    pv_switch_from(prev, regs);
    bool last = sched_put_prev(prev);
    pv_switch_to(next, regs);
    if (last)
        domain_teardown(prev->d);
}
