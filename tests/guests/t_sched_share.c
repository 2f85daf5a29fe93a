/* The share of a CPU this vCPU gets, from its runstate figures (ref 5.15,
 * 6.4), and the runstate sub-ops themselves.
 * Alone (no command line): get_runstate_info and the registered runstate
 * area are consistent (state running, the four times add up to the system
 * time that passed, the XEN_RUNSTATE_UPDATE bit clear when read), bad
 * arguments are refused, and a 2 s spin gets >= 90% of its CPU.
 * In the scheduler pairs (tests/guests/pairs.list) the command line says
 * what to expect while sharing one CPU with another domain:
 *   share=P   P% of the CPU (within 5% of P) over the window
 *   min=P / max=P   at least / at most P%
 *   secs=N    the window, N s of system time (default 10)
 *   spin=1    spin in hypercalls (xen_version) instead of plain loops
 *   waitalone then keep spinning until the other domain has ended (this
 *             domain gets the whole CPU), so dom0 ends last. */
#include "sched_common.h"

GUEST_TEST("sched_share");

static volatile uint64_t sink;
static struct vcpu_runstate_info area __attribute__((aligned(64)));

/* About a millisecond of work (or hypercalls) under TCG. */
static void burn(bool hypercalls)
{
    if (hypercalls) {
        for (unsigned i = 0; i < 64; i++)
            HYPERVISOR_xen_version(XENVER_version, NULL);
        return;
    }
    for (unsigned i = 0; i < 200000; i++)
        sink++;
}

static void check_args(void)
{
    struct vcpu_runstate_info r;
    struct vcpu_register_memory_area a = { .addr = 0xffff800000000000UL };
    check_eq("get_runstate_info vcpu 100", HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 100, &r),
             -ENOENT);
    check_eq("get_runstate_info to a hypervisor address",
             HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (void *)0xffff800000001000UL), -EFAULT);
    check_eq("register_runstate at a hypervisor address",
             HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), -EFAULT);
    check_eq("register_runstate, argument unreadable",
             HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (void *)0x10), -EFAULT);
}

/* The runstate figures cover system time: over a 50 ms window, the growth
 * of their sum lies between the pvclock intervals measured just inside
 * and just outside the two readings (the vCPU may be preempted between a
 * reading and the clock, on a loaded host too), with 1 ms to spare. */
static void check_consistency(void)
{
    struct vcpu_runstate_info a, b;
    uint64_t a_before = pvclock_ns();
    runstate(0, &a);
    uint64_t a_after = pvclock_ns();
    while (pvclock_ns() - a_after < 50000000)
        burn(false);
    uint64_t b_before = pvclock_ns();
    runstate(0, &b);
    uint64_t b_after = pvclock_ns();
    check_eq("state of the running vCPU", b.state, RUNSTATE_running);
    check(!(b.state_entry_time & XEN_RUNSTATE_UPDATE), "update flag set in get_runstate_info");
    check(b.state_entry_time <= b_after, "state_entry_time %lu after now %lu", b.state_entry_time,
          b_after);
    for (unsigned i = 0; i < 4; i++)
        check(b.time[i] >= a.time[i], "time[%u] went back", i);
    uint64_t dsum = runstate_total(&b) - runstate_total(&a);
    uint64_t lo = b_before - a_after, hi = b_after - a_before;
    printk("runstate: %lu ns of states over %lu..%lu ns of pvclock (running %lu)\n", dsum, lo, hi,
           b.time[0] - a.time[0]);
    check(dsum + 1000000 >= lo && dsum <= hi + 1000000,
          "the states add up to %lu ns, outside %lu..%lu ns of pvclock", dsum, lo, hi);
}

static void check_area(void)
{
    struct vcpu_register_memory_area a = { .addr = (uint64_t)&area };
    struct vcpu_runstate_info r;
    check_eq("vm_assist runstate_update_flag",
             HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag), 0);
    check_eq("register_runstate_memory_area",
             HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), 0);
    check_eq("area state at registration", area.state, RUNSTATE_running);
    check(area.state_entry_time && !(area.state_entry_time & XEN_RUNSTATE_UPDATE),
          "area state_entry_time %#lx", area.state_entry_time);
    for (unsigned i = 0; i < 20; i++) {
        burn(false);
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    runstate(0, &r);
    check(!(area.state_entry_time & XEN_RUNSTATE_UPDATE), "update flag left set in the area");
    check(runstate_total(&area) <= runstate_total(&r), "the area is ahead of get_runstate_info");
    check(area.time[0] <= r.time[0], "area running time ahead");
    a.addr = 0;
    check_eq("unregister (address 0)", HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), 0);
}

/* Spins for `ns` of system time; returns the running share in 0.1%. */
static uint64_t measure(uint64_t ns, bool hypercalls, uint64_t *ran)
{
    struct vcpu_runstate_info a, b;
    runstate(0, &a);
    do {
        burn(hypercalls);
        runstate(0, &b);
    } while (runstate_total(&b) - runstate_total(&a) < ns);
    *ran = b.time[0] - a.time[0];
    return *ran * 1000 / (runstate_total(&b) - runstate_total(&a));
}

/* The other domain has ended when this one gets >= 95% three times in a row. */
static void wait_alone(bool hypercalls)
{
    uint64_t ran;
    unsigned in_a_row = 0;
    for (unsigned i = 0; i < 600 && in_a_row < 3; i++)
        in_a_row = measure(100000000, hypercalls, &ran) >= 950 ? in_a_row + 1 : 0;
    check(in_a_row == 3, "the other domain did not end within 60 s");
}

void test_main(void)
{
    bool alone = start_info->cmd_line[0] == 0;
    bool hyper = opt_uint("spin", 0) != 0;
    uint64_t secs = opt_uint("secs", alone ? 2 : 10), ran;
    if (alone) {
        check_args();
        check_consistency();
        check_area();
    }
    uint64_t pm = measure(secs * 1000000000UL, hyper, &ran);
    printk("sched_share: ran %lu ms of %lu s: %lu.%lu%% of the CPU (%s)\n", ran / 1000000, secs,
           pm / 10, pm % 10, hyper ? "hypercalls" : "plain loop");
    uint64_t share = opt_uint("share", 0), min = opt_uint("min", alone ? 90 : 0);
    uint64_t max = opt_uint("max", 100);
    if (share)
        check(pm * 100 >= share * 950 && pm * 100 <= share * 1050,
              "share %lu.%lu%%, want %lu%% +-5%%", pm / 10, pm % 10, share);
    check(pm >= min * 10, "share %lu.%lu%% below %lu%%", pm / 10, pm % 10, min);
    check(pm <= max * 10, "share %lu.%lu%% above %lu%%", pm / 10, pm % 10, max);
    if (opt_word("waitalone"))
        wait_alone(hyper);
}
