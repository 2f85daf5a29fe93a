/* Scheduling: per-CPU run queues of vCPUs under a proportional-share
 * ("credit") policy with caps, hard affinity and work stealing between
 * CPUs (sched/runqueue.c; the policy arithmetic in keel/sched_policy.h). */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/compiler.h>
#include <keel/types.h>
#include <keel/sched_policy.h>

struct vcpu;
struct domain;
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
/* The idle loop is about to halt: marks the CPU idle (others wake it to
 * steal work) and arms a wake-up for a parked capped vCPU. */
void sched_idle_arm(void);
void sched_maybe_switch(struct cpu_regs *regs);

/* ---- parameters, accounting, debugging ---- */
/* Weight 1..65535 (0: default 256), cap 0..25600 percent of one CPU (0:
 * none); -EINVAL when out of range. */
int sched_set_params(struct domain *d, unsigned weight, unsigned cap);
/* Hard affinity of a vCPU that has not started (mask of NR_CPUS bits;
 * NULL: every CPU); -EINVAL if no online CPU is in it, -EBUSY if v is
 * queued or running. */
int sched_set_affinity(struct vcpu *v, const uint64_t *mask);
bool sched_cpu_allowed(const struct vcpu *v, unsigned cpu);
/* v's runstate figures as of now (any vCPU, from any CPU). */
void sched_runstate_get(struct vcpu *v, struct sched_runstate *out);
/* Copies v's runstate to its registered guest area (v's page tables must
 * be loaded, in either mode); see hypercall/vcpu_runstate.c. */
void vcpu_runstate_area_update(struct vcpu *v);
/* VCPUOP_get_runstate_info / register_runstate_memory_area for target
 * (hypercall/vcpu_runstate.c); v is the caller. */
long vcpu_op_runstate(struct vcpu *v, struct vcpu *target, int cmd, uint64_t arg);
/* The scheduler's name (boot option sched=) and its boot log lines (an
 * unknown sched= name is reported there). */
const char *sched_name(void);
void sched_boot_report(void);
/* Every vCPU with its state, weight, virtual time and time per state
 * (debug key). */
void sched_dump(void);

#endif
