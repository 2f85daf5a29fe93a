/* Unit tests for arch/x86_64/hvm/vlapic_logic.c: the PVH local APIC's
 * priorities, x2APIC logical ids, ICR decoding and destination matching,
 * with the values Linux 6.1 writes (x2apic_cluster: INIT/SIPI by physical
 * id, IPIs by cluster mask). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/vlapic_logic.h>

static void set(uint64_t m[4], unsigned v)
{
    m[v / 64] |= 1UL << (v % 64);
}

static void ldr_is_cluster_and_bit(void **state)
{
    (void)state;
    assert_int_equal(vlapic_ldr(0), 0x00000001);
    assert_int_equal(vlapic_ldr(2), 0x00000004);
    assert_int_equal(vlapic_ldr(15), 0x00008000);
    assert_int_equal(vlapic_ldr(16), 0x00010001);
    assert_int_equal(vlapic_ldr(0x25), 0x00020020);
}

static void highest_and_ppr(void **state)
{
    (void)state;
    uint64_t isr[4] = { 0 };
    assert_int_equal(vlapic_highest(isr), -1);
    assert_int_equal(vlapic_ppr(0x20, isr), 0x20);
    set(isr, 0x31);
    set(isr, 0xf3);
    assert_int_equal(vlapic_highest(isr), 0xf3);
    assert_int_equal(vlapic_ppr(0x20, isr), 0xf0);     /* ISR class above TPR */
    uint64_t lo[4] = { 0 };
    set(lo, 0x31);
    assert_int_equal(vlapic_ppr(0x45, lo), 0x45);      /* TPR above the ISR class */
    assert_int_equal(vlapic_ppr(0x2f, lo), 0x30);
}

static void deliverable_respects_priority_and_svr(void **state)
{
    (void)state;
    uint64_t irr[4] = { 0 }, isr[4] = { 0 };
    assert_int_equal(vlapic_deliverable(irr, isr, 0, 0x1ff), 0);
    set(irr, 0xfc);                                     /* Linux's REBOOT_VECTOR */
    assert_int_equal(vlapic_deliverable(irr, isr, 0, 0x1ff), 0xfc);
    assert_int_equal(vlapic_deliverable(irr, isr, 0, 0x0ff), 0);      /* APIC disabled */
    assert_int_equal(vlapic_deliverable(irr, isr, 0xf0, 0x1ff), 0);   /* TPR masks its class */
    set(isr, 0xfd);                                     /* in service, same class */
    assert_int_equal(vlapic_deliverable(irr, isr, 0, 0x1ff), 0);
    uint64_t irr2[4] = { 0 }, isr2[4] = { 0 };
    set(irr2, 5);                                       /* vectors 0-15 are never delivered */
    assert_int_equal(vlapic_deliverable(irr2, isr2, 0, 0x1ff), 0);
    set(isr2, 0x41);
    set(irr2, 0x51);
    assert_int_equal(vlapic_deliverable(irr2, isr2, 0, 0x1ff), 0x51);  /* higher class nests */
}

/* What Linux writes: INIT assert 0x0000000200004500 to APIC id 2, INIT
 * de-assert 0x...0500, STARTUP 0x...0699 (trampoline at 0x99000), a
 * cluster-mode fixed IPI, and a shorthand all-but-self. */
static void icr_decode(void **state)
{
    (void)state;
    struct vlapic_icr c = vlapic_icr_decode(0x0000000200004500UL);
    assert_int_equal(c.dm, VLAPIC_DM_INIT);
    assert_true(c.assert);
    assert_false(c.logical);
    assert_int_equal(c.dest, 2);
    assert_int_equal(c.shorthand, VLAPIC_SH_NONE);
    c = vlapic_icr_decode(0x0000000200000500UL);
    assert_int_equal(c.dm, VLAPIC_DM_INIT);
    assert_false(c.assert);
    c = vlapic_icr_decode(0x0000000200000699UL);
    assert_int_equal(c.dm, VLAPIC_DM_STARTUP);
    assert_int_equal(c.vector, 0x99);
    c = vlapic_icr_decode(0x00010002000008fbUL);
    assert_int_equal(c.dm, VLAPIC_DM_FIXED);
    assert_true(c.logical);
    assert_int_equal(c.vector, 0xfb);
    assert_int_equal(c.dest, 0x00010002);
    c = vlapic_icr_decode(0x00000000000c00fcUL);
    assert_int_equal(c.shorthand, VLAPIC_SH_ALL_BUT_SELF);
    c = vlapic_icr_decode(0x0000000000000400UL);
    assert_int_equal(c.dm, VLAPIC_DM_NMI);
}

static void destinations(void **state)
{
    (void)state;
    assert_true(vlapic_dest_match(2, 2, false));
    assert_false(vlapic_dest_match(2, 0, false));
    assert_true(vlapic_dest_match(0, VLAPIC_BROADCAST, false));
    assert_true(vlapic_dest_match(7, VLAPIC_BROADCAST, true));
    assert_true(vlapic_dest_match(2, 0x00000005, true));    /* cluster 0, bits 0 and 2 */
    assert_true(vlapic_dest_match(0, 0x00000005, true));
    assert_false(vlapic_dest_match(4, 0x00000005, true));
    assert_false(vlapic_dest_match(18, 0x00000004, true));  /* cluster 1, not 0 */
    assert_true(vlapic_dest_match(18, 0x00010004, true));
}

/* xAPIC mode: Linux's flat model (DFR all ones, LDR bit per CPU in 31:24)
 * and the cluster model; physical 8-bit IDs; 0xFF everyone. */
static void xapic_destinations(void **state)
{
    (void)state;
    assert_true(vlapic_xapic_dest_match(2, 0, 0xffffffff, 2, false));
    assert_false(vlapic_xapic_dest_match(2, 0, 0xffffffff, 3, false));
    assert_true(vlapic_xapic_dest_match(2, 0, 0xffffffff, 0xff, false));
    assert_true(vlapic_xapic_dest_match(0, 0x01000000, 0xffffffff, 0x03, true));   /* flat */
    assert_false(vlapic_xapic_dest_match(0, 0x04000000, 0xffffffff, 0x03, true));
    assert_true(vlapic_xapic_dest_match(0, 0x04000000, 0xffffffff, 0xff, true));
    assert_true(vlapic_xapic_dest_match(0, 0x21000000, 0x0fffffff, 0x23, true));   /* cluster 2 */
    assert_false(vlapic_xapic_dest_match(0, 0x21000000, 0x0fffffff, 0x13, true));
    assert_false(vlapic_xapic_dest_match(0, 0x21000000, 0x0fffffff, 0x22, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ldr_is_cluster_and_bit),
        cmocka_unit_test(highest_and_ppr),
        cmocka_unit_test(deliverable_respects_priority_and_svr),
        cmocka_unit_test(icr_decode),
        cmocka_unit_test(destinations),
        cmocka_unit_test(xapic_destinations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
