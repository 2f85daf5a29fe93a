/* Unit tests for sched/timer_queue.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include <keel/timer.h>

static void keeps_expiry_order(void **state)
{
    struct timer_queue q;
    struct timer t[5] = { { .expires = 50 }, { .expires = 10 }, { .expires = 30 },
                          { .expires = 10 }, { .expires = 70 } };
    (void)state;
    timer_queue_init(&q);
    assert_true(timer_queue_insert(&q, &t[0]));
    assert_true(timer_queue_insert(&q, &t[1]));
    assert_false(timer_queue_insert(&q, &t[2]));
    assert_false(timer_queue_insert(&q, &t[3]));     /* equal expiry: after t[1] */
    assert_false(timer_queue_insert(&q, &t[4]));
    assert_int_equal(timer_queue_next(&q), 10);
    assert_null(timer_queue_pop_expired(&q, 9));
    assert_ptr_equal(timer_queue_pop_expired(&q, 10), &t[1]);
    assert_ptr_equal(timer_queue_pop_expired(&q, 10), &t[3]);
    assert_null(timer_queue_pop_expired(&q, 29));
    assert_true(timer_queue_remove(&q, &t[0]));
    assert_false(timer_queue_remove(&q, &t[0]));
    assert_false(t[0].pending);
    assert_ptr_equal(timer_queue_pop_expired(&q, 100), &t[2]);
    assert_ptr_equal(timer_queue_pop_expired(&q, 100), &t[4]);
    assert_null(timer_queue_pop_expired(&q, UINT64_MAX));
    assert_true(timer_queue_next(&q) == UINT64_MAX);
}

static void random_order_pops_sorted(void **state)
{
    enum { N = 1000 };
    static struct timer t[N];
    struct timer_queue q;
    (void)state;
    srand(7);
    timer_queue_init(&q);
    for (int i = 0; i < N; i++) {
        t[i].expires = (uint64_t)(rand() % 5000);
        timer_queue_insert(&q, &t[i]);
    }
    for (int i = 0; i < N; i += 3)
        assert_true(timer_queue_remove(&q, &t[i]));
    uint64_t last = 0;
    int n = 0;
    for (struct timer *x; (x = timer_queue_pop_expired(&q, UINT64_MAX)); n++) {
        assert_true(x->expires >= last);
        last = x->expires;
    }
    assert_int_equal(n, N - (N + 2) / 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_expiry_order),
        cmocka_unit_test(random_order_pops_sorted),
    };
    return cmocka_run_group_tests_name("timer_queue", tests, NULL, NULL);
}
