/* Unit tests for arch/x86_64/acpi/: RSDP discovery, root-table walk, MADT,
 * FADT, HPET and \_S5 parsing, on synthetic tables in a fake physical
 * memory (tests/unit/acpi_fixtures.h), including malformed and hostile
 * tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "host_log.h"
#include "acpi_fixtures.h"

static struct acpi_info ai;

#define SETUP_TEST(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

static void checksum_sums_all_bytes(void **state)
{
    uint8_t b[4] = { 0x10, 0x20, 0x30, 0xa0 };

    (void)state;
    assert_true(acpi_checksum_ok(b, sizeof(b)));
    b[3]++;
    assert_false(acpi_checksum_ok(b, sizeof(b)));
    assert_true(acpi_checksum_ok(b, 0));
}

static void good_set_via_xsdt(void **state)
{
    (void)state;
    build_good_set();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);

    assert_int_equal(ai.rsdp_phys, RSDP_PHYS);
    assert_int_equal(ai.rsdp_revision, 2);
    assert_string_equal(ai.oem_id, "KEELOE");
    assert_true(ai.root_is_xsdt);
    assert_int_equal(ai.root_phys, XSDT_PHYS);
    assert_int_equal(ai.nr_bad_tables, 0);

    /* MADT */
    assert_true(ai.has_madt);
    assert_int_equal(ai.lapic_phys, 0xfee00000);
    assert_true(ai.pic_present);
    assert_int_equal(ai.nr_cpus, 4);            /* the duplicate id 1 dropped */
    assert_int_equal(ai.cpu[0].apic_id, 0);
    assert_true(ai.cpu[1].enabled);
    assert_int_equal(ai.cpu[2].apic_id, 2);
    assert_false(ai.cpu[2].enabled);
    assert_false(ai.cpu[2].online_capable);
    assert_int_equal(ai.cpu[3].apic_id, 0x100);
    assert_int_equal(ai.cpu[3].acpi_uid, 3);
    assert_true(ai.cpu[3].x2apic && ai.cpu[3].enabled);
    assert_false(ai.cpu[1].x2apic);
    assert_int_equal(ai.nr_ioapics, 1);
    assert_int_equal(ai.ioapic[0].addr, 0xfec00000);
    assert_int_equal(ai.ioapic[0].gsi_base, 0);
    assert_int_equal(ai.nr_isos, 2);
    assert_int_equal(ai.iso[0].bus_irq, 0);
    assert_int_equal(ai.iso[0].gsi, 2);
    assert_int_equal(ai.iso[1].bus_irq, 9);
    assert_int_equal(ai.iso[1].flags, 0xd);
    assert_int_equal(ai.nr_nmis, 1);
    assert_int_equal(ai.nmi[0].acpi_uid, ACPI_UID_ALL);
    assert_int_equal(ai.nmi[0].flags, 5);
    assert_int_equal(ai.nmi[0].lint, 1);

    /* FADT: X_ fields win over the legacy ones */
    assert_true(ai.has_fadt);
    assert_int_equal(ai.fadt_revision, 6);
    assert_int_equal(ai.dsdt_phys, DSDT_PHYS);
    assert_int_equal(ai.facs_phys, FACS_PHYS);
    assert_int_equal(ai.sci_irq, 9);
    assert_int_equal(ai.smi_cmd, 0xb2);
    assert_int_equal(ai.acpi_enable_val, 0xf1);
    assert_int_equal(ai.boot_arch, ACPI_BOOT_8042);
    assert_int_equal(ai.pm1a_cnt.space_id, ACPI_GAS_IO);
    assert_int_equal(ai.pm1a_cnt.address, 0x1604);
    assert_int_equal(ai.pm1a_cnt.bit_width, 16);
    assert_int_equal(ai.pm1b_cnt.address, 0);
    assert_int_equal(ai.pm_tmr.space_id, ACPI_GAS_IO);     /* legacy port */
    assert_int_equal(ai.pm_tmr.address, 0x608);
    assert_int_equal(ai.pm_tmr.bit_width, 32);
    assert_true(ai.pm_tmr_32bit);
    assert_true(ai.reset_supported);
    assert_int_equal(ai.reset_reg.space_id, ACPI_GAS_IO);
    assert_int_equal(ai.reset_reg.address, 0xcf9);
    assert_int_equal(ai.reset_value, 6);
    assert_false(ai.hw_reduced);

    /* HPET and \_S5 */
    assert_true(ai.has_hpet);
    assert_int_equal(ai.hpet_phys, 0xfed00000);
    assert_int_equal(ai.hpet_block_id, 0x8086a201);
    assert_int_equal(ai.hpet_min_tick, 0x80);
    assert_true(ai.has_s5);
    assert_int_equal(ai.s5_slp_typ_a, 0);
    assert_int_equal(ai.s5_slp_typ_b, 0);
    assert_false(host_log_contains("ignored"));

    host_log_clear();
    acpi_log_summary(&ai);
    assert_true(host_log_contains("4 CPUs (3 enabled), 1 IOAPICs"));
    assert_true(host_log_contains("OEM 'KEELOE', XSDT at 0x7fe0000"));
    assert_true(host_log_contains("reset register io 0xcf9 value 0x6"));
    assert_true(host_log_contains("HPET 0 at 0xfed00000"));
    assert_true(host_log_contains("\\_S5 SLP_TYPa 0 SLP_TYPb 0"));
}

static void bytes_s5_shape_in_dsdt(void **state)
{
    (void)state;
    build_good_set();
    put_aml_table(DSDT_PHYS, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(ai.has_s5);
    assert_int_equal(ai.s5_slp_typ_a, 7);
    assert_int_equal(ai.s5_slp_typ_b, 5);
}

static void multiboot_copy_is_used(void **state)
{
    uint8_t copy[ACPI_RSDP_V2_LEN];

    (void)state;
    build_good_set();
    put_rsdp_at(copy, 2, RSDT_PHYS, XSDT_PHYS);
    memset(fake_ptr(RSDP_PHYS, 36), 0, 36);     /* no RSDP in memory */
    assert_int_equal(parse_fake(0, copy, sizeof(copy), &ai), 0);
    assert_true(ai.root_is_xsdt);
    assert_int_equal(ai.nr_cpus, 4);

    /* A bad copy with a valid address falls back to the address. */
    build_good_set();
    copy[8]++;
    host_log_clear();
    assert_int_equal(parse_fake(RSDP_PHYS, copy, sizeof(copy), &ai), 0);
    assert_true(host_log_contains("acpi: RSDP (boot loader copy): bad checksum, ignored"));
    assert_true(ai.has_madt);

    /* A v1-sized copy of a v2 RSDP is truncated. */
    put_rsdp_at(copy, 2, RSDT_PHYS, XSDT_PHYS);
    assert_int_equal(acpi_rsdp_validate(copy, ACPI_RSDP_V1_LEN), -EINVAL);
    assert_int_equal(acpi_rsdp_validate(copy, sizeof(copy)), 0);

    /* A length beyond what the boot loader copied is not read. */
    uint8_t *exact = malloc(sizeof(copy));
    put32(copy + 20, 40);
    set_checksum(copy, ACPI_RSDP_V2_LEN, 32);
    memcpy(exact, copy, sizeof(copy));
    host_log_clear();
    assert_int_equal(acpi_rsdp_validate(exact, sizeof(copy)), -EINVAL);
    assert_true(host_log_contains("acpi: RSDP (boot loader copy): truncated, ignored"));
    free(exact);
}

/* RSDP revision 0 -> RSDT -> MADT + a 116-byte revision-1 FADT. */
static void rsdp_v1_rsdt_short_fadt(void **state)
{
    (void)state;
    build_good_set();
    put_rsdp(RSDP_PHYS, 0, RSDT_PHYS, 0);
    put64(fake_ptr(RSDP_PHYS + 24, 8), XSDT_PHYS);  /* beyond v1: never read */
    put_fadt(1, 116, ACPI_FADT_RESET_REG_SUP);
    host_log_clear();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);

    assert_int_equal(ai.rsdp_revision, 0);
    assert_false(ai.root_is_xsdt);
    assert_int_equal(ai.root_phys, RSDT_PHYS);
    assert_true(ai.has_madt);
    assert_int_equal(ai.nr_cpus, 4);
    assert_false(ai.has_hpet);                  /* only in the XSDT */
    assert_true(ai.has_fadt);
    assert_int_equal(ai.fadt_revision, 1);
    assert_int_equal(ai.dsdt_phys, DSDT_PHYS);
    assert_int_equal(ai.boot_arch, 0);          /* reserved in revision 1 */
    assert_int_equal(ai.pm1a_cnt.space_id, ACPI_GAS_IO);
    assert_int_equal(ai.pm1a_cnt.address, 0x604);
    assert_int_equal(ai.pm1a_cnt.bit_width, 16);
    assert_int_equal(ai.pm1a_cnt.access_size, 2);
    assert_int_equal(ai.pm_tmr.address, 0x608);
    assert_false(ai.pm_tmr_32bit);
    assert_false(ai.reset_supported);           /* no RESET_REG in 116 bytes */
    assert_true(host_log_contains("RESET_REG_SUP set but no reset register"));
    assert_true(ai.has_s5);
    assert_int_equal(ai.nr_bad_tables, 0);
}

static const struct rsdp_case {
    const char *what;
    size_t off;         /* byte to change */
    uint8_t xor;
    bool fix_v1_sum;    /* recompute the v1 checksum after the change */
    const char *log;
} bad_rsdps[] = {
    { "checksum", 8, 0x01, false, "acpi: RSDP at 0xf0000: bad checksum, ignored" },
    { "signature", 0, 0x20, true, "acpi: RSDP at 0xf0000: bad signature, ignored" },
    { "extended checksum", 32, 0x01, false, "acpi: RSDP at 0xf0000: bad extended checksum, ignored" },
    { "length < 36", 20, 0x24 ^ 0x10, false, "acpi: RSDP at 0xf0000: bad length, ignored" },
    { "huge length", 23, 0x80, false, "acpi: RSDP at 0xf0000: bad length, ignored" },
};

static void bad_rsdp_is_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_rsdps); i++) {
        const struct rsdp_case *c = &bad_rsdps[i];
        uint8_t *p;

        build_good_set();
        p = fake_ptr(RSDP_PHYS, 36);
        p[c->off] ^= c->xor;
        if (c->fix_v1_sum)
            set_checksum(p, ACPI_RSDP_V1_LEN, 8);
        host_log_clear();
        assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), -ENOENT);
        if (!host_log_contains(c->log))
            fail_msg("%s: log was: %s", c->what, host_log_text());
        assert_false(ai.has_madt);
    }
    host_log_clear();
    assert_int_equal(parse_fake(UNMAPPED_PHYS, NULL, 0, &ai), -ENOENT);
    assert_true(host_log_contains("acpi: RSDP at 0x50000000: unreadable, ignored"));
    assert_int_equal(parse_fake(0, NULL, 0, &ai), -ENOENT);
}

static void bad_xsdt_falls_back_to_rsdt(void **state)
{
    (void)state;
    build_good_set();
    fake_ptr(XSDT_PHYS, 36)[20] ^= 1;
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(host_log_contains("acpi: XSDT at 0x7fe0000: bad checksum, ignored"));
    assert_false(ai.root_is_xsdt);
    assert_true(ai.has_madt && ai.has_fadt && ai.has_s5);
    assert_false(ai.has_hpet);
    assert_int_equal(ai.nr_bad_tables, 1);

    /* Neither root usable: nothing to parse. */
    fake_ptr(RSDT_PHYS, 36)[20] ^= 1;
    host_log_clear();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), -ENOENT);
    assert_true(host_log_contains("acpi: RSDT at 0x7fe0400: bad checksum, ignored"));
    assert_true(host_log_contains("no usable XSDT or RSDT"));
}

static void bad_madt_checksum_rest_parsed(void **state)
{
    (void)state;
    build_good_set();
    fake_ptr(MADT_PHYS, 64)[50] ^= 0x40;
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(host_log_contains("acpi: MADT at 0x7fe1000: bad checksum, ignored\n"));
    assert_false(ai.has_madt);
    assert_int_equal(ai.nr_cpus, 0);
    assert_true(ai.has_fadt && ai.has_hpet && ai.has_s5);
    assert_int_equal(ai.nr_bad_tables, 1);
}

/* A MADT whose length field is edited after building (checksum redone). */
static void set_madt_length(uint32_t len)
{
    put32(fake_ptr(MADT_PHYS + 4, 4), len);
    table_rechecksum(MADT_PHYS);
}

static const struct length_case {
    uint32_t len;
    const char *log;
} bad_lengths[] = {
    { 0xffffffffu, "acpi: MADT at 0x7fe1000: bad length, ignored" },
    { ACPI_MAX_TABLE_LEN + 1, "acpi: MADT at 0x7fe1000: bad length, ignored" },
    { 20, "acpi: MADT at 0x7fe1000: bad length, ignored" },
    { 0x100000, "acpi: MADT at 0x7fe1000: unreadable, ignored" },  /* past the RAM */
    { 40, "acpi: MADT at 0x7fe1000: too short, ignored" },
};

static void table_length_checked(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_lengths); i++) {
        build_good_set();
        set_madt_length(bad_lengths[i].len);
        host_log_clear();
        assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
        if (!host_log_contains(bad_lengths[i].log))
            fail_msg("length %#x: log was: %s", bad_lengths[i].len, host_log_text());
        assert_false(ai.has_madt);
        assert_true(ai.has_fadt);
        assert_int_equal(ai.nr_bad_tables, 1);
    }
}

static const struct madt_case {
    const char *what;
    uint8_t entries[40];
    size_t n;
    unsigned nr_cpus, nr_ioapics;
    const char *log;
} bad_madts[] = {
    { "short IOAPIC entry skipped",
      { 0x01, 8, 0, 0, 0, 0, 0xc0, 0xfe,  0x00, 8, 0, 5, 1, 0, 0, 0 }, 16, 1, 0,
      "acpi: MADT: IOAPIC entry at offset 44 too short (8 < 12), skipped" },
    { "short x2APIC entry skipped",
      { 0x09, 12, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0,  0x00, 8, 0, 5, 1, 0, 0, 0 }, 20, 1, 0,
      "local x2APIC entry at offset 44 too short (12 < 16), skipped" },
    { "length 0 stops",
      { 0x00, 8, 0, 5, 1, 0, 0, 0,  0x00, 0, 0, 6, 1, 0, 0, 0 }, 16, 1, 0,
      "acpi: MADT: entry at offset 52 has bad length 0 (table length 60), stopped" },
    { "length 1 stops",
      { 0x00, 1, 0, 5, 1, 0, 0, 0 }, 8, 0, 0, "entry at offset 44 has bad length 1" },
    { "entry past the end stops",
      { 0x00, 8, 0, 5, 1, 0, 0, 0,  0x01, 12, 0, 0, 0, 0 }, 14, 1, 0,
      "entry at offset 52 has bad length 12 (table length 58), stopped" },
    { "one trailing byte stops",
      { 0x00, 8, 0, 5, 1, 0, 0, 0,  0x01 }, 9, 1, 0, "entry at offset 52 has bad length 0" },
    { "xAPIC id 0xff and x2APIC id ~0 skipped",
      { 0x00, 8, 0, 0xff, 1, 0, 0, 0,  0x09, 16, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0 },
      24, 0, 0, "x2APIC entry with id 0xffffffff, skipped" },
};

static void madt_malformed_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_madts); i++) {
        const struct madt_case *c = &bad_madts[i];

        build_good_set();
        put_madt(c->entries, c->n);
        host_log_clear();
        assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
        assert_true(ai.has_madt);
        if (ai.nr_cpus != c->nr_cpus || ai.nr_ioapics != c->nr_ioapics ||
            !host_log_contains(c->log))
            fail_msg("%s: %u CPUs, %u IOAPICs, log: %s", c->what, ai.nr_cpus,
                     ai.nr_ioapics, host_log_text());
        if (c->nr_cpus)
            assert_int_equal(ai.cpu[0].apic_id, 5);
        assert_true(ai.has_fadt);
    }
}

static void madt_override_and_x2apic_nmi(void **state)
{
    static const uint8_t entries[] = {
        0x05, 12, 0, 0, 0x00, 0x00, 0xe0, 0xfe, 0x01, 0, 0, 0,  /* 0x1fee00000 */
        0x0a, 12, 0x0d, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,  /* all, LINT0 */
        0x0a, 12, 0x05, 0, 7, 0, 0, 0, 1, 0, 0, 0,              /* uid 7, LINT1 */
        0x04, 6, 3, 0, 0, 1,                                    /* uid 3, LINT1 */
        0x00, 8, 0, 0, 2, 0, 0, 0,                              /* online capable */
    };

    (void)state;
    build_good_set();
    put_madt(entries, sizeof(entries));
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_int_equal(ai.lapic_phys, 0x1fee00000ull);
    assert_int_equal(ai.nr_nmis, 3);
    assert_int_equal(ai.nmi[0].acpi_uid, ACPI_UID_ALL);
    assert_int_equal(ai.nmi[0].flags, 0xd);
    assert_int_equal(ai.nmi[0].lint, 0);
    assert_int_equal(ai.nmi[1].acpi_uid, 7);
    assert_int_equal(ai.nmi[1].lint, 1);
    assert_int_equal(ai.nmi[2].acpi_uid, 3);
    assert_int_equal(ai.nr_cpus, 1);
    assert_false(ai.cpu[0].enabled);
    assert_true(ai.cpu[0].online_capable);
}

/* More CPUs/IOAPICs/ISOs/NMIs than the arrays hold: the rest is counted or
 * dropped, never written out of bounds. */
static void madt_limits(void **state)
{
    size_t n = 0, cap = 300 * 16 + 40 * 12 + 40 * 10 + 20 * 6;
    uint8_t *e = calloc(1, cap);

    (void)state;
    for (unsigned i = 0; i < 300; i++) {
        uint8_t x2[16] = { 0x09, 16 };
        put32(x2 + 4, i);
        x2[8] = 1;
        put32(x2 + 12, i);
        memcpy(e + n, x2, 16);
        n += 16;
    }
    for (unsigned i = 0; i < 40; i++) {
        uint8_t io[12] = { 0x01, 12, (uint8_t)i };
        memcpy(e + n, io, 12);
        n += 12;
    }
    for (unsigned i = 0; i < 40; i++) {
        uint8_t iso[10] = { 0x02, 10, 0, (uint8_t)i };
        memcpy(e + n, iso, 10);
        n += 10;
    }
    for (unsigned i = 0; i < 20; i++) {
        uint8_t nmi[6] = { 0x04, 6, (uint8_t)i };
        memcpy(e + n, nmi, 6);
        n += 6;
    }
    build_good_set();
    put_madt(e, n);
    free(e);
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_int_equal(ai.nr_cpus, ACPI_MAX_CPUS);
    assert_int_equal(ai.nr_cpus_dropped, 300 - ACPI_MAX_CPUS);
    assert_int_equal(ai.cpu[255].apic_id, 255);
    assert_int_equal(ai.nr_ioapics, ACPI_MAX_IOAPICS);
    assert_int_equal(ai.nr_isos, ACPI_MAX_ISOS);
    assert_int_equal(ai.nr_nmis, ACPI_MAX_NMIS);
    assert_true(host_log_contains("more than 256 CPUs"));
}

static void root_entry_unmapped_or_null(void **state)
{
    static const uint64_t entries[] = {
        UNMAPPED_PHYS, 0, MADT_PHYS, FADT_PHYS, MADT_PHYS, FAKE_HIGH_BASE + FAKE_HIGH_SIZE - 8,
    };

    (void)state;
    build_good_set();
    put_root(XSDT_PHYS, true, entries, ARRAY_SIZE(entries));
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(host_log_contains("acpi: table at 0x50000000: unreadable, ignored"));
    assert_true(host_log_contains("root table entry 1 is null"));
    assert_true(host_log_contains("acpi: MADT at 0x7fe1000: duplicate, ignored"));
    assert_true(host_log_contains("acpi: table at 0x801fff8: unreadable, ignored"));
    assert_int_equal(ai.nr_bad_tables, 2);
    assert_true(ai.has_madt && ai.has_fadt && ai.has_s5);
    assert_int_equal(ai.nr_cpus, 4);
}

static void hpet_not_in_memory_space(void **state)
{
    (void)state;
    build_good_set();
    put_hpet(ACPI_GAS_IO, 0xfed00000);
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_false(ai.has_hpet);
    assert_true(host_log_contains("HPET: base address not in memory space"));
}

static void dsdt_without_s5(void **state)
{
    (void)state;
    build_good_set();
    put_aml_table(DSDT_PHYS, "DSDT", NULL, 0);
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_false(ai.has_s5);
    assert_true(host_log_contains("no \\_S5 object found"));

    /* ... but in an SSDT it is found. */
    put_aml_table(SSDT2_PHYS, "SSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
    host_log_clear();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(ai.has_s5);
    assert_int_equal(ai.s5_slp_typ_a, 7);

    /* A DSDT that is not a DSDT is rejected and counted. */
    build_good_set();
    memcpy(fake_ptr(DSDT_PHYS, 4), "SSDT", 4);
    table_rechecksum(DSDT_PHYS);
    host_log_clear();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    assert_true(host_log_contains("acpi: DSDT at 0x7fe4000: bad signature, ignored"));
    assert_false(ai.has_s5);
    assert_int_equal(ai.nr_bad_tables, 1);
}

static const struct aml_case {
    const char *what;
    uint8_t aml[24];
    size_t n;
    int rc;
    uint8_t a, b;
} aml_cases[] = {
    { "QEMU shape", { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 }, 12, 0, 0, 0 },
    { "root prefix, bytes", { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 7, 0x0a, 5 },
      13, 0, 7, 5 },
    { "One and Ones", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0xff }, 10, 0, 1, 0xff },
    { "word and dword", { 0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x02, 0x0b, 0x05, 0x12,
                          0x0c, 0x06, 0, 0, 0 }, 16, 0, 5, 6 },
    { "qword", { 0x08, '_', 'S', '5', '_', 0x12, 0x0c, 0x02, 0x0e, 3, 0, 0, 0, 0, 0, 0, 0, 0x00 },
      18, 0, 3, 0 },
    { "2-byte PkgLength", { 0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02, 0x0a, 4, 0x0a, 2 },
      13, 0, 4, 2 },
    { "decoy then real", { 0x08, '_', 'S', '5', '_', 0x0a, 0x01, 0x08, '_', 'S', '5', '_', 0x12,
                           0x04, 0x02, 0x00, 0x01 }, 17, 0, 0, 1 },
    { "one element", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 5 }, 10, -ENOENT, 0, 0 },
    { "PkgLength past end", { 0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00 }, 10, -ENOENT, 0, 0 },
    { "element past package", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0a, 5 }, 11,
      -ENOENT, 0, 0 },
    { "PkgLength reserved bits", { 0x08, '_', 'S', '5', '_', 0x12, 0x70, 0x00, 0x02, 0x00, 0x00 },
      11, -ENOENT, 0, 0 },
    { "PkgLength shorter than itself", { 0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x00, 0x02, 0, 0 },
      11, -ENOENT, 0, 0 },
    { "word cut by the package end", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x00, 0x0b, 5,
                                       0x00 }, 12, -ENOENT, 0, 0 },
    { "not an integer", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0d, 'a', 0 }, 11, -ENOENT, 0, 0 },
    { "method, not name", { 0x14, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x00 }, 10, -ENOENT, 0, 0 },
    { "name at the very end", { 0x00, 0x08, '_', 'S', '5' }, 5, -ENOENT, 0, 0 },
    { "empty", { 0 }, 0, -ENOENT, 0, 0 },
};

static void aml_s5_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(aml_cases); i++) {
        const struct aml_case *c = &aml_cases[i];
        uint8_t *buf = malloc(c->n ? c->n : 1);   /* exact size for ASan */
        uint8_t a = 0xee, b = 0xee;
        int rc;

        memcpy(buf, c->aml, c->n);
        rc = acpi_aml_find_s5(buf, c->n, &a, &b);
        free(buf);
        if (rc != c->rc || (rc == 0 && (a != c->a || b != c->b)))
            fail_msg("%s: rc %d a %#x b %#x", c->what, rc, a, b);
        if (rc)
            assert_true(a == 0xee && b == 0xee);    /* untouched on failure */
    }
}

/* Every truncation of a valid _S5 is either not found or correct. */
static void aml_s5_truncated(void **state)
{
    const struct aml_case *c = &aml_cases[4];   /* qword: the longest */

    (void)state;
    for (size_t n = 0; n < c->n; n++) {
        uint8_t *buf = malloc(n ? n : 1);
        uint8_t a, b;

        memcpy(buf, c->aml, n);
        assert_int_equal(acpi_aml_find_s5(buf, n, &a, &b), -ENOENT);
        free(buf);
    }
}

static void aml_random_bytes_no_overrun(void **state)
{
    (void)state;
    srand(1);
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(rand() % 24);
        uint8_t *buf = malloc(n ? n : 1);
        uint8_t a, b;

        /* Bias towards the interesting opcodes. */
        static const uint8_t alphabet[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x0a,
                                            0x0b, 0x0c, 0x0e, 0x00, 0x01, 0xff, 0x40, 0x80, 0xc0 };
        for (size_t i = 0; i < n; i++)
            buf[i] = rand() % 4 ? alphabet[rand() % sizeof(alphabet)] : (uint8_t)rand();
        if (n >= 5 && rand() % 2)
            memcpy(buf, "\x08_S5_", 5);
        (void)acpi_aml_find_s5(buf, n, &a, &b);
        free(buf);
    }
}

static void bios_scan_finds_aligned_valid_rsdp(void **state)
{
    uint64_t phys = 0;
    uint8_t v2[ACPI_RSDP_V2_LEN];

    (void)state;
    assert_int_equal(acpi_find_rsdp(&fake_mem_ops, &phys), -ENOENT);

    put_rsdp(0xe0100, 2, RSDT_PHYS, XSDT_PHYS);
    fake_ptr(0xe0100, 36)[8] ^= 1;                  /* bad checksum */
    put_rsdp(0xe0208, 2, RSDT_PHYS, XSDT_PHYS);     /* not 16-byte aligned */
    put_rsdp_at(v2, 2, RSDT_PHYS, XSDT_PHYS);       /* v2 crossing 1 MiB: truncated */
    memcpy(fake_ptr(0xfffe0, 32), v2, 32);
    host_log_clear();
    assert_int_equal(acpi_find_rsdp(&fake_mem_ops, &phys), -ENOENT);
    assert_true(host_log_contains("acpi: RSDP at 0xe0100: bad checksum, ignored"));
    assert_true(host_log_contains("acpi: RSDP at 0xfffe0: truncated, ignored"));
    fake_release();

    put_rsdp(0xf0020, 0, RSDT_PHYS, 0);
    assert_int_equal(acpi_find_rsdp(&fake_mem_ops, &phys), 0);
    assert_int_equal(phys, 0xf0020);

    /* The EBDA comes first; a nonsense EBDA segment is ignored. */
    put16(fake_ptr(0x40e, 2), 0x9fc0);
    put_rsdp(0x9fc40, 0, RSDT_PHYS, 0);
    assert_int_equal(acpi_find_rsdp(&fake_mem_ops, &phys), 0);
    assert_int_equal(phys, 0x9fc40);
    put16(fake_ptr(0x40e, 2), 0xffff);
    assert_int_equal(acpi_find_rsdp(&fake_mem_ops, &phys), 0);
    assert_int_equal(phys, 0xf0020);
    fake_release();
}

static void find_table_by_signature(void **state)
{
    const uint8_t *t;
    uint32_t len;

    (void)state;
    build_good_set();
    assert_int_equal(parse_fake(RSDP_PHYS, NULL, 0, &ai), 0);
    t = acpi_find_table(&fake_mem_ops, &ai, "SSDT", 0, &len);
    assert_non_null(t);
    assert_memory_equal(t, fake_ptr(SSDT1_PHYS, len), len);
    t = acpi_find_table(&fake_mem_ops, &ai, "SSDT", 1, &len);
    assert_non_null(t);
    assert_memory_equal(t, fake_ptr(SSDT2_PHYS, len), len);
    assert_null(acpi_find_table(&fake_mem_ops, &ai, "SSDT", 2, &len));
    assert_null(acpi_find_table(&fake_mem_ops, &ai, "DMAR", 0, &len));
    t = acpi_find_table(&fake_mem_ops, &ai, "DSDT", 0, &len);
    assert_non_null(t);
    assert_memory_equal(t, "DSDT", 4);
    t = acpi_find_table(&fake_mem_ops, &ai, "FACP", 0, &len);
    assert_non_null(t);
    assert_int_equal(len, 276);

    /* A bad first SSDT is skipped (and reported). */
    fake_ptr(SSDT1_PHYS, 64)[40] ^= 1;
    host_log_clear();
    t = acpi_find_table(&fake_mem_ops, &ai, "SSDT", 0, &len);
    assert_memory_equal(t, fake_ptr(SSDT2_PHYS, len), len);
    assert_true(host_log_contains("acpi: SSDT at 0x7fe5000: bad checksum, ignored"));
    fake_release();
}

/* Randomly corrupt bytes of the good set (keeping checksums valid, so the
 * parsers see the damage) and check nothing overruns and counts stay sane. */
static void fuzz_parse_corrupted_tables(void **state)
{
    static const struct { uint64_t phys; uint32_t len; } targets[] = {
        { XSDT_PHYS, 84 }, { MADT_PHYS, 140 }, { FADT_PHYS, 276 },
        { HPET_PHYS, 56 }, { DSDT_PHYS, 60 }, { RSDP_PHYS, 36 },
    };

    (void)state;
    srand(2);
    for (int iter = 0; iter < 3000; iter++) {
        int flips = 1 + rand() % 4;

        build_good_set();
        for (int k = 0; k < flips; k++) {
            size_t ti = (size_t)rand() % ARRAY_SIZE(targets);
            uint8_t *p = fake_ptr(targets[ti].phys, targets[ti].len);

            p[(size_t)rand() % targets[ti].len] = (uint8_t)rand();
        }
        for (size_t ti = 0; ti + 1 < ARRAY_SIZE(targets); ti++)
            table_rechecksum(targets[ti].phys);
        if (rand() % 2) {
            uint8_t *r = fake_ptr(RSDP_PHYS, 36);
            set_checksum(r, ACPI_RSDP_V1_LEN, 8);
            set_checksum(r, ACPI_RSDP_V2_LEN, 32);
        }
        host_log_clear();
        int rc = parse_fake(RSDP_PHYS, NULL, 0, &ai);
        assert_true(rc == 0 || rc == -ENOENT);
        assert_true(ai.nr_cpus <= ACPI_MAX_CPUS && ai.nr_ioapics <= ACPI_MAX_IOAPICS);
        assert_true(ai.nr_isos <= ACPI_MAX_ISOS && ai.nr_nmis <= ACPI_MAX_NMIS);
        acpi_log_summary(&ai);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_sums_all_bytes),
        SETUP_TEST(good_set_via_xsdt),
        SETUP_TEST(bytes_s5_shape_in_dsdt),
        SETUP_TEST(multiboot_copy_is_used),
        SETUP_TEST(rsdp_v1_rsdt_short_fadt),
        SETUP_TEST(bad_rsdp_is_rejected),
        SETUP_TEST(bad_xsdt_falls_back_to_rsdt),
        SETUP_TEST(bad_madt_checksum_rest_parsed),
        SETUP_TEST(table_length_checked),
        SETUP_TEST(madt_malformed_entries),
        SETUP_TEST(madt_override_and_x2apic_nmi),
        SETUP_TEST(madt_limits),
        SETUP_TEST(root_entry_unmapped_or_null),
        SETUP_TEST(hpet_not_in_memory_space),
        SETUP_TEST(dsdt_without_s5),
        cmocka_unit_test(aml_s5_shapes),
        cmocka_unit_test(aml_s5_truncated),
        cmocka_unit_test(aml_random_bytes_no_overrun),
        SETUP_TEST(bios_scan_finds_aligned_valid_rsdp),
        SETUP_TEST(find_table_by_signature),
        SETUP_TEST(fuzz_parse_corrupted_tables),
    };
    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
