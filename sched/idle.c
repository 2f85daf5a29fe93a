/* The idle loop: halt with interrupts on; timers and IPIs wake the CPU. A
 * vCPU handed to this CPU (percpu.run_next) is entered from here. For now
 * each vCPU owns its physical CPU until it stops; the weighted scheduler
 * comes with the scheduler issue. */
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

void idle_loop(void)
{
    struct percpu *pc = this_cpu();
    for (;;) {
        irq_disable();
        struct vcpu *v = pc->run_next;
        if (v) {
            pc->run_next = NULL;
            pv_enter_guest(v);
        }
        cpu_safe_halt();
    }
}
