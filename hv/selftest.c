/* Self-test runner. Tests live next to the code they test, registered
 * with selftest(); this file runs them and prints the verdict line that
 * boot tests look for. */
#include <keel/selftest.h>
#include <keel/cmdline.h>
#include <keel/log.h>

bool opt_selftest;
param_bool("keel.selftest", opt_selftest);

extern const struct selftest __start_selftests[], __stop_selftests[];

void selftest_run_all(void)
{
    unsigned passed = 0, failed = 0;

    for (const struct selftest *t = __start_selftests; t < __stop_selftests; t++) {
        int bad = t->run();
        log_info("selftest: %s: %s\n", t->name, bad ? "FAILED" : "ok");
        if (bad)
            failed++;
        else
            passed++;
    }
    log_always("keel: selftest: %u passed, %u failed\n", passed, failed);
}
