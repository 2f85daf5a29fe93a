/* The scheduler's pure policy arithmetic (design in keel/sched_policy.h). */
#include <keel/sched_policy.h>

#define MAX_CHARGE_NS   (1ULL << 40)    /* ~18 min: keeps ns x 256 in range */

uint64_t sched_vtime_charge(uint64_t vtime, uint64_t ran_ns, unsigned weight)
{
    if (!weight)
        weight = SCHED_WEIGHT_DEFAULT;
    if (weight > SCHED_WEIGHT_MAX)
        weight = SCHED_WEIGHT_MAX;
    if (ran_ns > MAX_CHARGE_NS)
        ran_ns = MAX_CHARGE_NS;
    return vtime + ran_ns * SCHED_WEIGHT_DEFAULT / weight;
}

uint64_t sched_wake_vtime(uint64_t vtime, uint64_t min)
{
    uint64_t floor = min - SCHED_WAKE_BONUS_NS;
    return vtime_before(vtime, floor) ? floor : vtime;
}

uint64_t sched_vtime_move(uint64_t vtime, uint64_t from_min, uint64_t to_min)
{
    return vtime - from_min + to_min;   /* same lag behind (or ahead of) the queue */
}

bool sched_wake_preempts(uint64_t woken, uint64_t running)
{
    return vtime_before(woken + SCHED_WAKE_PREEMPT_NS, running);
}

static bool better(const struct sched_item *a, const struct sched_item *best)
{
    if (!best)
        return true;
    if (a->yielded != best->yielded)
        return !a->yielded;
    return vtime_before(a->vtime, best->vtime);
}

struct sched_item *sched_pick(struct sched_item *head, struct sched_item *extra,
                              bool (*eligible)(const struct sched_item *, void *), void *ctx)
{
    struct sched_item *best = NULL;
    for (struct sched_item *i = head; i; i = i->next)
        if (eligible(i, ctx) && better(i, best))
            best = i;
    if (extra && eligible(extra, ctx) && better(extra, best))
        best = extra;
    return best;
}

static uint64_t cap_quota(unsigned cap_pct)
{
    return (uint64_t)cap_pct * SCHED_CAP_PERIOD_NS / 100;
}

void sched_cap_refill(struct sched_cap *c, unsigned cap_pct, uint64_t now)
{
    int64_t quota = (int64_t)cap_quota(cap_pct);
    if (!c->period_end) {
        c->budget_ns = quota;
        c->period_end = now + SCHED_CAP_PERIOD_NS;
        return;
    }
    if (now < c->period_end)
        return;
    uint64_t periods = (now - c->period_end) / SCHED_CAP_PERIOD_NS + 1;
    /* Debt is paid off first; unspent budget is not banked. */
    int64_t b = c->budget_ns;
    for (uint64_t i = 0; i < periods && b < quota; i++)
        b += quota;
    c->budget_ns = b > quota ? quota : b;
    c->period_end += periods * SCHED_CAP_PERIOD_NS;
}

void sched_cap_charge(struct sched_cap *c, uint64_t ran_ns)
{
    if (ran_ns > MAX_CHARGE_NS)
        ran_ns = MAX_CHARGE_NS;
    c->budget_ns -= (int64_t)ran_ns;
}

uint64_t sched_cap_slice(const struct sched_cap *c, uint64_t slice)
{
    if (c->budget_ns <= (int64_t)SCHED_MIN_SLICE_NS)
        return SCHED_MIN_SLICE_NS;
    return (uint64_t)c->budget_ns < slice ? (uint64_t)c->budget_ns : slice;
}

void sched_runstate_start(struct sched_runstate *r, uint64_t now)
{
    if (r->entry_time)
        return;
    r->state = SCHED_RUNSTATE_offline;
    r->entry_time = now ? now : 1;
}

void sched_runstate_change(struct sched_runstate *r, int state, uint64_t now)
{
    sched_runstate_start(r, now);
    if (now > r->entry_time) {
        r->time[r->state & 3] += now - r->entry_time;
        r->entry_time = now;
    }
    r->state = state & 3;
}

void sched_runstate_snapshot(const struct sched_runstate *r, uint64_t now,
                             struct sched_runstate *out)
{
    *out = *r;
    if (r->entry_time && now > r->entry_time)
        out->time[r->state & 3] += now - r->entry_time;
}
