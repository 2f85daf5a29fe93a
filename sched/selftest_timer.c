/* Self-test: software timers fire on every CPU, never early, in order. */
#include <keel/selftest.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/x86.h>

#define TICK_NS     10000000UL          /* 10 ms */
#define TICKS       10

struct tick_state {
    struct timer timer;
    volatile unsigned fired;
    volatile unsigned early;
    volatile unsigned wrong_cpu;
};
static struct tick_state ticks[NR_CPUS];

static void tick_fn(struct timer *t, void *data)
{
    struct tick_state *s = data;
    uint64_t now = now_ns();
    if (now < t->expires)
        s->early++;
    if (t->cpu != smp_processor_id())
        s->wrong_cpu++;
    if (++s->fired < TICKS)
        timer_set(t, t->expires + TICK_NS);
}

static void start_ticks(void *arg)
{
    (void)arg;
    unsigned cpu = smp_processor_id();
    timer_init(&ticks[cpu].timer, tick_fn, &ticks[cpu], cpu);
    timer_set(&ticks[cpu].timer, now_ns() + TICK_NS);
}

static int test_timers(void)
{
    int failed = 0;
    for_each_online_cpu(cpu)
        smp_call_on_cpu(cpu, start_ticks, NULL, true);
    uint64_t deadline = now_ns() + (TICKS + 20) * TICK_NS;
    uint64_t flags = irq_save();
    irq_enable();
    while (now_ns() < deadline)
        cpu_relax();
    irq_restore(flags);
    for_each_online_cpu(cpu) {
        struct percpu *pc = cpu_percpu[cpu];
        log_info("timer: cpu %u: %lu ticks (%u software timer callbacks)\n", cpu,
                 pc->timer_irqs, ticks[cpu].fired);
        ST_CHECK(ticks[cpu].fired == TICKS);
        ST_CHECK(ticks[cpu].early == 0);
        ST_CHECK(ticks[cpu].wrong_cpu == 0);
        ST_CHECK(pc->timer_irqs > 0);
        timer_stop(&ticks[cpu].timer);
    }
    return failed;
}
selftest("timers on every CPU", test_timers);

static int test_time_monotonic(void)
{
    int failed = 0;
    uint64_t last = now_ns();
    for (int i = 0; i < 100000; i++) {
        uint64_t t = now_ns();
        ST_CHECK(t >= last);
        if (t < last)
            break;
        last = t;
    }
    uint64_t t0 = now_ns();
    udelay(1000);
    ST_CHECK(now_ns() - t0 >= 1000000);
    return failed;
}
selftest("system time", test_time_monotonic);
