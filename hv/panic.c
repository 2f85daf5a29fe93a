/* Panic: one CPU reports, the others are stopped, then reboot or halt. */
#include <keel/panic.h>
#include <keel/console.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/power.h>
#include <keel/traps.h>
#include <keel/x86.h>

static volatile int panic_cpu = -1;

bool panic_in_progress(void)
{
    return panic_cpu >= 0;
}

void panic_stop_this_cpu(void)
{
    machine_halt();
}

void panic_begin(void)
{
    int me = (int)smp_processor_id();
    int expected = -1;

    irq_disable();
    /* A second CPU (or a nested fault on this one) stops here. */
    if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        if (expected != me)
            machine_halt();
        log_err("*** nested fault during panic: halting ***\n");
        console_flush();
        machine_halt();
    }
    /* A CPU that died holding the console lock must not silence us. */
    for (int spin = 0; spin < 1000000; spin++)
        cpu_relax();
    console_force_unlock();
    smp_stop_others();
}

void panic_end(const char *why)
{
    log_err("\n*** Keel stopped on CPU %u: %s ***\n", smp_processor_id(), why);
    if (opt_noreboot) {
        log_err("*** noreboot: halting the machine ***\n");
        console_flush();
        machine_halt();
    }
    log_err("*** rebooting the machine ***\n");
    console_flush();
    machine_reboot();
}

void panic(const char *fmt, ...)
{
    va_list ap;
    uint64_t rbp;

    panic_begin();
    log_err("\n*** PANIC on CPU %u: ", smp_processor_id());
    va_start(ap, fmt);
    log_vprintf(LOG_ERR, fmt, ap);
    va_end(ap);
    log_err(" ***\n");
    __asm__ ("mov %%rbp, %0" : "=r"(rbp));
    show_stack_trace((uint64_t)__builtin_return_address(0), rbp);
    panic_end("panic");
}
