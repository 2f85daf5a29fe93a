/* ACPI tables for a PVH domain (keel/pvh_acpi.h): RSDP, XSDT, FADT, DSDT,
 * MADT, laid out one after the other in one buffer the builder copies into
 * guest memory. Pure code: no hypervisor calls. */
#include <keel/pvh_acpi.h>
#include <keel/string.h>

#define HDR_LEN         36
#define RSDP_LEN        36
#define FADT_LEN        268             /* revision 5 (ACPI 5.0 layout) */
#define FADT_REVISION   5
#define MADT_LAPIC_LEN  8

/* FADT fields (ACPI 6.5 Table 5.9). */
#define FADT_DSDT       40
#define FADT_BOOT_ARCH  109
#define FADT_FLAGS      112
#define FADT_MINOR      131
#define FADT_X_DSDT     140
#define BOOT_ARCH_NO_VGA        (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC   (1u << 5)
#define FADT_F_WBINVD           (1u << 0)
#define FADT_F_PWR_BUTTON       (1u << 4)   /* set: no fixed power button */
#define FADT_F_SLP_BUTTON       (1u << 5)   /* set: no fixed sleep button */
#define FADT_F_HW_REDUCED       (1u << 20)

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* The common 36-byte header; the checksum is filled in by finish(). */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "KEEL  ", 6);        /* OEM id */
    memcpy(t + 16, "KEELPVH ", 8);      /* OEM table id */
    put32(t + 24, 1);                   /* OEM revision */
    memcpy(t + 28, "KEEL", 4);          /* creator id */
    put32(t + 32, 1);                   /* creator revision */
}

static void finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
}

size_t pvh_acpi_build(void *buf, size_t len, uint64_t gpa, unsigned nr_vcpus)
{
    uint8_t *b = buf;
    const size_t rsdp = 0, xsdt = 48, xsdt_len = HDR_LEN + 2 * 8;
    const size_t fadt = 112, dsdt = fadt + FADT_LEN + 4, madt = dsdt + HDR_LEN + 4;
    const size_t madt_len = HDR_LEN + 8 + (size_t)nr_vcpus * MADT_LAPIC_LEN;
    if (!nr_vcpus || nr_vcpus > PVH_ACPI_MAX_VCPUS || madt + madt_len > len)
        return 0;
    memset(b, 0, len);

    /* RSDP revision 2: no RSDT, the XSDT only. */
    memcpy(b + rsdp, "RSD PTR ", 8);
    memcpy(b + rsdp + 9, "KEEL  ", 6);
    b[rsdp + 15] = 2;
    put32(b + rsdp + 20, RSDP_LEN);
    put64(b + rsdp + 24, gpa + xsdt);
    b[rsdp + 8] = checksum(b + rsdp, 20);
    b[rsdp + 32] = checksum(b + rsdp, RSDP_LEN);

    header(b + xsdt, "XSDT", (uint32_t)xsdt_len, 1);
    put64(b + xsdt + HDR_LEN, gpa + fadt);
    put64(b + xsdt + HDR_LEN + 8, gpa + madt);
    finish(b + xsdt, (uint32_t)xsdt_len);

    /* FADT: hardware-reduced (no PM blocks, FACS or SCI to emulate), no
     * VGA, no CMOS RTC, no 8042 (bit 1 clear). */
    uint8_t *f = b + fadt;
    header(f, "FACP", FADT_LEN, FADT_REVISION);
    put32(f + FADT_DSDT, (uint32_t)(gpa + dsdt));
    put16(f + FADT_BOOT_ARCH, BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC);
    put32(f + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_HW_REDUCED);
    f[FADT_MINOR] = 0;
    put64(f + FADT_X_DSDT, gpa + dsdt);
    finish(f, FADT_LEN);

    /* DSDT: an empty definition block (no processor objects, no \_S5). */
    header(b + dsdt, "DSDT", HDR_LEN, 2);
    finish(b + dsdt, HDR_LEN);

    /* MADT: local APIC address, flags 0 (no PCAT_COMPAT), one enabled
     * type-0 entry per vCPU. */
    uint8_t *m = b + madt;
    header(m, "APIC", (uint32_t)madt_len, 4);
    put32(m + HDR_LEN, PVH_LAPIC_ADDR);
    put32(m + HDR_LEN + 4, 0);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        uint8_t *e = m + HDR_LEN + 8 + i * MADT_LAPIC_LEN;
        e[0] = 0;                       /* processor local APIC */
        e[1] = MADT_LAPIC_LEN;
        e[2] = (uint8_t)i;              /* ACPI processor id = vCPU id */
        e[3] = (uint8_t)pvh_lapic_id(i);
        put32(e + 4, 1);                /* enabled */
    }
    finish(m, (uint32_t)madt_len);
    return madt + madt_len;
}
