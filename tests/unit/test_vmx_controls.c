/* Unit tests for arch/x86_64/vmx/controls.c (VM-execution control values
 * from the capability MSRs, CR fixed bits) and include/keel/ept.h (EPT entry
 * and EPTP encoding). The MSR values are those Bochs 2.7's
 * corei7_skylake_x model reports (tests/boot/bochs.sh runs on it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <keel/vmx_caps.h>
#include <keel/ept.h>

static void test_forced_bits_kept(void **state)
{
    (void)state;
    uint32_t v = 0;
    /* must be 1: bits 1,2,4; may be 1: 0-7 */
    assert_int_equal(vmx_ctl_compute(0x000000ff00000016UL, 0, 0, &v), 0);
    assert_int_equal(v, 0x16);
    assert_true(vmx_ctl_valid(0x000000ff00000016UL, v));
}

static void test_required_and_optional(void **state)
{
    (void)state;
    uint32_t v = 0;
    /* may be 1: bits 0-3 and 31 */
    uint64_t cap = 0x8000000f00000000UL;
    assert_int_equal(vmx_ctl_compute(cap, 0x80000001, 0x30, &v), 0);
    assert_int_equal(v, 0x80000001);            /* optional 4,5 not allowed: dropped */
    assert_int_equal(vmx_ctl_compute(cap, 0x1, 0x6, &v), 0);
    assert_int_equal(v, 0x7);
}

static void test_required_refused(void **state)
{
    (void)state;
    uint32_t v = 0x1234;
    assert_int_equal(vmx_ctl_compute(0x0000000f00000000UL, 0x10, 0, &v), -1);
    assert_int_equal(v, 0x1234);                /* untouched */
}

static void test_valid(void **state)
{
    (void)state;
    uint64_t cap = 0x0000000f00000003UL;
    assert_true(vmx_ctl_valid(cap, 0x3));
    assert_true(vmx_ctl_valid(cap, 0xf));
    assert_false(vmx_ctl_valid(cap, 0x1));      /* forced bit 1 missing */
    assert_false(vmx_ctl_valid(cap, 0x13));     /* bit 4 not allowed */
}

/* A forced-1 bit the allowed-1 half denies (an inconsistent MSR) is not
 * set: the value must stay within what may be 1. */
static void test_inconsistent_msr(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(vmx_ctl_compute(0x0000000100000003UL, 0, 0, &v), 0);
    assert_int_equal(v, 0x1);
}

static void test_cr_fixed(void **state)
{
    (void)state;
    /* CR0: PE, NE, PG fixed to 1; all bits allowed */
    assert_int_equal(vmx_cr_fixed(0x10, 0x80000021, 0xffffffff), 0x80000031);
    /* CR4: VMXE fixed to 1; bits above 22 fixed to 0 */
    assert_int_equal(vmx_cr_fixed(0x01800020, 0x2000, 0x7fffff), 0x2020);
}

/* Pin-based controls of Bochs' skylake_x (TRUE_PINBASED 0x0000007f00000016):
 * external-interrupt and NMI exiting on top of the forced bits. */
static void test_bochs_pin(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(vmx_ctl_compute(0x0000007f00000016UL, 0x9, 0x40, &v), 0);
    assert_int_equal(v, 0x5f);
}

static void test_ept_entry(void **state)
{
    (void)state;
    uint64_t e = ept_leaf(0x12345000UL, EPT_RWX);
    assert_int_equal(e & 7, 7);
    assert_int_equal((e >> 3) & 7, EPT_MT_WB);
    assert_int_equal(e & EPT_ADDR_MASK, 0x12345000UL);
    assert_false(e & EPT_LARGE);
    e = ept_large_leaf(0x40000000UL, EPT_R | EPT_X);
    assert_int_equal(e & 7, 5);
    assert_true(e & EPT_LARGE);
    e = ept_table(0x7000);
    assert_int_equal(e, 0x7007);                /* RWX, no memory type in non-leaves */
    assert_true(ept_present(e));
    assert_false(ept_present(0x12345000));
}

static void test_eptp(void **state)
{
    (void)state;
    /* WB (6), 4-level walk (length - 1 = 3 in bits 5:3), no A/D */
    assert_int_equal(eptp_make(0xabc000), 0xabc01e);
}

static void test_ept_indices(void **state)
{
    (void)state;
    uint64_t gpa = (3UL << 39) | (5UL << 30) | (7UL << 21) | (9UL << 12) | 0x123;
    assert_int_equal(ept_index(gpa, 4), 3);
    assert_int_equal(ept_index(gpa, 3), 5);
    assert_int_equal(ept_index(gpa, 2), 7);
    assert_int_equal(ept_index(gpa, 1), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forced_bits_kept),
        cmocka_unit_test(test_required_and_optional),
        cmocka_unit_test(test_required_refused),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_inconsistent_msr),
        cmocka_unit_test(test_cr_fixed),
        cmocka_unit_test(test_bochs_pin),
        cmocka_unit_test(test_ept_entry),
        cmocka_unit_test(test_eptp),
        cmocka_unit_test(test_ept_indices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
