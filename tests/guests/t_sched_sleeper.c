/* A vCPU that mostly sleeps does not lose its turn: it works ~1 ms, then
 * sleeps 4 ms (a singleshot timer, then SCHEDOP_block until its
 * VIRQ_TIMER arrives), for 10 s of system time (2 s alone). Beside a CPU-bound domain on the same CPU it must get
 * the CPU back within about one slice of the other each time it wakes:
 * on average at most 12 ms late, never more than 60 ms (TCG time is host
 * time: a busy host stretches single waits). The clock is its own
 * system time (ref 6.3); its runstate shows it blocked (ref 5.15).
 * Virtual time (QEMU -icount), so that host load cannot delay a wake-up.
 * guest-run: qemu=-icount+shift=1 */
#include "sched_common.h"

GUEST_TEST("sched_sleeper");

static volatile uint64_t sink;

static uint64_t clock_ns(void)
{
    return pvclock_ns();
}

/* Sleeps until system time `deadline`: a singleshot timer, then block
 * (which unmasks events) until its event has been taken. */
static uint64_t sleep_until(uint64_t deadline)
{
    uint64_t now;
    if (HYPERVISOR_set_timer_op(deadline))
        guest_abort("set_timer_op refused");
    while ((now = clock_ns()) < deadline) {
        unsigned ev = events_seen;
        while (events_seen == ev)
            HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        VCPU0->evtchn_upcall_mask = 1;
    }
    return now;
}

static uint64_t running_ns(void)
{
    struct vcpu_runstate_info r;
    runstate(0, &r);
    return r.time[0];
}

void test_main(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_eq("bind VIRQ_TIMER", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
    check_eq("stop the default periodic timer", HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    bool alone = start_info->cmd_line[0] == 0;
    uint64_t window = opt_uint("secs", alone ? 2 : 10) * 1000000000UL;
    uint64_t start = clock_ns(), late_max = 0, late_sum = 0, cycles = 0, now;
    do {
        uint64_t r0 = running_ns();
        while (running_ns() - r0 < 1000000)
            for (unsigned i = 0; i < 2000; i++)
                sink++;
        uint64_t deadline = clock_ns() + 4000000;
        now = sleep_until(deadline);
        uint64_t late = now - deadline;
        late_sum += late;
        late_max = late > late_max ? late : late_max;
        cycles++;
    } while (now - start < window);
    uint64_t avg = late_sum / cycles;
    printk("sched_sleeper: %lu cycles, wake-up lateness max %lu us, average %lu us\n", cycles,
           late_max / 1000, avg / 1000);
    check(late_max <= 60000000, "woke %lu us late", late_max / 1000);
    check(avg <= 12000000, "woke %lu us late on average", avg / 1000);
    struct vcpu_runstate_info r;
    runstate(0, &r);
    printk("sched_sleeper: ran %lu ms, runnable %lu ms, blocked %lu ms\n", r.time[0] / 1000000,
           r.time[1] / 1000000, r.time[2] / 1000000);
    check(r.time[2] > r.time[0], "blocked %lu ms, less than it ran (%lu ms)", r.time[2] / 1000000,
          r.time[0] / 1000000);
}
