/* Per-CPU software timers on top of the pure queue; the local APIC timer
 * is armed for the earliest expiry on each CPU (tickless). */
#include <keel/timer.h>
#include <keel/apic.h>
#include <keel/percpu.h>
#include <keel/smp.h>

static struct timer_queue *queue_of(unsigned cpu)
{
    return &cpu_percpu[cpu]->timers;
}

/* Caller holds the queue lock and runs on the queue's CPU. */
static void rearm(struct timer_queue *q)
{
    uint64_t next = timer_queue_next(q);
    if (next == UINT64_MAX) {
        apic_timer_arm(0);
        return;
    }
    uint64_t now = now_ns();
    apic_timer_arm(rdtsc() + ns_to_tsc(next > now ? next - now : 0) + 1);
}

void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data, unsigned cpu)
{
    t->fn = fn;
    t->data = data;
    t->cpu = cpu;
    t->next = NULL;
    t->pending = false;
    t->expires = 0;
}

static void kick_remote(void *arg)
{
    struct timer_queue *q = arg;
    uint64_t f = spin_lock_irqsave(&q->lock);
    rearm(q);
    spin_unlock_irqrestore(&q->lock, f);
}

void timer_set(struct timer *t, uint64_t expires_ns)
{
    struct timer_queue *q = queue_of(t->cpu);
    uint64_t f = spin_lock_irqsave(&q->lock);
    if (t->pending)
        timer_queue_remove(q, t);
    t->expires = expires_ns;
    bool first = timer_queue_insert(q, t);
    bool local = t->cpu == smp_processor_id();
    if (first && local)
        rearm(q);
    spin_unlock_irqrestore(&q->lock, f);
    /* The APIC timer is per CPU: another CPU re-arms its own. */
    if (first && !local)
        smp_call_on_cpu(t->cpu, kick_remote, q, false);
}

void timer_stop(struct timer *t)
{
    struct timer_queue *q = queue_of(t->cpu);
    uint64_t f = spin_lock_irqsave(&q->lock);
    if (t->pending)
        timer_queue_remove(q, t);
    spin_unlock_irqrestore(&q->lock, f);
}

void timer_interrupt(void)
{
    struct timer_queue *q = &this_cpu()->timers;
    struct timer *t;

    spin_lock(&q->lock);
    while ((t = timer_queue_pop_expired(q, now_ns()))) {
        /* Run without the lock so the callback may re-arm its timer. */
        spin_unlock(&q->lock);
        t->fn(t, t->data);
        spin_lock(&q->lock);
    }
    rearm(q);
    spin_unlock(&q->lock);
}

void timers_cpu_init(void)
{
    apic_timer_arm(0);
}

/* Each CPU keeps a 1 Hz heartbeat timer: it proves the CPU's timer
 * interrupts work while idle (debug key 'c' shows the counts) and is where
 * per-CPU time calibration will hook in. */
#define HEARTBEAT_NS 1000000000UL

static void heartbeat(struct timer *t, void *data)
{
    (void)data;
    this_cpu()->heartbeats++;
    timer_set(t, t->expires + HEARTBEAT_NS);
}

void timer_start_heartbeat(void)
{
    struct percpu *pc = this_cpu();
    timer_init(&pc->heartbeat, heartbeat, NULL, pc->cpu_id);
    timer_set(&pc->heartbeat, now_ns() + HEARTBEAT_NS);
}
