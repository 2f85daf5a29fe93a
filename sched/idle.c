/* The idle loop: halt with interrupts on; timers and IPIs wake the CPU. A
 * runnable vCPU queued on this CPU, or stolen from another CPU's queue, is
 * entered from here. */
#include <keel/sched.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

void idle_loop(void)
{
    for (;;) {
        irq_disable();
        sched_idle_arm();               /* before looking: no missed wake-up IPI */
        struct vcpu *v = sched_pick_next();
        if (v)
            pv_enter_guest(v);
        cpu_safe_halt();
    }
}
