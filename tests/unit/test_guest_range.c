/* Unit tests for guest_range_ok (include/keel/guest_access.h): no guest
 * pointer may reach the hypervisor's slots or wrap around. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <keel/guest_access.h>

static void accepts_guest_halves(void **state)
{
    (void)state;
    assert_true(guest_range_ok(0, 0));
    assert_true(guest_range_ok(0x1000, 4096));
    assert_true(guest_range_ok(0x00007ffffffff000UL, 0x1000));     /* ends at the hole */
    assert_true(guest_range_ok(0xffff880000000000UL, 4096));       /* first guest kernel byte */
    assert_true(guest_range_ok(0xffffffff80000000UL, 0x7fffffffUL));
    assert_true(guest_range_ok(0xfffffffffffff000UL, 0x1000));     /* ends exactly at 2^64 */
}

static void refuses_hypervisor_and_wrapping(void **state)
{
    (void)state;
    assert_false(guest_range_ok(0x00007ffffffff000UL, 0x1001));    /* crosses into non-canonical */
    assert_false(guest_range_ok(0x0000800000000000UL, 1));
    assert_false(guest_range_ok(0xffff800000000000UL, 8));         /* M2P / hypervisor */
    assert_false(guest_range_ok(0xffff87fffffffff8UL, 8));         /* last hypervisor bytes */
    assert_false(guest_range_ok(0xffff87fffffffff8UL, 16));        /* straddles into guest */
    assert_false(guest_range_ok(0xfffffffffffff000UL, 0x1001));    /* wraps */
    assert_false(guest_range_ok(0x1000, (size_t)-1));
    assert_false(guest_range_ok(0xffff880000000000UL - 1, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_guest_halves),
        cmocka_unit_test(refuses_hypervisor_and_wrapping),
    };
    return cmocka_run_group_tests_name("guest_range", tests, NULL, NULL);
}
