/* timer: guest timers and system time (ref §5.15, §6.3). VIRQ_TIMER is
 * bound and each timer event wakes SCHEDOP_block through the library's
 * event callback. Checked, all in system time (so slow emulation does not
 * matter): set_timer_op and VCPUOP_set_singleshot_timer never fire early;
 * a past deadline fires at once (Xen 4.17.x ignores VCPU_SSHOTTMR_future,
 * no -ETIME); a 100 Hz periodic
 * timer gives 100 ± 2 events per second while the vCPU runs (Xen ticks it
 * only then: a blocked vCPU gets no periodic events); stopped timers stay quiet;
 * periods below 1 ms are refused; system time never goes backwards; a
 * vCPU starts with Xen's default 100 Hz periodic timer, which does not
 * wake it while it is blocked.
 * Run with -icount so that host load cannot stall the emulated CPU.
 * guest-run: qemu=-icount+shift=0 */
#include "guest.h"

GUEST_TEST("timer");

#define EINVAL 22

static uint64_t last_seen_ns;

static uint64_t system_time_ns(void)
{
    uint64_t ns = pvclock_ns();
    if (ns < last_seen_ns)
        fail("system time went back from %lu to %lu", last_seen_ns, ns);
    last_seen_ns = ns;
    return ns;
}

/* Blocks (events unmasked by block) until an event arrives; returns the
 * system time after it. */
static uint64_t block_for_event(void)
{
    unsigned ev = events_seen;
    for (int i = 0; i < 1000 && events_seen == ev; i++)
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    VCPU0->evtchn_upcall_mask = 1;
    if (events_seen == ev)
        fail("no event after 1000 blocks");
    return system_time_ns();
}

static void singleshots(void)
{
    for (int i = 0; i < 5; i++) {
        uint64_t want = system_time_ns() + 3000000;     /* 3 ms */
        check_eq("set_timer_op", HYPERVISOR_set_timer_op(want), 0);
        uint64_t got = block_for_event();
        check(got >= want, "set_timer_op fired %lu ns early", want - got);
    }
    struct vcpu_set_singleshot_timer s = { .timeout_abs_ns = system_time_ns() + 2000000,
                                           .flags = VCPU_SSHOTTMR_future };
    uint64_t want = s.timeout_abs_ns;
    check_eq("set_singleshot_timer", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s), 0);
    uint64_t got = block_for_event();
    check(got >= want, "singleshot fired %lu ns early", want - got);
    /* Xen 4.17.x (Debian) ignores VCPU_SSHOTTMR_future: a past deadline
     * is not -ETIME (the original ABI) but fires at once. */
    s.timeout_abs_ns = system_time_ns() - 1000000;
    check_eq("singleshot in the past with _future", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s), 0);
    check_eq("  its event is pending at once", VCPU0->evtchn_upcall_pending, 1);
    block_for_event();
    check_eq("stop_singleshot_timer", HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
}

/* Spins with events unmasked for span_ns of system time (the library's
 * callback takes each event); returns the events seen per second and
 * prints them with `what`. */
static uint64_t events_per_second(uint64_t span_ns, const char *what)
{
    unsigned start_events = events_seen;
    uint64_t start = system_time_ns(), end = start + span_ns;
    VCPU0->evtchn_upcall_mask = 0;
    while (system_time_ns() < end)
        ;
    VCPU0->evtchn_upcall_mask = 1;
    uint64_t span = system_time_ns() - start;
    unsigned n = events_seen - start_events;
    uint64_t per_s = (uint64_t)n * 1000000000UL / span;
    printk("timer: %s: %u events in %lu ns of system time (%lu per s)\n", what, n, span, per_s);
    return per_s;
}

static void periodic(void)
{
    struct vcpu_set_periodic_timer p = { .period_ns = 500000 };
    check_eq("periodic 0.5 ms refused", HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p), -EINVAL);
    p.period_ns = 10000000;                             /* 100 Hz */
    check_eq("set_periodic_timer 100 Hz", HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p), 0);
    /* Xen ticks a periodic timer only while its vCPU runs or waits to
     * run (never for a blocked vCPU), so count while spinning, events
     * unmasked: the library's callback takes each one. */
    uint64_t per_s = events_per_second(1000000000UL, "100 Hz periodic timer");
    check(per_s >= 98 && per_s <= 102, "100 Hz timer gave %lu events per second", per_s);
    check_eq("stop_periodic_timer", HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);

    /* A tick that came just before the stop may still be pending: take it
     * (unmask, then any hypercall delivers it). */
    VCPU0->evtchn_upcall_mask = 0;
    HYPERVISOR_xen_version(XENVER_version, NULL);
    VCPU0->evtchn_upcall_mask = 1;
    /* Quiet afterwards: only the singleshot that ends the wait arrives. */
    uint64_t quiet_end = system_time_ns() + 50000000;   /* 50 ms */
    HYPERVISOR_set_timer_op(quiet_end);
    unsigned before = events_seen;
    uint64_t t = block_for_event();
    check(t >= quiet_end, "woken %lu ns before the singleshot: the periodic timer still ran",
          quiet_end - t);
    check_eq("one event while the periodic timer is stopped", events_seen - before, 1);
}

/* Every PV vCPU starts with a 10 ms periodic timer (Xen's default):
 * 100 ± 4 ticks per second while it runs, none while it is blocked. */
static void default_tick(void)
{
    uint64_t per_s = events_per_second(500000000UL, "default periodic timer");
    check(per_s >= 96 && per_s <= 104, "default timer gave %lu events per second", per_s);
    uint64_t wake = system_time_ns() + 50000000;        /* 50 ms: five ticks */
    check_eq("set_timer_op", HYPERVISOR_set_timer_op(wake), 0);
    uint64_t t = block_for_event();
    check(t >= wake, "the default tick woke a blocked vCPU %lu ns early", wake - t);
}

void test_main(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_eq("bind VIRQ_TIMER", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
    default_tick();
    /* Then stop it, so that only the timers set below send events. */
    check_eq("stop the default periodic timer", HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    uint64_t a = system_time_ns();
    for (int i = 0; i < 100000; i++)
        system_time_ns();
    check(system_time_ns() > a, "system time does not advance");
    singleshots();
    periodic();
}
