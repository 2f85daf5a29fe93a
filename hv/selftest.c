/* Self-test runner. Tests live next to the code they test, registered
 * with selftest(); this file runs them and prints the verdict line that
 * boot tests look for. Tests that run a guest finish asynchronously (the
 * guest runs from an idle loop): the verdict waits for them, with a
 * watchdog so a hung guest is a failure, not a hang. */
#include <keel/selftest.h>
#include <keel/cmdline.h>
#include <keel/log.h>
#include <keel/power.h>
#include <keel/smp.h>
#include <keel/timer.h>
#include <keel/percpu.h>

bool opt_selftest;
param_bool("keel.selftest", opt_selftest);

extern const struct selftest __start_selftests[], __stop_selftests[];

#define ASYNC_TIMEOUT_NS    (20 * 1000000000UL)

static unsigned passed, failed;
static volatile unsigned async_pending;
static struct timer watchdog;

static void report(const char *name, int bad)
{
    log_info("selftest: %s: %s\n", name, bad ? "FAILED" : "ok");
    __atomic_fetch_add(bad ? &failed : &passed, 1, __ATOMIC_SEQ_CST);
}

static void finish(void)
{
    log_always("keel: selftest: %u passed, %u failed\n", passed, failed);
    machine_power_off();
}

static void watchdog_fired(struct timer *t, void *data)
{
    (void)t, (void)data;
    log_err("selftest: %u asynchronous test(s) did not finish in time\n", async_pending);
    failed += async_pending;
    finish();
}

void selftest_async_begin(void)
{
    __atomic_fetch_add(&async_pending, 1, __ATOMIC_SEQ_CST);
}

void selftest_async_end(const char *name, int bad)
{
    report(name, bad);
    if (__atomic_sub_fetch(&async_pending, 1, __ATOMIC_SEQ_CST) == 0) {
        timer_stop(&watchdog);
        finish();
    }
}

bool selftest_run_all(void)
{
    for (const struct selftest *t = __start_selftests; t < __stop_selftests; t++)
        report(t->name, t->run());
    selftest_start_guests();
    if (!async_pending)
        finish();
    timer_init(&watchdog, watchdog_fired, NULL, smp_processor_id());
    timer_set(&watchdog, now_ns() + ASYNC_TIMEOUT_NS);
    return true;
}
