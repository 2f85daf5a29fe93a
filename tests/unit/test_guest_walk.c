/* Unit tests for mm/guest_walk.c: a guest's page-table walk in each mode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <keel/guest_walk.h>
#include <keel/errno.h>

/* 64 pages of fake guest-physical memory. */
static uint8_t mem[64 * 4096];

static int read_mem(void *arg, uint64_t gpa, uint64_t *val, unsigned size)
{
    (void)arg;
    if (gpa + size > sizeof(mem))
        return -1;
    memcpy(val, mem + gpa, size);
    return 0;
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(mem + gpa, &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(mem + gpa, &v, 4); }

#define PG      (1UL << 31)
#define LMA     (1UL << 10)
#define P_W     3UL

static struct guest_paging long_mode(void)
{
    return (struct guest_paging){ .cr0 = PG | 1, .cr3 = 0x1000, .cr4 = 0x20, .efer = LMA | (1UL << 8),
                                  .read = read_mem };
}

static void paging_off_is_identity_in_32_bits(void **state)
{
    (void)state;
    struct guest_paging p = { .cr0 = 1, .read = read_mem };
    uint64_t gpa;
    assert_int_equal(guest_walk(&p, 0x123456789aUL, true, &gpa), 0);
    assert_int_equal(gpa, 0x3456789a);
}

static void long_mode_4k_2m_1g(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    struct guest_paging p = long_mode();
    uint64_t va = 0xffff800000201123UL;         /* L4 256, L3 0, L2 1, L1 1 */
    put64(0x1000 + 256 * 8, 0x2000 | P_W);
    put64(0x2000 + 0 * 8, 0x3000 | P_W);
    put64(0x3000 + 1 * 8, 0x4000 | P_W);
    put64(0x4000 + 1 * 8, 0x777000 | 1);        /* read-only leaf */
    uint64_t gpa;
    assert_int_equal(guest_walk(&p, va, false, &gpa), 0);
    assert_int_equal(gpa, 0x777123);
    assert_int_equal(guest_walk(&p, va, true, &gpa), -EFAULT);   /* not writable */
    assert_int_equal(guest_walk(&p, va + 0x1000, false, &gpa), -EFAULT);   /* not present */
    put64(0x3000 + 2 * 8, 0x40000000 | P_W | 0x80);  /* 2 MiB page at L2 index 2 */
    assert_int_equal(guest_walk(&p, 0xffff800000412345UL, true, &gpa), 0);
    assert_int_equal(gpa, 0x40012345);
    put64(0x2000 + 1 * 8, 0x80000000 | P_W | 0x80);  /* 1 GiB page at L3 index 1 */
    assert_int_equal(guest_walk(&p, 0xffff80004abcdef0UL, false, &gpa), 0);
    assert_int_equal(gpa, 0x8abcdef0);
}

static void tables_outside_memory_fault(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    struct guest_paging p = long_mode();
    put64(0x1000, 0x7fff000000UL | P_W);       /* an L3 far beyond the fake memory */
    uint64_t gpa;
    assert_int_equal(guest_walk(&p, 0x1000, false, &gpa), -EFAULT);
}

static void legacy_32_bit_with_pse(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    struct guest_paging p = { .cr0 = PG | 1, .cr3 = 0x5000, .cr4 = 0x10, .read = read_mem };
    put32(0x5000 + 1 * 4, 0x6000 | P_W);               /* 4 KiB tables for 4-8 MiB */
    put32(0x6000 + 3 * 4, 0x9000 | P_W);
    put32(0x5000 + 2 * 4, 0x00c00000 | P_W | 0x80);    /* 4 MiB page for 8-12 MiB */
    uint64_t gpa;
    assert_int_equal(guest_walk(&p, 0x403abc, true, &gpa), 0);
    assert_int_equal(gpa, 0x9abc);
    assert_int_equal(guest_walk(&p, 0x812345, false, &gpa), 0);
    assert_int_equal(gpa, 0xc12345);
    p.cr4 = 0;                                          /* no PSE: PS ignored, a table */
    assert_int_equal(guest_walk(&p, 0x812345, false, &gpa), -EFAULT);
}

static void pae_and_la57_are_refused(void **state)
{
    (void)state;
    uint64_t gpa;
    struct guest_paging p = { .cr0 = PG | 1, .cr4 = 0x20, .read = read_mem };
    assert_int_equal(guest_walk(&p, 0, false, &gpa), -EFAULT);
    p = long_mode();
    p.cr4 |= 1UL << 12;
    assert_int_equal(guest_walk(&p, 0, false, &gpa), -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paging_off_is_identity_in_32_bits),
        cmocka_unit_test(long_mode_4k_2m_1g),
        cmocka_unit_test(tables_outside_memory_fault),
        cmocka_unit_test(legacy_32_bit_with_pse),
        cmocka_unit_test(pae_and_la57_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
