/* Test outcome: failures are recorded as they happen (each printed on its
 * own line for the log); guest_finish prints the single verdict line the
 * runners grep for, then powers the domain off. */
#include "family.h"

static unsigned nr_failures;
static char first_reason[160];

void fail(const char *fmt, ...)
{
    char buf[sizeof(first_reason)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("[%s] check failed: %s\n", guest_test_name, buf);
    if (nr_failures++ == 0)
        memcpy(first_reason, buf, sizeof(buf));
}

unsigned failures(void)
{
    return nr_failures;
}

void guest_poweroff(void)
{
    struct sched_shutdown s = { .reason = SHUTDOWN_poweroff };

    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

void guest_finish(void)
{
    static bool finished;

    if (!finished) {
        finished = true;
        if (nr_failures)
            printk("keel-test: %s: FAIL %s%s\n", guest_test_name, first_reason,
                   nr_failures > 1 ? " (and more)" : "");
        else
            printk("keel-test: %s: PASS\n", guest_test_name);
    }
    guest_poweroff();
}

void guest_abort(const char *fmt, ...)
{
    char buf[sizeof(first_reason)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (nr_failures++ == 0)
        memcpy(first_reason, buf, sizeof(buf));
    else
        printk("[%s] abort: %s\n", guest_test_name, buf);
    guest_finish();
}
