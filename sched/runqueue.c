/* Per-CPU run queues under the proportional-share policy of
 * keel/sched_policy.h: each CPU runs its queued vCPU with the smallest
 * virtual time for a slice (10 ms, less for a capped domain near the end
 * of its budget); a CPU with nothing to run steals a queued vCPU from
 * another CPU (work stealing, within the vCPU's hard affinity). No global
 * lock: a CPU takes its own queue lock, and another's only with trylock
 * when stealing or to queue a vCPU there on wake-up.
 *
 * Each vCPU is off, queued or running (v->sched_state), changed only under
 * the run-queue lock of v->processor, so a wake-up racing with the vCPU
 * leaving its CPU is never lost or doubled. v->processor changes only
 * while v is queued, under the old CPU's lock (stealing), stored last with
 * release order: whoever locks the queue that v->processor names and
 * finds it unchanged sees v's current state. d->nr_active counts a
 * domain's queued and running vCPUs: when a dying domain's count reaches
 * zero, nothing of it runs anywhere and it is torn down.
 *
 * A vCPU's registers are saved (pv_switch_from) before it is queued, so a
 * CPU that steals it finds a complete state. The CPU it arrives on flushes
 * its TLB (last_vcpu is cleared: the vCPU may have run elsewhere since
 * it last ran here); the GDT and LDT areas are keyed by vCPU and by LDT
 * generation, and a changed GDT is forgotten on every CPU (pv_gdt.c), so
 * both reload as needed. */
#include <keel/sched.h>
#include <keel/domain.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/vcpu.h>

#define item_vcpu(i)    ((struct vcpu *)((char *)(i) - __builtin_offsetof(struct vcpu, sched)))

static inline unsigned vcpu_cpu(const struct vcpu *v)
{
    return __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
}

/* Locks the run queue v->processor names (retrying if v moved meanwhile). */
static struct percpu *lock_vcpu_rq(struct vcpu *v, uint64_t *flags)
{
    for (;;) {
        unsigned cpu = vcpu_cpu(v);
        struct percpu *pc = cpu_percpu[cpu];
        *flags = spin_lock_irqsave(&pc->rq_lock);
        if (vcpu_cpu(v) == cpu)
            return pc;
        spin_unlock_irqrestore(&pc->rq_lock, *flags);
    }
}

static void wake_cpu(void *arg)
{
    (void)arg;                          /* the IPI ends the CPU's hlt */
}

static void resched_ipi(void *arg)
{
    (void)arg;
    this_cpu()->need_resched = true;
}

bool vcpu_runnable(const struct vcpu *v)
{
    return v->online && !v->blocked && v->d->state == DOMAIN_RUNNING;
}

/* What v is when it neither runs nor waits for a CPU. */
static int idle_runstate(const struct vcpu *v)
{
    if (v->online && v->blocked && v->d->state == DOMAIN_RUNNING)
        return SCHED_RUNSTATE_blocked;
    return vcpu_runnable(v) ? SCHED_RUNSTATE_runnable : SCHED_RUNSTATE_offline;
}

/* ---- caps ---- */

/* Has v's domain budget left (refilled first)? Uncapped: always. */
static bool cap_allows(struct domain *d, uint64_t now)
{
    if (!d->sched_cap)
        return true;
    spin_lock(&d->cap_lock);
    sched_cap_refill(&d->cap_budget, d->sched_cap, now);
    bool ok = d->cap_budget.budget_ns > 0;
    spin_unlock(&d->cap_lock);
    return ok;
}

static uint64_t slice_for(struct domain *d)
{
    if (!d->sched_cap)
        return SCHED_SLICE_NS;
    spin_lock(&d->cap_lock);
    uint64_t s = sched_cap_slice(&d->cap_budget, SCHED_SLICE_NS);
    spin_unlock(&d->cap_lock);
    return s;
}

/* The running vCPU v pays for its time since the last charge. */
static void charge(struct percpu *pc, struct vcpu *v, uint64_t now)
{
    uint64_t ran = now > pc->slice_start ? now - pc->slice_start : 0;
    pc->slice_start = now;
    v->sched.vtime = sched_vtime_charge(v->sched.vtime, ran, v->d->sched_weight);
    if (v->d->sched_cap) {
        spin_lock(&v->d->cap_lock);
        sched_cap_refill(&v->d->cap_budget, v->d->sched_cap, now);
        sched_cap_charge(&v->d->cap_budget, ran);
        spin_unlock(&v->d->cap_lock);
    }
}

/* ---- blocking ---- */

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

/* ---- the queue (caller holds pc->rq_lock) ---- */

static void rq_insert(struct percpu *pc, struct vcpu *v)
{
    struct sched_item **pp = &pc->rq_head;
    while (*pp)
        pp = &(*pp)->next;
    v->sched.next = NULL;
    *pp = &v->sched;
    pc->rq_len++;
    v->sched_state = VCPU_QUEUED;
}

static void rq_remove(struct percpu *pc, struct vcpu *v)
{
    for (struct sched_item **pp = &pc->rq_head; *pp; pp = &(*pp)->next)
        if (*pp == &v->sched) {
            *pp = v->sched.next;
            v->sched.next = NULL;
            pc->rq_len--;
            return;
        }
}

/* v (off or queued) will not run: true when its dying domain has nothing
 * left running or queued. */
static bool went_off(struct vcpu *v, uint64_t now)
{
    v->sched_state = VCPU_OFF;
    sched_runstate_change(&v->runstate, idle_runstate(v), now);
    return __atomic_sub_fetch(&v->d->nr_active, 1, __ATOMIC_SEQ_CST) == 0 &&
           v->d->state != DOMAIN_RUNNING && v->d->state != DOMAIN_PAUSED;
}

/* Queued vCPUs that may no longer run (offline, domain paused or dying)
 * leave the queue; returns one whose domain must now be torn down. */
static struct domain *rq_purge(struct percpu *pc, uint64_t now)
{
    for (struct sched_item *i = pc->rq_head; i; i = i->next) {
        struct vcpu *v = item_vcpu(i);
        if (vcpu_runnable(v))
            continue;
        rq_remove(pc, v);
        if (went_off(v, now))
            return v->d;
        return rq_purge(pc, now);       /* the list changed: start again */
    }
    return NULL;
}

struct pick_ctx {
    unsigned cpu;
    uint64_t now;
};

static bool eligible(const struct sched_item *i, void *arg)
{
    const struct pick_ctx *c = arg;
    struct vcpu *v = item_vcpu(i);
    return vcpu_runnable(v) && sched_cpu_allowed(v, c->cpu) && cap_allows(v->d, c->now);
}

/* v becomes the vCPU running on pc. */
static void mark_running(struct percpu *pc, struct vcpu *v, uint64_t now)
{
    v->sched_state = VCPU_RUNNING;
    v->sched.yielded = false;
    if (v->lat.woken_at) {
        uint64_t wait = now > v->lat.woken_at ? now - v->lat.woken_at : 0;
        v->lat.wake_wait_sum += wait;
        v->lat.wake_wait_max = MAX(v->lat.wake_wait_max, wait);
        v->lat.wake_n++;
        v->lat.woken_at = 0;
    }
    sched_runstate_change(&v->runstate, SCHED_RUNSTATE_running, now);
    if (vtime_before(pc->min_vtime, v->sched.vtime))
        pc->min_vtime = v->sched.vtime;
    pc->sched_curr = v;
}

/* The next vCPU for pc among its queue and `running` (still on the CPU,
 * or NULL), marked running; NULL if none may run. Caller holds the lock. */
static struct vcpu *pick_locked(struct percpu *pc, struct vcpu *running, uint64_t now)
{
    struct pick_ctx c = { pc->cpu_id, now };
    struct sched_item *best = sched_pick(pc->rq_head, running ? &running->sched : NULL,
                                         eligible, &c);
    if (!best)
        return NULL;
    struct vcpu *v = item_vcpu(best);
    if (v != running)
        rq_remove(pc, v);
    mark_running(pc, v, now);
    return v;
}

/* ---- stealing ---- */

/* Takes a queued vCPU of pc that may run on `me` (now running there). */
static struct vcpu *steal_from(struct percpu *pc, struct percpu *me, uint64_t now)
{
    struct pick_ctx c = { me->cpu_id, now };
    struct sched_item *best = sched_pick(pc->rq_head, NULL, eligible, &c);
    if (!best)
        return NULL;
    struct vcpu *v = item_vcpu(best);
    rq_remove(pc, v);
    v->sched.vtime = sched_vtime_move(v->sched.vtime, pc->min_vtime, me->min_vtime);
    mark_running(me, v, now);
    __atomic_store_n(&v->processor, me->cpu_id, __ATOMIC_RELEASE);
    if (me->last_vcpu == v)
        me->last_vcpu = NULL;           /* it ran elsewhere since: flush the TLB */
    return v;
}

/* This CPU has nothing of its own to run: the first other CPU (from the
 * next one up) with a queued vCPU allowed here gives it up. Interrupts are
 * off; another CPU's lock is only tried, never waited for. */
static struct vcpu *steal(struct percpu *me, uint64_t now)
{
    for (unsigned n = 1; n < NR_CPUS; n++) {
        unsigned cpu = (me->cpu_id + n) % NR_CPUS;
        if (!cpu_online(cpu))
            continue;
        struct percpu *pc = cpu_percpu[cpu];
        if (!READ_ONCE(pc->rq_head) || !spin_trylock(&pc->rq_lock))
            continue;
        struct vcpu *v = steal_from(pc, me, now);
        spin_unlock(&pc->rq_lock);
        if (v)
            return v;
    }
    return NULL;
}

/* An idle CPU (not this one) allowed for v, or -1. */
static int idle_cpu_for(const struct vcpu *v)
{
    for_each_online_cpu(cpu)
        if (cpu != smp_processor_id() && sched_cpu_allowed(v, cpu) &&
            __atomic_load_n(&cpu_percpu[cpu]->sched_idle, __ATOMIC_SEQ_CST))
            return (int)cpu;
    return -1;
}

/* An idle CPU allowed for v is woken to steal it (v waits on a busy CPU). */
static void kick_idle_cpu(struct vcpu *v)
{
    int cpu = idle_cpu_for(v);
    if (cpu >= 0)
        smp_call_on_cpu((unsigned)cpu, wake_cpu, NULL, false);
}

/* ---- the public operations ---- */

/* Queues v on its CPU unless it is queued or running already; a vCPU far
 * behind the one running there preempts it. */
void sched_wake(struct vcpu *v)
{
    uint64_t f, now = now_ns();
    struct percpu *pc = lock_vcpu_rq(v, &f);
    bool queued = false, preempt = false, busy = false;
    if (v->sched_state == VCPU_OFF && vcpu_runnable(v)) {
        __atomic_add_fetch(&v->d->nr_active, 1, __ATOMIC_SEQ_CST);
        sched_runstate_change(&v->runstate, SCHED_RUNSTATE_runnable, now);
        v->sched.vtime = sched_wake_vtime(v->sched.vtime, pc->min_vtime);
        v->lat.woken_at = now;
        rq_insert(pc, v);
        queued = true;
        struct vcpu *curr = pc->sched_curr;
        busy = curr != NULL;
        preempt = curr && sched_wake_preempts(v->sched.vtime, curr->sched.vtime);
    }
    unsigned cpu = pc->cpu_id;
    spin_unlock_irqrestore(&pc->rq_lock, f);
    if (!queued)
        return;
    if (cpu == smp_processor_id()) {
        if (preempt)
            this_cpu()->need_resched = true;
    } else {
        smp_call_on_cpu(cpu, preempt ? resched_ipi : wake_cpu, NULL, false);
    }
    if (busy && !preempt)
        kick_idle_cpu(v);
}

/* The next vCPU to run here (marked running), from this CPU's queue or
 * stolen from another's. */
struct vcpu *sched_pick_next(void)
{
    struct percpu *pc = this_cpu();
    uint64_t now = now_ns();
    for (;;) {
        uint64_t f = spin_lock_irqsave(&pc->rq_lock);
        struct domain *dying = rq_purge(pc, now);
        struct vcpu *v = dying ? NULL : pick_locked(pc, NULL, now);
        spin_unlock_irqrestore(&pc->rq_lock, f);
        if (dying) {
            domain_teardown(dying);
            continue;
        }
        if (!v) {
            f = spin_lock_irqsave(&pc->rq_lock);
            v = steal(pc, now);
            spin_unlock_irqrestore(&pc->rq_lock, f);
        }
        return v;
    }
}

/* The running vCPU `prev` has left this CPU (its state saved): back in
 * the queue if it may still run. True when its dying domain is now idle
 * everywhere (the caller tears it down). */
bool sched_put_prev(struct vcpu *prev)
{
    struct percpu *pc = this_cpu();
    uint64_t now = now_ns();
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    bool last = false;
    if (prev->runstate.state == SCHED_RUNSTATE_running)
        charge(pc, prev, now);          /* left without sched_maybe_switch */
    if (pc->sched_curr == prev)
        pc->sched_curr = NULL;
    if (vcpu_runnable(prev)) {
        rq_insert(pc, prev);
        sched_runstate_change(&prev->runstate, SCHED_RUNSTATE_runnable, now);
    } else {
        last = went_off(prev, now);
    }
    spin_unlock_irqrestore(&pc->rq_lock, f);
    return last;
}

/* The idle CPU wakes when a parked (capped) vCPU queued here gets budget
 * again; its slice timer serves. Interrupts are off. */
void sched_idle_arm(void)
{
    struct percpu *pc = this_cpu();
    uint64_t until = UINT64_MAX;
    __atomic_store_n(&pc->sched_idle, true, __ATOMIC_SEQ_CST);
    pc->sched_curr = NULL;
    spin_lock(&pc->rq_lock);
    for (struct sched_item *i = pc->rq_head; i; i = i->next) {
        struct domain *d = item_vcpu(i)->d;
        if (d->sched_cap && d->cap_budget.period_end < until)
            until = d->cap_budget.period_end;
    }
    spin_unlock(&pc->rq_lock);
    if (until != UINT64_MAX && pc->slice.fn)
        timer_set(&pc->slice, until);
}

static void slice_expired(struct timer *t, void *data)
{
    struct percpu *pc = data;
    (void)t;
    pc->need_resched = true;
    if (!pc->sched_curr || !READ_ONCE(pc->rq_head))
        return;
    /* The queue's head may be stolen (and its domain freed) by another
     * CPU at any moment: look at it under the queue's lock only. */
    spin_lock(&pc->rq_lock);
    int cpu = pc->rq_head ? idle_cpu_for(item_vcpu(pc->rq_head)) : -1;
    spin_unlock(&pc->rq_lock);
    if (cpu >= 0)
        smp_call_on_cpu((unsigned)cpu, wake_cpu, NULL, false);
}

/* The vCPU now current on this CPU starts a slice (also called by
 * pv_enter_guest when a CPU leaves its idle loop for a guest). */
void sched_start_slice(void)
{
    struct percpu *pc = this_cpu();
    struct vcpu *v = current_vcpu();
    uint64_t now = now_ns();
    if (!pc->slice.fn)
        timer_init(&pc->slice, slice_expired, pc, pc->cpu_id);
    __atomic_store_n(&pc->sched_idle, false, __ATOMIC_SEQ_CST);
    pc->need_resched = false;
    pc->slice_start = now;
    if (!v)
        return;
    pc->sched_curr = v;
    timer_set(&pc->slice, now + slice_for(v->d));
    vcpu_runstate_area_update(v);
}

/* The CPU running (or about to run) v looks at its run queue again on
 * its next return to a guest: v went offline, or its domain paused or died. */
void sched_kick(struct vcpu *v)
{
    unsigned cpu = vcpu_cpu(v);
    if (cpu == smp_processor_id())
        this_cpu()->need_resched = true;
    else
        smp_call_on_cpu(cpu, resched_ipi, NULL, false);
}

/* The current vCPU gives up the rest of its slice (sched_op yield): the
 * next pick passes it over if anything else may run. */
void sched_yield(void)
{
    struct vcpu *v = current_vcpu();
    if (v)
        v->sched.yielded = true;
    this_cpu()->need_resched = true;
}

/* On return to a guest (from an interrupt or a hypercall), when asked to:
 * charge the current vCPU, then run the best of it and the queue (or a
 * stolen vCPU), or leave for the idle loop when nothing may run. regs is
 * the guest frame at the stack top. */
void sched_maybe_switch(struct cpu_regs *regs)
{
    struct percpu *pc = this_cpu();
    if (!pc->need_resched)
        return;
    pc->need_resched = false;
    struct vcpu *prev = current_vcpu();
    bool prev_was_hvm = prev->hvm != NULL;      /* prev may be freed below */
    uint64_t now = now_ns();
    charge(pc, prev, now);
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    struct domain *dying = rq_purge(pc, now);
    struct vcpu *next = pick_locked(pc, prev, now);
    prev->sched.yielded = false;        /* a yield passes it over once only */
    if (next == prev) {
        spin_unlock_irqrestore(&pc->rq_lock, f);
        if (dying)
            domain_teardown(dying);
        timer_set(&pc->slice, now + slice_for(prev->d));
        return;
    }
    /* prev stops running now (requeued by sched_put_prev once saved). */
    sched_runstate_change(&prev->runstate, idle_runstate(prev), now);
    if (next == NULL)
        next = steal(pc, now);
    if (next == NULL)
        pc->sched_curr = NULL;
    spin_unlock_irqrestore(&pc->rq_lock, f);
    if (dying)
        domain_teardown(dying);
    vcpu_runstate_area_update(prev);    /* still on prev's page tables */
    if (!next)
        pv_leave_to_idle();             /* does not return */
    pv_switch_from(prev, regs);
    pv_switch_to(next, regs);           /* off prev's page tables before it is queued */
    bool last = sched_put_prev(prev);
    pc->sched_curr = next;
    pc->slice_start = now;
    timer_set(&pc->slice, now + slice_for(next->d));
    vcpu_runstate_area_update(next);
    if (last)
        domain_teardown(prev->d);
    /* PV and PVH vCPUs return to their guests differently (iretq from
     * this frame / the VMRUN loop): a switch between kinds re-enters. */
    if ((next->hvm != NULL) != (prev_was_hvm))
        vcpu_resume_current();
}
