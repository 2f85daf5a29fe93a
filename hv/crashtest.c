/* keel.crashtest=<kind>: take a deliberate fault to show (and test) the
 * fatal-exception report: pf (write to an unmapped address), gp
 * (non-canonical access), ud (ud2), de (divide by zero), df (stack overflow
 * into the guard page, ending in a double fault). */
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
    unsigned zero = 0, lo = 1, hi = 0;
    __asm__ __volatile__("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
}

/* Runs into the guard page below the stack: the #PF cannot be delivered
 * on the same stack, so the CPU raises #DF, taken on its own IST stack. */
static unsigned __attribute__((noinline)) crashtest_stack_overflow(unsigned depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth > (1U << 30))         /* never: the guard page comes first */
        return 0;
    return crashtest_stack_overflow(depth + 1) + pad[0];
}

static void crashtest_double_fault(void)
{
    crashtest_stack_overflow(0);
}

void crashtest_run(void)
{
    static const struct { const char *name; void (*fn)(void); } kinds[] = {
        { "pf", crashtest_page_fault }, { "gp", crashtest_general_protection },
        { "ud", crashtest_invalid_opcode }, { "de", crashtest_divide_error },
        { "df", crashtest_double_fault },
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
    log_warn("crashtest: unknown kind '%s' (pf, gp, ud, de, df)\n", opt_crashtest);
}
