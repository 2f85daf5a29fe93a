/* The scheduler's policy arithmetic, pure (host-tested in
 * tests/unit/test_sched_policy.c): virtual time by weight, the pick among
 * queued vCPUs, wake-up placement, cap budgets and runstate accounting.
 *
 * Design ("credit" scheduler, sched/runqueue.c): each vCPU carries a
 * virtual time that advances by run time x 256 / weight (its domain's
 * weight, given to each of its vCPUs as in Xen's credit2). A CPU runs the
 * queued vCPU with the smallest virtual time, for a slice of 10 ms, so
 * CPU-bound vCPUs on one CPU get time in proportion to their weights. A
 * vCPU that wakes (after blocking, or first starting) comes back at no
 * less than the queue's minimum virtual time minus a wake bonus: it runs
 * soon (it does not lose its turn, and preempts a vCPU far ahead of it)
 * but cannot bank the time it slept. A yielding vCPU is passed over once
 * if anything else may run. A cap (percent of one CPU, per domain) is a
 * budget refilled every 30 ms; a domain that spent it waits, parked, until
 * the next refill (overspend is carried as debt). */
#ifndef KEEL_SCHED_POLICY_H
#define KEEL_SCHED_POLICY_H

#include <keel/types.h>

#define SCHED_WEIGHT_DEFAULT    256
#define SCHED_WEIGHT_MAX        65535
#define SCHED_CAP_MAX           25600       /* percent of one CPU: NR_CPUS CPUs */
#define SCHED_SLICE_NS          10000000ULL
#define SCHED_WAKE_BONUS_NS     5000000ULL  /* virtual ns a waking vCPU may be behind */
#define SCHED_WAKE_PREEMPT_NS   1000000ULL  /* a woken vCPU this far behind preempts */
#define SCHED_CAP_PERIOD_NS     30000000ULL
#define SCHED_MIN_SLICE_NS      100000ULL   /* no slice (capped) shorter than this */

/* A vCPU as the policy sees it; embedded in struct vcpu. */
struct sched_item {
    struct sched_item *next;            /* run-queue link */
    uint64_t vtime;                     /* virtual time, ns x 256 / weight */
    bool yielded;                       /* passed over at the next pick */
};

/* a before b, wrap-safe. */
static inline bool vtime_before(uint64_t a, uint64_t b)
{
    return (int64_t)(a - b) < 0;
}

/* vtime after running ran_ns at `weight` (0 = default, clamped to the max). */
uint64_t sched_vtime_charge(uint64_t vtime, uint64_t ran_ns, unsigned weight);
/* vtime of a vCPU waking on a queue whose minimum virtual time is min. */
uint64_t sched_wake_vtime(uint64_t vtime, uint64_t min);
/* vtime carried from a queue at from_min to one at to_min (migration). */
uint64_t sched_vtime_move(uint64_t vtime, uint64_t from_min, uint64_t to_min);
/* Does a waking vCPU at `woken` preempt the running one at `running`? */
bool sched_wake_preempts(uint64_t woken, uint64_t running);

/* The item to run next among the list `head` and `extra` (the running
 * vCPU, or NULL), taken as if last in the list: the smallest vtime among
 * eligible ones not yielded (first in list order on ties), else the
 * smallest among yielded eligible ones; NULL when none is eligible. */
struct sched_item *sched_pick(struct sched_item *head, struct sched_item *extra,
                              bool (*eligible)(const struct sched_item *, void *), void *ctx);

/* A domain's cap budget (caller serialises). cap_pct 0 = no cap. */
struct sched_cap {
    int64_t budget_ns;                  /* left in this period (< 0: debt) */
    uint64_t period_end;                /* 0: not started */
};
void sched_cap_refill(struct sched_cap *c, unsigned cap_pct, uint64_t now);
void sched_cap_charge(struct sched_cap *c, uint64_t ran_ns);
/* The slice for a capped vCPU: at most what is left of the budget. */
uint64_t sched_cap_slice(const struct sched_cap *c, uint64_t slice);

/* Runstate accounting (Xen's vcpu_runstate_info layout, ref 5.15). */
#define SCHED_RUNSTATE_running      0
#define SCHED_RUNSTATE_runnable     1
#define SCHED_RUNSTATE_blocked      2
#define SCHED_RUNSTATE_offline      3
struct sched_runstate {
    int32_t state;
    uint32_t pad;
    uint64_t entry_time;                /* system time of the last change */
    uint64_t time[4];                   /* ns spent in each state */
};
/* Starts counting at now if it never did (a new vCPU is offline). */
void sched_runstate_start(struct sched_runstate *r, uint64_t now);
void sched_runstate_change(struct sched_runstate *r, int state, uint64_t now);
/* r's figures as of now (the current state's time counted up to now). */
void sched_runstate_snapshot(const struct sched_runstate *r, uint64_t now,
                             struct sched_runstate *out);

#endif
