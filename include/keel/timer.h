/* Software timers: a per-CPU queue ordered by expiry, driven by the local
 * APIC timer in one-shot or TSC-deadline mode. Callbacks run on the timer's
 * CPU with interrupts disabled. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include <keel/types.h>
#include <keel/spinlock.h>

struct timer {
    uint64_t expires;                   /* system time, ns */
    void (*fn)(struct timer *t, void *data);
    void *data;
    struct timer *next;
    unsigned cpu;
    bool pending;
};

struct timer_queue {
    struct timer *head;
    spinlock_t lock;
};

/* Pure queue operations (sched/timer_queue.c, host-tested). */
void timer_queue_init(struct timer_queue *q);
/* Inserts t in expiry order; returns true if it became the earliest. */
bool timer_queue_insert(struct timer_queue *q, struct timer *t);
/* Removes t if queued; returns true if it was queued. */
bool timer_queue_remove(struct timer_queue *q, struct timer *t);
/* Pops the earliest timer if it expired by `now`, else NULL. */
struct timer *timer_queue_pop_expired(struct timer_queue *q, uint64_t now);
/* Expiry of the earliest timer, or UINT64_MAX. */
uint64_t timer_queue_next(const struct timer_queue *q);

/* The hypervisor's API (sched/timer.c). */
void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data, unsigned cpu);
void timer_set(struct timer *t, uint64_t expires_ns);
void timer_stop(struct timer *t);
/* Moves t to another CPU's queue, armed or not (any CPU may call it). */
void timer_migrate(struct timer *t, unsigned cpu);
/* Waits until every callback running anywhere at the call has returned. */
void timer_sync_callbacks(void);
void timer_interrupt(void);             /* run expired timers, re-arm hardware */
void timers_cpu_init(void);
void timer_start_heartbeat(void);      /* this CPU's 1 Hz heartbeat */

/* System time: ns since boot, monotonic on every CPU (arch/x86_64/time.c). */
uint64_t now_ns(void);
uint64_t tsc_to_ns(uint64_t tsc);                /* a TSC interval in ns */
uint64_t tsc_to_system_time(uint64_t tsc);       /* a TSC reading as system time */
/* ns = ((tsc << shift) * mul) >> 32 (a negative shift shifts right): the
 * form vcpu_info's time carries (ref/xen-pv-abi.md 6.3). */
struct time_scale {
    uint32_t mul;
    int8_t shift;
};
extern struct time_scale tsc_ns_scale;
void rtc_init_wallclock(void);         /* the wall clock from the CMOS RTC (arch/x86_64/rtc.c) */
uint64_t ns_to_tsc(uint64_t ns);
extern uint64_t tsc_hz;
void time_init(void);
void udelay(uint64_t us);

#endif
