/* Four vCPUs (on two CPUs, so they are time-sliced and move between
 * CPUs) increment a shared counter under a test-and-set spinlock (a
 * waiter yields after a while, as PV spinlocks do); every increment must
 * be counted once, every vCPU must have run (runstate, ref 5.15). */
/* guest-run: smp=2 vcpus=4 */
#include "sched_common.h"

GUEST_TEST("sched_spinlock");

#define NR          4
#define ROUNDS      20000

static uint8_t stacks[NR][16384] __attribute__((aligned(16)));
static struct vcpu_guest_context ctx;
static volatile uint32_t lock;
static volatile uint64_t counter;
static volatile uint64_t mine[NR];
static volatile uint32_t finished;

static void take(void)
{
    for (unsigned spins = 0; __atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE); spins++) {
        __asm__ __volatile__("pause");
        if (spins % 1024 == 1023)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

static void work(unsigned id)
{
    for (unsigned i = 0; i < ROUNDS; i++) {
        take();
        uint64_t c = counter;           /* a lost update shows without the lock */
        for (volatile unsigned d = 0; d < 20; d++)
            ;
        counter = c + 1;
        mine[id]++;
        __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    }
    __atomic_add_fetch(&finished, 1, __ATOMIC_SEQ_CST);
}

static void secondary(void)
{
    uint64_t id;
    __asm__ __volatile__("mov %%rbx, %0" : "=r"(id));
    work((unsigned)id);
    HYPERVISOR_vcpu_op(VCPUOP_down, (unsigned)id, NULL);
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static void bring_up(unsigned id)
{
    start_vcpu(&ctx, id, secondary, stacks[id] + sizeof(stacks[id]));
}

void test_main(void)
{
    for (unsigned id = 1; id < NR; id++)
        bring_up(id);
    work(0);
    for (unsigned i = 0; finished < NR && i < 100000000; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    check_eq("vCPUs finished", finished, NR);
    check_eq("counter", counter, (uint64_t)NR * ROUNDS);
    for (unsigned id = 0; id < NR; id++) {
        struct vcpu_runstate_info r;
        runstate(id, &r);
        printk("vcpu %u: %lu increments, ran %lu ms, runnable %lu ms\n", id, mine[id],
               r.time[0] / 1000000, r.time[1] / 1000000);
        check_eq("increments of a vCPU", mine[id], ROUNDS);
        check(r.time[0] > 0, "vCPU %u never ran", id);
    }
}
