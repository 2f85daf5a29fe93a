/* keel.crashtest=<kind>: take a deliberate fault to show (and test) the
 * fatal-exception report: pf (write to an unmapped address), gp
 * (non-canonical access), ud (ud2), de (divide by zero). */
#include <keel/traps.h>
#include <keel/cmdline.h>
#include <keel/log.h>
#include <keel/string.h>

static char opt_crashtest[8];
param_string("keel.crashtest", opt_crashtest);

static void __attribute__((noinline)) crashtest_page_fault(void)
{
    *(volatile uint64_t *)0xffff8000deadb000UL = 1;
}

static void __attribute__((noinline)) crashtest_general_protection(void)
{
    *(volatile uint64_t *)0x8000000000000000UL = 1;
}

static void __attribute__((noinline)) crashtest_invalid_opcode(void)
{
    __asm__ __volatile__("ud2");
}

static void __attribute__((noinline)) crashtest_divide_error(void)
{
    volatile unsigned zero = 0;
    volatile unsigned x = 1 / zero;
    (void)x;
}

void crashtest_run(void)
{
    static const struct { const char *name; void (*fn)(void); } kinds[] = {
        { "pf", crashtest_page_fault }, { "gp", crashtest_general_protection },
        { "ud", crashtest_invalid_opcode }, { "de", crashtest_divide_error },
    };
    if (!opt_crashtest[0])
        return;
    for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (!strcmp(opt_crashtest, kinds[i].name)) {
            log_info("crashtest: taking a deliberate '%s' fault\n", kinds[i].name);
            kinds[i].fn();
            log_err("crashtest: the fault did not happen\n");
            return;
        }
    }
    log_warn("crashtest: unknown kind '%s' (pf, gp, ud, de)\n", opt_crashtest);
}
