/* Unit tests for hv/build/pvh_acpi.c: the tables Keel gives a PVH domain,
 * checked byte by byte (checksums, lengths, pointers) and parsed back with
 * Keel's own ACPI parser (arch/x86_64/acpi/), which rejects bad tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_log.h"
#include <keel/acpi.h>
#include <keel/pvh_acpi.h>

#define GPA     0x10002000ULL
#define BUF_LEN 4096

static uint8_t mem[BUF_LEN];

/* Guest-physical reads inside the built page only; a fresh heap copy of
 * exactly the bytes asked for, so ASan catches over-reads. */
static void *copies[256];
static unsigned nr_copies;

static const void *map(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (phys < GPA || phys - GPA > BUF_LEN || len > BUF_LEN - (phys - GPA) || !len ||
        nr_copies == 256)
        return NULL;
    void *c = malloc(len);
    memcpy(c, mem + (phys - GPA), len);
    return copies[nr_copies++] = c;
}

static void release(void)
{
    while (nr_copies)
        free(copies[--nr_copies]);
}

static const struct acpi_mem ops = { .map = map };

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Every table reachable from the RSDP: checksum zero, length as said. */
static void checksums_and_lengths(void **state)
{
    (void)state;
    size_t used = pvh_acpi_build(mem, BUF_LEN, GPA, 2);
    assert_true(used > 0 && used <= BUF_LEN);
    assert_memory_equal(mem, "RSD PTR ", 8);
    assert_int_equal(sum(mem, 20), 0);
    assert_int_equal(sum(mem, 36), 0);
    assert_int_equal(mem[15], 2);
    assert_int_equal(get32(mem + 16), 0);              /* no RSDT */
    assert_int_equal(get32(mem + 20), 36);
    const uint8_t *xsdt = mem + (get64(mem + 24) - GPA);
    assert_memory_equal(xsdt, "XSDT", 4);
    uint32_t xlen = get32(xsdt + 4);
    assert_int_equal(xlen, 36 + 16);
    assert_int_equal(sum(xsdt, xlen), 0);
    const char *want[2] = { "FACP", "APIC" };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t pa = get64(xsdt + 36 + 8 * i);
        assert_true(pa >= GPA && pa < GPA + used);
        const uint8_t *t = mem + (pa - GPA);
        assert_memory_equal(t, want[i], 4);
        assert_true(pa - GPA + get32(t + 4) <= used);
        assert_int_equal(sum(t, get32(t + 4)), 0);
    }
    const uint8_t *fadt = mem + (get64(xsdt + 36) - GPA);
    assert_int_equal(get32(fadt + 4), 268);
    assert_int_equal(fadt[8], 5);
    const uint8_t *dsdt = mem + (get64(fadt + 140) - GPA);
    assert_int_equal(get32(fadt + 40), get64(fadt + 140));
    assert_memory_equal(dsdt, "DSDT", 4);
    assert_int_equal(get32(dsdt + 4), 36);
    assert_int_equal(sum(dsdt, 36), 0);
}

/* Keel's parser reads back what Linux needs: the MADT's CPUs (ACPI id =
 * vCPU id, APIC id = 2 x vCPU id, enabled), no IO-APIC, no PIC; the FADT's
 * hardware-reduced flag and boot flags; no \_S5. */
static void parses_back(void **state)
{
    (void)state;
    for (unsigned n = 1; n <= 8; n++) {
        static struct acpi_info ai;
        assert_true(pvh_acpi_build(mem, BUF_LEN, GPA, n) > 0);
        assert_int_equal(acpi_parse(&ops, GPA, NULL, 0, &ai), 0);
        release();
        assert_int_equal(ai.nr_bad_tables, 0);
        assert_true(ai.root_is_xsdt);
        assert_true(ai.has_madt);
        assert_int_equal(ai.lapic_phys, 0xfee00000);
        assert_false(ai.pic_present);
        assert_int_equal(ai.nr_ioapics, 0);
        assert_int_equal(ai.nr_cpus, n);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(ai.cpu[i].acpi_uid, i);
            assert_int_equal(ai.cpu[i].apic_id, pvh_lapic_id(i));
            assert_true(ai.cpu[i].enabled);
        }
        assert_true(ai.has_fadt);
        assert_int_equal(ai.fadt_revision, 5);
        assert_true(ai.hw_reduced);
        assert_int_equal(ai.boot_arch & ACPI_BOOT_8042, 0);
        assert_int_equal(ai.boot_arch & ((1u << 2) | (1u << 5)), (1u << 2) | (1u << 5));
        assert_false(ai.has_s5);
        assert_false(ai.has_hpet);
        assert_int_equal(ai.pm_tmr.address, 0);
    }
}

static void refuses_what_does_not_fit(void **state)
{
    (void)state;
    assert_int_equal(pvh_acpi_build(mem, BUF_LEN, GPA, 0), 0);
    assert_int_equal(pvh_acpi_build(mem, BUF_LEN, GPA, PVH_ACPI_MAX_VCPUS + 1), 0);
    assert_int_equal(pvh_acpi_build(mem, 400, GPA, 1), 0);
    size_t used = pvh_acpi_build(mem, BUF_LEN, GPA, PVH_ACPI_MAX_VCPUS);
    assert_true(used > 0 && used <= BUF_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksums_and_lengths),
        cmocka_unit_test(parses_back),
        cmocka_unit_test(refuses_what_does_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
