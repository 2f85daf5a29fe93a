/* Synthetic ACPI tables for tests/unit/test_acpi.c: a fake physical memory
 * (low 1 MiB + one high region), a table builder that fills in lengths and
 * checksums, and a complete "good" table set in the QEMU shape.
 *
 * fake_map() hands out a fresh heap copy of exactly the requested bytes, so
 * ASan flags any read beyond what a parser asked map() for. */
#ifndef ACPI_FIXTURES_H
#define ACPI_FIXTURES_H

#include <stdlib.h>
#include <string.h>
#include <keel/acpi.h>
#include <keel/errno.h>

#define FAKE_LOW_SIZE   0x100000u
#define FAKE_HIGH_BASE  0x7fe0000u
#define FAKE_HIGH_SIZE  0x40000u

/* Where the good set lives. */
#define RSDP_PHYS       0xf0000u
#define XSDT_PHYS       0x7fe0000u
#define RSDT_PHYS       0x7fe0400u
#define MADT_PHYS       0x7fe1000u
#define FADT_PHYS       0x7fe2000u
#define HPET_PHYS       0x7fe3000u
#define DSDT_PHYS       0x7fe4000u
#define SSDT1_PHYS      0x7fe5000u
#define SSDT2_PHYS      0x7fe6000u
#define MCFG_PHYS       0x7fe7000u
#define FACS_PHYS       0x7fe8000u
#define UNMAPPED_PHYS   0x50000000u

struct fake_mem {
    uint8_t low[FAKE_LOW_SIZE];
    uint8_t high[FAKE_HIGH_SIZE];
    void **copies;          /* handed out by fake_map, freed by fake_release */
    size_t nr_copies, cap_copies;
    unsigned nr_maps;
};

static struct fake_mem *fm;

static uint8_t *fake_ptr(uint64_t phys, size_t len)
{
    if (phys < FAKE_LOW_SIZE && len <= FAKE_LOW_SIZE - phys)
        return fm->low + phys;
    if (phys >= FAKE_HIGH_BASE && phys - FAKE_HIGH_BASE <= FAKE_HIGH_SIZE &&
        len <= FAKE_HIGH_SIZE - (phys - FAKE_HIGH_BASE))
        return fm->high + (phys - FAKE_HIGH_BASE);
    return NULL;
}

static const void *fake_map(void *ctx, uint64_t phys, size_t len)
{
    const uint8_t *src = fake_ptr(phys, len);
    void *copy;

    (void)ctx;
    fm->nr_maps++;
    if (!src || len == 0)
        return NULL;
    if (fm->nr_copies == fm->cap_copies) {
        fm->cap_copies = fm->cap_copies ? fm->cap_copies * 2 : 64;
        fm->copies = realloc(fm->copies, fm->cap_copies * sizeof(void *));
    }
    copy = malloc(len);
    memcpy(copy, src, len);
    fm->copies[fm->nr_copies++] = copy;
    return copy;
}

static void fake_release(void)
{
    for (size_t i = 0; i < fm->nr_copies; i++)
        free(fm->copies[i]);
    fm->nr_copies = 0;
}

static const struct acpi_mem fake_mem_ops = { .map = fake_map, .ctx = NULL };

static int fake_setup(void **state)
{
    (void)state;
    fm = calloc(1, sizeof(*fm));
    host_log_clear();
    return fm ? 0 : -1;
}

static int fake_teardown(void **state)
{
    (void)state;
    fake_release();
    free(fm->copies);
    free(fm);
    fm = NULL;
    return 0;
}

/* ---- little-endian stores ---- */
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void put_gas(uint8_t *p, uint8_t space, uint8_t width, uint8_t access, uint64_t addr)
{
    p[0] = space;
    p[1] = width;
    p[2] = 0;
    p[3] = access;
    put64(p + 4, addr);
}

static void set_checksum(uint8_t *p, size_t len, size_t csum_off)
{
    uint8_t sum = 0;

    p[csum_off] = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    p[csum_off] = (uint8_t)-sum;
}

/* ---- table builder ---- */
struct tb {
    uint8_t *p;         /* start of the table in fake memory */
    uint32_t len;       /* bytes appended so far */
};

static struct tb tb_begin(uint64_t phys, const char *sig, uint8_t rev)
{
    struct tb t = { .p = fake_ptr(phys, ACPI_HDR_LEN), .len = ACPI_HDR_LEN };

    memset(t.p, 0, ACPI_HDR_LEN);
    memcpy(t.p, sig, 4);
    t.p[8] = rev;
    memcpy(t.p + 10, "KEELOE", 6);
    memcpy(t.p + 16, "KEELTBL1", 8);
    return t;
}

static void tb_bytes(struct tb *t, const void *b, size_t n)
{
    memcpy(t->p + t->len, b, n);
    t->len += (uint32_t)n;
}

static void tb_u8(struct tb *t, uint8_t v) { tb_bytes(t, &v, 1); }
static void tb_u16(struct tb *t, uint16_t v) { put16(t->p + t->len, v); t->len += 2; }
static void tb_u32(struct tb *t, uint32_t v) { put32(t->p + t->len, v); t->len += 4; }
static void tb_u64(struct tb *t, uint64_t v) { put64(t->p + t->len, v); t->len += 8; }

/* Write the length and the checksum. */
static void tb_end(struct tb *t)
{
    put32(t->p + 4, t->len);
    set_checksum(t->p, t->len, 9);
}

/* Recompute the checksum of the table at phys from its length field (after
 * a test has edited it). */
static void table_rechecksum(uint64_t phys)
{
    uint8_t *p = fake_ptr(phys, ACPI_HDR_LEN);
    uint32_t len = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                   (uint32_t)p[7] << 24;

    if (fake_ptr(phys, len))
        set_checksum(p, len, 9);
}

static void put_rsdp_at(uint8_t *p, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memset(p, 0, ACPI_RSDP_V2_LEN);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "KEELOE", 6);
    p[15] = rev;
    put32(p + 16, rsdt);
    if (rev >= 2) {
        put32(p + 20, ACPI_RSDP_V2_LEN);
        put64(p + 24, xsdt);
    }
    set_checksum(p, ACPI_RSDP_V1_LEN, 8);
    if (rev >= 2)
        set_checksum(p, ACPI_RSDP_V2_LEN, 32);
}

static void put_rsdp(uint64_t phys, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    put_rsdp_at(fake_ptr(phys, ACPI_RSDP_V2_LEN), rev, rsdt, xsdt);
}

static void put_root(uint64_t phys, bool xsdt, const uint64_t *entries, size_t n)
{
    struct tb t = tb_begin(phys, xsdt ? "XSDT" : "RSDT", 1);

    for (size_t i = 0; i < n; i++) {
        if (xsdt)
            tb_u64(&t, entries[i]);
        else
            tb_u32(&t, (uint32_t)entries[i]);
    }
    tb_end(&t);
}

/* MADT with the given entry bytes after the 44-byte fixed part. */
static void put_madt(const void *entries, size_t n)
{
    struct tb t = tb_begin(MADT_PHYS, "APIC", 5);

    tb_u32(&t, 0xfee00000);
    tb_u32(&t, 1);                          /* PCAT_COMPAT */
    tb_bytes(&t, entries, n);
    tb_end(&t);
}

static const uint8_t good_madt_entries[] = {
    0x00, 8, 0, 0, 1, 0, 0, 0,              /* CPU uid 0 id 0 enabled */
    0x00, 8, 1, 1, 1, 0, 0, 0,              /* CPU uid 1 id 1 enabled */
    0x00, 8, 2, 2, 0, 0, 0, 0,              /* CPU uid 2 id 2 disabled */
    0x09, 16, 0, 0, 0x00, 0x01, 0, 0,       /* x2APIC id 0x100 */
          1, 0, 0, 0, 3, 0, 0, 0,           /*   enabled, uid 3 */
    0x09, 16, 0, 0, 1, 0, 0, 0,             /* x2APIC id 1: duplicate */
          1, 0, 0, 0, 1, 0, 0, 0,
    0x01, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, /* IOAPIC 0 at 0xfec00000 */
          0, 0, 0, 0,                       /*   GSI base 0 */
    0x02, 10, 0, 0, 2, 0, 0, 0, 0, 0,       /* ISA IRQ 0 -> GSI 2 */
    0x02, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0,    /* ISA IRQ 9 -> GSI 9, level high */
    0x04, 6, 0xff, 0x05, 0x00, 1,           /* NMI all CPUs, LINT1 */
    0x7f, 6, 0xaa, 0xbb, 0xcc, 0xdd,        /* unknown type: skipped */
};

/* FADT of the given length (116 = revision 1, 276 = revision 6) with the
 * fields that are within it. */
static void put_fadt(uint8_t rev, uint32_t len, uint32_t flags)
{
    struct tb t = tb_begin(FADT_PHYS, "FACP", rev);
    uint8_t *p = t.p;

    memset(p + ACPI_HDR_LEN, 0, len - ACPI_HDR_LEN);
    t.len = len;
    put32(p + 36, FACS_PHYS);
    put32(p + 40, rev >= 2 ? 0x0dead000 : DSDT_PHYS);   /* X_DSDT wins */
    put16(p + 46, 9);
    put32(p + 48, 0xb2);
    p[52] = 0xf1;
    put32(p + 64, 0x604);
    put32(p + 76, 0x608);
    p[89] = 2;
    p[91] = 4;
    put16(p + 109, 0x2);
    put32(p + 112, flags);
    if (len >= 129) {
        put_gas(p + 116, ACPI_GAS_IO, 8, 1, 0xcf9);
        p[128] = 0x06;
    }
    if (len >= 148)
        put64(p + 140, DSDT_PHYS);
    if (len >= 184)
        put_gas(p + 172, ACPI_GAS_IO, 16, 2, 0x1604);
    tb_end(&t);
}

static void put_hpet(uint8_t space, uint64_t addr)
{
    struct tb t = tb_begin(HPET_PHYS, "HPET", 1);

    tb_u32(&t, 0x8086a201);
    put_gas(t.p + t.len, space, 64, 0, addr);
    t.len += 12;
    tb_u8(&t, 0);                           /* HPET number */
    tb_u16(&t, 0x80);                       /* minimum tick */
    tb_u8(&t, 0);                           /* page protection */
    tb_end(&t);
}

/* Some AML that is not _S5, including a decoy Name(_S5_, 5). */
static const uint8_t aml_filler[] = {
    0x10, 0x0d, 0x5c, '_', 'S', 'B', '_',   /* Scope(\_SB) { */
    0x08, 'X', 'Y', 'Z', '_', 0x0a, 0x2a,   /*   Name(XYZ_, 42) } */
    0x08, '_', 'S', '5', '_', 0x0a, 0x05,   /* Name(_S5_, 5): not a package */
};

/* Name(_S5, Package(4){Zero, Zero, Zero, Zero}), as QEMU writes it. */
static const uint8_t aml_s5_qemu[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

/* Name(\_S5, Package(2){0x07, 0x05}) with BytePrefix constants. */
static const uint8_t aml_s5_bytes[] = {
    0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x07, 0x0a, 0x05,
};

static void put_aml_table(uint64_t phys, const char *sig, const void *s5, size_t s5_len)
{
    struct tb t = tb_begin(phys, sig, 2);

    tb_bytes(&t, aml_filler, sizeof(aml_filler));
    if (s5)
        tb_bytes(&t, s5, s5_len);
    tb_end(&t);
}

static void put_mcfg(void)
{
    struct tb t = tb_begin(MCFG_PHYS, "MCFG", 1);

    tb_u64(&t, 0);
    tb_end(&t);
}

static const uint64_t good_xsdt_entries[] = {
    MADT_PHYS, FADT_PHYS, HPET_PHYS, SSDT1_PHYS, SSDT2_PHYS, MCFG_PHYS,
};
static const uint64_t good_rsdt_entries[] = { MADT_PHYS, FADT_PHYS };

#define FADT_GOOD_FLAGS (ACPI_FADT_RESET_REG_SUP | ACPI_FADT_TMR_VAL_EXT)

/* RSDP v2 -> XSDT (and an RSDT with only MADT+FADT as the fallback). */
static void build_good_set(void)
{
    put_rsdp(RSDP_PHYS, 2, RSDT_PHYS, XSDT_PHYS);
    put_root(XSDT_PHYS, true, good_xsdt_entries, ARRAY_SIZE(good_xsdt_entries));
    put_root(RSDT_PHYS, false, good_rsdt_entries, ARRAY_SIZE(good_rsdt_entries));
    put_madt(good_madt_entries, sizeof(good_madt_entries));
    put_fadt(6, 276, FADT_GOOD_FLAGS);
    put_hpet(ACPI_GAS_MEMORY, 0xfed00000);
    put_aml_table(DSDT_PHYS, "DSDT", aml_s5_qemu, sizeof(aml_s5_qemu));
    put_aml_table(SSDT1_PHYS, "SSDT", NULL, 0);
    put_aml_table(SSDT2_PHYS, "SSDT", NULL, 0);
    put_mcfg();
}

/* Run acpi_parse on the fake memory and drop the mappings afterwards. */
static int parse_fake(uint64_t rsdp_phys, const void *copy, size_t copy_len,
                      struct acpi_info *ai)
{
    int rc = acpi_parse(&fake_mem_ops, rsdp_phys, copy, copy_len, ai);

    fake_release();
    return rc;
}

#endif
