/* Unit tests for sched/policy.c: virtual time by weight, the pick, wake-up
 * placement, caps and runstate accounting; a simulated CPU shows the
 * shares that follow from them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include <keel/sched_policy.h>

static bool all(const struct sched_item *i, void *c) { (void)i; (void)c; return true; }
static bool not_first(const struct sched_item *i, void *c) { return i != c; }

static void vtime_by_weight(void **state)
{
    (void)state;
    assert_int_equal(sched_vtime_charge(0, 1000, 256), 1000);
    assert_int_equal(sched_vtime_charge(0, 1000, 512), 500);
    assert_int_equal(sched_vtime_charge(0, 1000, 0), 1000);            /* default */
    assert_int_equal(sched_vtime_charge(0, 1000, 128), 2000);
    assert_int_equal(sched_vtime_charge(0, 1000, 1000000), 1000 * 256 / 65535);  /* clamped */
    assert_true(sched_vtime_charge(0, ~0ULL, 1) > 0);                 /* no overflow to 0 */
    assert_true(vtime_before(~0ULL - 5, 3));                           /* wrap-safe */
}

static void pick_order(void **state)
{
    (void)state;
    struct sched_item a = { .vtime = 30 }, b = { .vtime = 10 }, c = { .vtime = 10 };
    struct sched_item run = { .vtime = 10 };
    a.next = &b; b.next = &c;
    assert_ptr_equal(sched_pick(&a, NULL, all, NULL), &b);            /* first of equals */
    assert_ptr_equal(sched_pick(&a, &run, all, NULL), &b);            /* queued before running */
    run.vtime = 5;
    assert_ptr_equal(sched_pick(&a, &run, all, NULL), &run);
    run.yielded = true;
    assert_ptr_equal(sched_pick(&a, &run, all, NULL), &b);            /* yield passes it over */
    assert_ptr_equal(sched_pick(NULL, &run, all, NULL), &run);        /* unless alone */
    assert_ptr_equal(sched_pick(&a, NULL, not_first, &b), &c);        /* not eligible */
    assert_null(sched_pick(NULL, NULL, all, NULL));
}

static void wake_placement(void **state)
{
    (void)state;
    uint64_t min = 100000000;
    assert_int_equal(sched_wake_vtime(0, min), min - SCHED_WAKE_BONUS_NS);   /* no banked sleep */
    assert_int_equal(sched_wake_vtime(min + 7, min), min + 7);               /* no gain */
    assert_true(sched_wake_preempts(min - SCHED_WAKE_BONUS_NS, min));
    assert_false(sched_wake_preempts(min, min));
    assert_int_equal(sched_vtime_move(150, 100, 1000), 1050);
    assert_int_equal(sched_vtime_move(90, 100, 1000), 990);
}

static void caps(void **state)
{
    (void)state;
    struct sched_cap c = { 0, 0 };
    uint64_t quota = 25 * SCHED_CAP_PERIOD_NS / 100;
    sched_cap_refill(&c, 25, 1000);
    assert_int_equal(c.budget_ns, quota);
    assert_int_equal(sched_cap_slice(&c, SCHED_SLICE_NS), quota < SCHED_SLICE_NS ? quota : SCHED_SLICE_NS);
    sched_cap_charge(&c, quota + 2000000);                            /* overran by 2 ms */
    assert_true(c.budget_ns < 0);
    sched_cap_refill(&c, 25, 2000);                                   /* same period: nothing */
    assert_true(c.budget_ns < 0);
    sched_cap_refill(&c, 25, 1000 + SCHED_CAP_PERIOD_NS);
    assert_int_equal(c.budget_ns, quota - 2000000);                   /* debt paid first */
    sched_cap_refill(&c, 25, 1000 + 50 * SCHED_CAP_PERIOD_NS);        /* long idle: no banking */
    assert_int_equal(c.budget_ns, quota);
    assert_int_equal(c.period_end, 1000 + 51 * SCHED_CAP_PERIOD_NS);
    c.budget_ns = 0;
    assert_int_equal(sched_cap_slice(&c, SCHED_SLICE_NS), SCHED_MIN_SLICE_NS);
}

static void runstate_times(void **state)
{
    (void)state;
    struct sched_runstate r = { 0 }, s;
    sched_runstate_start(&r, 100);
    assert_int_equal(r.state, SCHED_RUNSTATE_offline);
    sched_runstate_change(&r, SCHED_RUNSTATE_runnable, 150);
    sched_runstate_change(&r, SCHED_RUNSTATE_running, 170);
    sched_runstate_change(&r, SCHED_RUNSTATE_blocked, 200);
    sched_runstate_snapshot(&r, 260, &s);
    assert_int_equal(s.time[SCHED_RUNSTATE_offline], 50);
    assert_int_equal(s.time[SCHED_RUNSTATE_runnable], 20);
    assert_int_equal(s.time[SCHED_RUNSTATE_running], 30);
    assert_int_equal(s.time[SCHED_RUNSTATE_blocked], 60);
    assert_int_equal(s.time[0] + s.time[1] + s.time[2] + s.time[3], 260 - 100);
    assert_int_equal(r.time[SCHED_RUNSTATE_blocked], 0);              /* snapshot only */
    sched_runstate_change(&r, SCHED_RUNSTATE_running, 190);           /* clock behind: no time lost */
    assert_int_equal(r.entry_time, 200);
}

/* One CPU, 10 ms slices, the pick of the policy: shares follow weights,
 * and a cap holds. */
struct sim { struct sched_item it; unsigned weight, cap; struct sched_cap budget; uint64_t ran; };

static bool sim_eligible(const struct sched_item *i, void *c)
{
    const struct sim *s = (const struct sim *)i;
    uint64_t now = *(uint64_t *)c;
    struct sim *m = (struct sim *)s;
    if (!s->cap)
        return true;
    sched_cap_refill(&m->budget, s->cap, now);
    return s->budget.budget_ns > 0;
}

static void simulate(struct sim *v, unsigned n, uint64_t until)
{
    uint64_t now = 1;
    while (now < until) {
        for (unsigned i = 0; i + 1 < n; i++)
            v[i].it.next = &v[i + 1].it;
        v[n - 1].it.next = NULL;
        struct sim *s = (struct sim *)sched_pick(&v[0].it, NULL, sim_eligible, &now);
        if (!s) {
            now += 100000;                                            /* idle */
            continue;
        }
        uint64_t slice = s->cap ? sched_cap_slice(&s->budget, SCHED_SLICE_NS) : SCHED_SLICE_NS;
        s->it.vtime = sched_vtime_charge(s->it.vtime, slice, s->weight);
        if (s->cap)
            sched_cap_charge(&s->budget, slice);
        s->ran += slice;
        now += slice;
    }
}

static void shares(void **state)
{
    (void)state;
    struct sim w[2] = { { .weight = 256 }, { .weight = 512 } };
    simulate(w, 2, 10000000000ULL);
    double r = (double)w[1].ran / (double)w[0].ran;
    assert_true(r > 1.95 && r < 2.05);
    struct sim c[2] = { { .weight = 256 }, { .weight = 256, .cap = 25 } };
    simulate(c, 2, 10000000000ULL);
    assert_true(c[1].ran <= 10000000000ULL * 26 / 100);
    assert_true(c[1].ran >= 10000000000ULL * 24 / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vtime_by_weight), cmocka_unit_test(pick_order),
        cmocka_unit_test(wake_placement), cmocka_unit_test(caps),
        cmocka_unit_test(runstate_times), cmocka_unit_test(shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
