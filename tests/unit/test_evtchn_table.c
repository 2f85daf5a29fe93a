/* Unit tests for hv/evtchn_table.c: port allocation (lowest free, port 0
 * reserved, buckets of 64, the per-domain limit), state transitions and
 * the VIRQ map, and the 2-level pending/mask/selector protocol. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/evtchn_table.h>
#include <keel/errno.h>

struct fixture {
    struct evtchn_table t;
    struct evtchn_port ports[EVTCHN_2L_NR_PORTS];
    uint32_t virq[EVTCHN_MAX_VCPUS][EVTCHN_NR_VIRQS];
};

static struct fixture *fresh(unsigned max_ports)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    evtchn_table_init(&f.t, f.ports, f.virq, max_ports);
    return &f;
}

static void ports_lowest_free_from_one(void **state)
{
    (void)state;
    struct fixture *f = fresh(1024);
    assert_int_equal(f->t.valid, 64);
    assert_int_equal(evtchn_table_port(&f->t, 0)->state, ECS_RESERVED);
    assert_int_equal(evtchn_table_alloc_unbound(&f->t, 7), 1);
    assert_int_equal(evtchn_table_bind_ipi(&f->t, 1), 2);
    assert_int_equal(evtchn_table_bind_virq(&f->t, VIRQ_TIMER, 0), 3);
    assert_int_equal(evtchn_table_free(&f->t, 2), 0);
    assert_int_equal(evtchn_table_bind_ipi(&f->t, 0), 2);      /* reused */
    assert_int_equal(f->t.active, 3);
    assert_null(evtchn_table_port(&f->t, 64));                  /* bucket not there yet */
    assert_int_equal(evtchn_table_free(&f->t, 0), -EINVAL);     /* reserved */
    assert_int_equal(evtchn_table_free(&f->t, 5), -EINVAL);     /* free */
    assert_int_equal(evtchn_table_free(&f->t, 64), -EINVAL);    /* not valid */
    assert_int_equal(evtchn_table_free(&f->t, 0xffffffffu), -EINVAL);
}

static void buckets_grow_and_limit_holds(void **state)
{
    (void)state;
    struct fixture *f = fresh(100);
    for (int i = 1; i < 64; i++)
        assert_int_equal(evtchn_table_bind_ipi(&f->t, 0), i);
    assert_int_equal(f->t.valid, 64);
    assert_int_equal(evtchn_table_bind_ipi(&f->t, 0), 64);
    assert_int_equal(f->t.valid, 100);                          /* capped at the limit */
    assert_non_null(evtchn_table_port(&f->t, 99));
    assert_null(evtchn_table_port(&f->t, 100));
    for (int i = 65; i < 100; i++)
        assert_int_equal(evtchn_table_bind_ipi(&f->t, 0), i);
    assert_int_equal(evtchn_table_bind_ipi(&f->t, 0), -ENOSPC);
    assert_int_equal(evtchn_table_alloc_unbound(&f->t, 0), -ENOSPC);
    assert_int_equal(evtchn_table_free(&f->t, 70), 0);
    assert_int_equal(evtchn_table_alloc_unbound(&f->t, 0), 70);
    /* A limit over 4096 is the 2-level maximum. */
    f = fresh(100000);
    assert_int_equal(f->t.max_ports, EVTCHN_2L_NR_PORTS);
}

static void virq_rules(void **state)
{
    (void)state;
    struct fixture *f = fresh(1024);
    assert_true(evtchn_virq_is_global(VIRQ_CONSOLE));
    assert_true(evtchn_virq_is_global(VIRQ_DOM_EXC));
    assert_true(evtchn_virq_is_global(VIRQ_ARCH_0));
    assert_false(evtchn_virq_is_global(VIRQ_TIMER));
    assert_false(evtchn_virq_is_global(VIRQ_DEBUG));
    assert_false(evtchn_virq_is_global(VIRQ_XENPMU));
    int t0 = evtchn_table_bind_virq(&f->t, VIRQ_TIMER, 0);
    int t1 = evtchn_table_bind_virq(&f->t, VIRQ_TIMER, 1);
    assert_true(t0 > 0 && t1 > 0 && t0 != t1);
    assert_int_equal(evtchn_table_bind_virq(&f->t, VIRQ_TIMER, 1), -EEXIST);
    assert_int_equal(evtchn_table_bind_virq(&f->t, NR_VIRQS, 0), -EINVAL);
    assert_int_equal(evtchn_table_bind_virq(&f->t, VIRQ_TIMER, EVTCHN_MAX_VCPUS), -EINVAL);
    assert_int_equal(f->virq[1][VIRQ_TIMER], (uint32_t)t1);
    /* Per-vCPU VIRQs cannot move; global ones can and stay recorded on 0. */
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, (uint32_t)t1, 0), -EINVAL);
    int c = evtchn_table_bind_virq(&f->t, VIRQ_CONSOLE, 0);
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, (uint32_t)c, 3), 0);
    assert_int_equal(evtchn_table_port(&f->t, (uint32_t)c)->notify_vcpu, 3);
    assert_int_equal(evtchn_table_free(&f->t, (uint32_t)c), 0);
    assert_int_equal(f->virq[0][VIRQ_CONSOLE], 0);
    assert_int_equal(evtchn_table_free(&f->t, (uint32_t)t1), 0);
    assert_int_equal(f->virq[1][VIRQ_TIMER], 0);
    assert_int_equal(f->virq[0][VIRQ_TIMER], (uint32_t)t0);
    assert_true(evtchn_table_bind_virq(&f->t, VIRQ_TIMER, 1) > 0);     /* bindable again */
}

static void interdomain_and_bind_vcpu(void **state)
{
    (void)state;
    struct fixture *f = fresh(1024);
    int u = evtchn_table_alloc_unbound(&f->t, 5);
    assert_int_equal(evtchn_table_check_offered(&f->t, (uint32_t)u, 5), 0);
    assert_int_equal(evtchn_table_check_offered(&f->t, (uint32_t)u, 6), -EINVAL);
    assert_int_equal(evtchn_table_check_offered(&f->t, 0, 5), -EINVAL);
    assert_int_equal(evtchn_table_check_offered(&f->t, 9999, 5), -EINVAL);
    int l = evtchn_table_bind_local(&f->t, 5, 42);
    const struct evtchn_port *e = evtchn_table_port(&f->t, (uint32_t)l);
    assert_int_equal(e->state, ECS_INTERDOMAIN);
    assert_int_equal(e->remote_dom, 5);
    assert_int_equal(e->remote_port, 42);
    assert_int_equal(evtchn_table_check_offered(&f->t, (uint32_t)l, 5), -EINVAL);
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, (uint32_t)l, 2), 0);
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, (uint32_t)u, 1), 0);
    int i = evtchn_table_bind_ipi(&f->t, 1);
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, (uint32_t)i, 0), -EINVAL);  /* IPI */
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, 0, 0), -EINVAL);
    assert_int_equal(evtchn_table_bind_vcpu(&f->t, 30, 0), -EINVAL);           /* free */
    assert_int_equal(evtchn_table_free(&f->t, (uint32_t)l), 0);
    assert_int_equal(evtchn_table_port(&f->t, (uint32_t)l)->notify_vcpu, 0);   /* reset */
}

static void two_level_bits(void **state)
{
    (void)state;
    static struct shared_info s;
    memset(&s, 0, sizeof(s));
    struct vcpu_info *vi = &s.vcpu_info[1];
    /* Unmasked: pending, selector, upcall; a second set is latched. */
    assert_int_equal(evtchn_2l_set_pending(&s, vi, 70), EVTCHN_NEWLY_PENDING | EVTCHN_UPCALL);
    assert_true(s.evtchn_pending[1] & (1UL << 6));
    assert_int_equal(vi->evtchn_pending_sel, 1UL << 1);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(evtchn_2l_set_pending(&s, vi, 70), 0);
    /* Same word, selector already set: pending only, no new upcall. */
    assert_int_equal(evtchn_2l_set_pending(&s, vi, 71), EVTCHN_NEWLY_PENDING);
    /* Masked: the edge is kept in pending only. */
    s.evtchn_mask[0] = 1UL << 5;
    vi->evtchn_upcall_pending = 0;
    vi->evtchn_pending_sel = 0;
    assert_int_equal(evtchn_2l_set_pending(&s, vi, 5), EVTCHN_NEWLY_PENDING);
    assert_int_equal(vi->evtchn_pending_sel, 0);
    assert_true(evtchn_2l_is_pending(&s, 5));
    assert_true(evtchn_2l_is_masked(&s, 5));
    /* Unmask raises it once; unmasking again does nothing. */
    assert_true(evtchn_2l_unmask(&s, vi, 5));
    assert_int_equal(vi->evtchn_pending_sel, 1);
    assert_false(evtchn_2l_unmask(&s, vi, 5));
    /* Unmask of a port not pending: nothing. */
    s.evtchn_mask[0] |= 1UL << 9;
    assert_false(evtchn_2l_unmask(&s, vi, 9));
    assert_false(evtchn_2l_is_masked(&s, 9));
    evtchn_2l_clear_pending(&s, 5);
    assert_false(evtchn_2l_is_pending(&s, 5));
    /* No vcpu_info: pending bit only. Out of range: ignored. */
    assert_int_equal(evtchn_2l_set_pending(&s, NULL, 200), EVTCHN_NEWLY_PENDING);
    assert_int_equal(evtchn_2l_set_pending(&s, vi, 4096), 0);
    assert_false(evtchn_2l_unmask(&s, vi, 0xffffffffu));
    assert_true(evtchn_2l_is_masked(&s, 4096));
    assert_false(evtchn_2l_is_pending(&s, 4096));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ports_lowest_free_from_one),
        cmocka_unit_test(buckets_grow_and_limit_holds),
        cmocka_unit_test(virq_rules),
        cmocka_unit_test(interdomain_and_bind_vcpu),
        cmocka_unit_test(two_level_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
