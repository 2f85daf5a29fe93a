/* Unit tests for mm/iomem.c: which frames are I/O memory dom0 may map
 * (the first 1 MiB and everything the firmware map does not call RAM), and
 * the hypervisor's devices taken out of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <keel/iomem.h>
#include "host_log.h"

/* QEMU's i440fx with 1 GiB: RAM 0-0x9fc00 and 1 MiB-1 GiB. */
static void qemu_map(struct iomem_map *m)
{
    memset(m, 0, sizeof(*m));
    iomem_map_add_ram(m, 0, 0x9fc00);
    iomem_map_add_ram(m, 0x100000, 0x3ff00000);
    iomem_map_restrict(m, 0x8000, 0x1000, IOMEM_RO);            /* AP start-up page */
    iomem_map_restrict(m, 0xfee00000, 0x100000, IOMEM_DENY);    /* MSI window */
    iomem_map_restrict(m, 0xfee00000, 0x1000, IOMEM_DENY);      /* local APIC */
    iomem_map_restrict(m, 0xfec00000, 0x1000, IOMEM_RO);        /* IO-APIC */
}

static void test_lookup(void **state)
{
    (void)state;
    struct iomem_map m;
    qemu_map(&m);
    assert_int_equal(iomem_map_lookup(&m, 0), IOMEM_RW);        /* low 1 MiB: I/O even if RAM */
    assert_int_equal(iomem_map_lookup(&m, 0x9f), IOMEM_RW);     /* partly RAM, below 1 MiB */
    assert_int_equal(iomem_map_lookup(&m, 0xf0), IOMEM_RW);     /* BIOS */
    assert_int_equal(iomem_map_lookup(&m, 0x8), IOMEM_RO);      /* Keel's trampoline */
    assert_int_equal(iomem_map_lookup(&m, 0x100), IOMEM_RAM);
    assert_int_equal(iomem_map_lookup(&m, 0x3ffff), IOMEM_RAM);
    assert_int_equal(iomem_map_lookup(&m, 0x40000), IOMEM_RW);  /* above RAM: MMIO */
    assert_int_equal(iomem_map_lookup(&m, 0xfebff), IOMEM_RW);
    assert_int_equal(iomem_map_lookup(&m, 0xfec00), IOMEM_RO);
    assert_int_equal(iomem_map_lookup(&m, 0xfec01), IOMEM_RW);
    assert_int_equal(iomem_map_lookup(&m, 0xfee00), IOMEM_DENY);
    assert_int_equal(iomem_map_lookup(&m, 0xfeeff), IOMEM_DENY);
    assert_int_equal(iomem_map_lookup(&m, 0xfef00), IOMEM_RW);
    assert_int_equal(iomem_map_lookup(&m, 1UL << 30), IOMEM_RW);
}

/* A frame holding any byte of RAM is RAM; a restriction never turns RAM
 * into I/O (so refs taken for it and dropped for it always match). */
static void test_partial_and_ram_wins(void **state)
{
    (void)state;
    struct iomem_map m;
    memset(&m, 0, sizeof(m));
    iomem_map_add_ram(&m, 0x200800, 0x1000);                    /* frames 0x200, 0x201 */
    iomem_map_restrict(&m, 0x200000, 0x2000, IOMEM_DENY);
    iomem_map_restrict(&m, 0x300000, 0x1000, IOMEM_RW);         /* not a restriction: deny */
    assert_int_equal(iomem_map_lookup(&m, 0x200), IOMEM_RAM);
    assert_int_equal(iomem_map_lookup(&m, 0x201), IOMEM_RAM);
    assert_int_equal(iomem_map_lookup(&m, 0x202), IOMEM_RW);
    assert_int_equal(iomem_map_lookup(&m, 0x300), IOMEM_DENY);
    iomem_map_add_ram(&m, 0x400000, 0);                         /* empty, wrapping: ignored */
    iomem_map_add_ram(&m, ~0UL - 10, 100);
    assert_int_equal(m.nr_ram, 1);
}

/* Too many ranges: nothing is I/O any more (RAM stays RAM). */
static void test_overflow_denies(void **state)
{
    (void)state;
    struct iomem_map m;
    memset(&m, 0, sizeof(m));
    host_log_clear();
    for (unsigned i = 0; i <= IOMEM_MAX_RAM; i++)
        iomem_map_add_ram(&m, 0x100000UL * (i + 1), 0x1000);
    assert_true(m.overflow);
    assert_true(host_log_contains("too many RAM ranges"));
    assert_int_equal(iomem_map_lookup(&m, 0x100), IOMEM_RAM);
    assert_int_equal(iomem_map_lookup(&m, 0x101), IOMEM_DENY);
    assert_int_equal(iomem_map_lookup(&m, 0xf0), IOMEM_DENY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_partial_and_ram_wins),
        cmocka_unit_test(test_overflow_denies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
