/* The idle loop: halt with interrupts on; timers and IPIs wake the CPU. */
#include <keel/sched.h>
#include <keel/x86.h>

void idle_loop(void)
{
    for (;;) {
        cpu_safe_halt();
        irq_disable();
    }
}
