/* Scheduling. For now each CPU idles until interrupted; the scheduler of
 * vCPUs comes with the PV core. */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/compiler.h>

struct vcpu;
struct cpu_regs;

void idle_loop(void) __noreturn;
void sched_enqueue(struct vcpu *v);
struct vcpu *sched_dequeue(void);
void sched_start_slice(void);
void sched_maybe_switch(struct cpu_regs *regs);

#endif
