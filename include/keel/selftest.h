/* In-hypervisor self-tests (option keel.selftest): each returns the number
 * of failed checks and logs what failed. */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include <keel/types.h>

struct selftest {
    const char *name;
    int (*run)(void);
};

#define selftest(n, fn) \
    static const struct selftest __selftest_##fn __attribute__((used, section("keel_selftests"), aligned(8))) = { n, fn }

#define ST_CHECK(cond) do {                                             \
        if (!(cond)) {                                                  \
            log_err("selftest: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            failed++;                                                   \
        }                                                               \
    } while (0)

extern bool opt_selftest;
/* Runs every self-test, prints "keel: selftest: N passed, M failed". */
void selftest_run_all(void);

#endif
