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

/* Locks the queue t is on. t->cpu changes only with both queues locked
 * (timer_migrate), so a re-check after locking is enough. */
static struct timer_queue *lock_timer_queue(struct timer *t, uint64_t *flags)
{
    for (;;) {
        unsigned cpu = READ_ONCE(t->cpu);
        struct timer_queue *q = queue_of(cpu);
        *flags = spin_lock_irqsave(&q->lock);
        if (READ_ONCE(t->cpu) == cpu)
            return q;
        spin_unlock_irqrestore(&q->lock, *flags);
    }
}

/* After t became the earliest timer of `cpu`'s queue q (locked): the APIC
 * timer is per CPU, so this CPU re-arms its own and asks another to re-arm
 * its own (after the caller drops the lock: *kick says so). */
static void rearm_or_kick(struct timer_queue *q, unsigned cpu, bool *kick)
{
    if (cpu == smp_processor_id())
        rearm(q);
    else
        *kick = true;
}

void timer_set(struct timer *t, uint64_t expires_ns)
{
    uint64_t f;
    struct timer_queue *q = lock_timer_queue(t, &f);
    unsigned cpu = t->cpu;
    bool kick = false;
    if (t->pending)
        timer_queue_remove(q, t);
    t->expires = expires_ns;
    if (timer_queue_insert(q, t))
        rearm_or_kick(q, cpu, &kick);
    spin_unlock_irqrestore(&q->lock, f);
    if (kick)
        smp_call_on_cpu(cpu, kick_remote, q, false);
}

void timer_stop(struct timer *t)
{
    uint64_t f;
    struct timer_queue *q = lock_timer_queue(t, &f);
    if (t->pending)
        timer_queue_remove(q, t);
    spin_unlock_irqrestore(&q->lock, f);
}

/* Moves t (armed or not) to `cpu`'s queue, keeping its expiry: a vCPU's
 * timers follow it when the scheduler moves it (as Xen's migrate_timer),
 * so they fire where it runs instead of interrupting the CPU it left. A
 * callback already running on the old CPU is harmless: it may re-arm t,
 * which then lands on the new queue. */
void timer_migrate(struct timer *t, unsigned cpu)
{
    uint64_t f = irq_save();
    unsigned old;
    struct timer_queue *lo, *hi;
    for (;;) {
        old = READ_ONCE(t->cpu);
        if (old == cpu) {
            irq_restore(f);
            return;
        }
        lo = queue_of(old < cpu ? old : cpu);   /* both locks in CPU order */
        hi = queue_of(old < cpu ? cpu : old);
        spin_lock(&lo->lock);
        spin_lock(&hi->lock);
        if (READ_ONCE(t->cpu) == old)
            break;
        spin_unlock(&hi->lock);
        spin_unlock(&lo->lock);
    }
    struct timer_queue *to = queue_of(cpu);
    bool kick = false;
    bool pending = t->pending;
    if (pending)
        timer_queue_remove(queue_of(old), t);
    WRITE_ONCE(t->cpu, cpu);
    if (pending && timer_queue_insert(to, t))
        rearm_or_kick(to, cpu, &kick);
    spin_unlock(&hi->lock);
    spin_unlock(&lo->lock);
    irq_restore(f);
    if (kick)
        smp_call_on_cpu(cpu, kick_remote, to, false);
}

static void no_callback_running(void *arg)
{
    (void)arg;
}

/* Returns once no timer callback that started before the call is still
 * running on any CPU (callbacks run with interrupts off, so a CPU that
 * took the call has finished the one it was in). */
void timer_sync_callbacks(void)
{
    smp_call_others(no_callback_running, NULL, true);
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
