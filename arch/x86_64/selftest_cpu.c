/* Self-tests: cross-CPU calls reach the right CPU; exception fixups work. */
#include <keel/selftest.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/x86.h>

static volatile unsigned ran_on[NR_CPUS];
static volatile unsigned calls;

static void record_cpu(void *arg)
{
    unsigned expect = (unsigned)(uintptr_t)arg;
    if (smp_processor_id() == expect)
        ran_on[expect]++;
    __atomic_fetch_add(&calls, 1, __ATOMIC_SEQ_CST);
}

static int test_cross_calls(void)
{
    int failed = 0;
    unsigned online = 0;
    for_each_online_cpu(cpu) {
        online++;
        for (int i = 0; i < 100; i++)
            ST_CHECK(smp_call_on_cpu(cpu, record_cpu, (void *)(uintptr_t)cpu, true) == 0);
        ST_CHECK(ran_on[cpu] == 100);
    }
    ST_CHECK(calls == online * 100);
    ST_CHECK(online == nr_cpus_online);
    ST_CHECK(smp_call_on_cpu(NR_CPUS + 1, record_cpu, NULL, true) < 0);
    return failed;
}
selftest("cross-CPU calls", test_cross_calls);

static int test_fixups(void)
{
    int failed = 0;
    uint64_t v = 0, here = 0x1234;
    /* A stack guard page (#PF) and a non-canonical address (#GP). */
    ST_CHECK(probe_read_u64((void *)this_cpu()->stack_block, &v) < 0);
    ST_CHECK(probe_read_u64((void *)0x8000000000000000UL, &v) < 0);
    ST_CHECK(probe_read_u64(&here, &v) == 0 && v == 0x1234);
    ST_CHECK(rdmsr_safe(MSR_EFER, &v) == 0 && (v & EFER_LME));
    return failed;
}
selftest("exception fixups", test_fixups);

/* Spinlock torture: every CPU increments one plain counter under the lock;
 * a lost update means the lock failed to exclude. */
#define LOCK_ROUNDS 500     /* small: 4 vCPUs on 2 host cores make every handoff slow */
static spinlock_t torture_lock = SPINLOCK_INIT;
static uint64_t torture_counter;
static volatile unsigned torture_started, torture_done;

static void lock_torture(void *arg)
{
    unsigned cpus = (unsigned)(uintptr_t)arg;
    __atomic_fetch_add(&torture_started, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&torture_started, __ATOMIC_SEQ_CST) < cpus)
        cpu_relax();
    for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
        uint64_t f = spin_lock_irqsave(&torture_lock);
        uint64_t v = torture_counter;
        barrier();
        torture_counter = v + 1;
        spin_unlock_irqrestore(&torture_lock, f);
    }
    __atomic_fetch_add(&torture_done, 1, __ATOMIC_SEQ_CST);
}

static int test_spinlock(void)
{
    int failed = 0;
    unsigned cpus = nr_cpus_online;
    torture_counter = 0;
    torture_started = torture_done = 0;
    smp_call_others(lock_torture, (void *)(uintptr_t)cpus, false);
    lock_torture((void *)(uintptr_t)cpus);
    while (__atomic_load_n(&torture_done, __ATOMIC_SEQ_CST) < cpus)
        cpu_relax();
    log_info("selftest: spinlock: %lu of %u increments\n", torture_counter, cpus * LOCK_ROUNDS);
    ST_CHECK(torture_counter == (uint64_t)cpus * LOCK_ROUNDS);
    ST_CHECK(!spin_is_locked(&torture_lock));
    return failed;
}
selftest("spinlock mutual exclusion", test_spinlock);
