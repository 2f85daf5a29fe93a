/* Scheduling. For now each CPU idles until interrupted; the scheduler of
 * vCPUs comes with the PV core. */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/compiler.h>
#include <keel/types.h>

struct vcpu;
struct cpu_regs;

void idle_loop(void) __noreturn;
/* May v run: online and its domain running. */
bool vcpu_runnable(const struct vcpu *v);
/* Queues v on its CPU unless queued or running already. */
void sched_wake(struct vcpu *v);
/* The next vCPU for this CPU (marked running), or NULL. */
struct vcpu *sched_pick_next(void);
/* prev left this CPU: requeued if runnable; true if its dying domain is
 * now idle everywhere (caller calls domain_teardown). */
bool sched_put_prev(struct vcpu *prev);
/* v's CPU reconsiders what it runs at its next return to a guest. */
void sched_kick(struct vcpu *v);
/* Blocks the current vCPU v until sched_unblock(v), unless wake_now(v),
 * checked after the blocked flag is set, is true (no lost wake-ups). */
void sched_block(struct vcpu *v, bool (*wake_now)(struct vcpu *));
void sched_unblock(struct vcpu *v);
void sched_yield(void);
void sched_start_slice(void);
void sched_maybe_switch(struct cpu_regs *regs);

#endif
