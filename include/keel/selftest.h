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
/* Runs every self-test; once the asynchronous ones (guests) are done too,
 * prints "keel: selftest: N passed, M failed" and powers off. Returns
 * while asynchronous tests still run: the caller then idles. */
bool selftest_run_all(void);
/* A test that finishes later (e.g. when its guest shuts down) calls begin
 * when it starts and end with its result. */
void selftest_async_begin(void);
void selftest_async_end(const char *name, int failed);
/* Starts the self-tests that run guests (arch/x86_64/selftest_pv.c). */
void selftest_start_guests(void);

#endif
