/* Per-CPU run queues: a FIFO of runnable vCPUs per physical CPU and a
 * 10 ms time slice, so several vCPUs can share a CPU (round robin). The
 * weighted scheduler (the scheduler issue) replaces the policy; the
 * mechanism (queue, slice timer, switch on return to the guest) stays. */
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/vcpu.h>

#define SLICE_NS    10000000UL

static void wake_cpu(void *arg)
{
    (void)arg;                          /* the IPI ends the CPU's hlt */
}

void sched_enqueue(struct vcpu *v)
{
    struct percpu *pc = cpu_percpu[v->processor];
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    v->rq_next = NULL;
    if (pc->rq_tail)
        pc->rq_tail->rq_next = v;
    else
        pc->rq_head = v;
    pc->rq_tail = v;
    spin_unlock_irqrestore(&pc->rq_lock, f);
    if (v->processor != smp_processor_id())
        smp_call_on_cpu(v->processor, wake_cpu, NULL, false);
}

struct vcpu *sched_dequeue(void)
{
    struct percpu *pc = this_cpu();
    uint64_t f = spin_lock_irqsave(&pc->rq_lock);
    struct vcpu *v = pc->rq_head;
    if (v) {
        pc->rq_head = v->rq_next;
        if (!pc->rq_head)
            pc->rq_tail = NULL;
        v->rq_next = NULL;
    }
    spin_unlock_irqrestore(&pc->rq_lock, f);
    return v;
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

/* On return to a guest from an interrupt: switch to the next runnable
 * vCPU if the slice is over. regs is the guest frame at the stack top. */
void sched_maybe_switch(struct cpu_regs *regs)
{
    struct percpu *pc = this_cpu();
    if (!pc->need_resched)
        return;
    pc->need_resched = false;
    struct vcpu *next = sched_dequeue();
    if (!next)
        return;
    struct vcpu *prev = current_vcpu();
    pv_switch_from(prev, regs);
    sched_enqueue(prev);
    pv_switch_to(next, regs);
}
