/* ACPI Root System Description Pointer: validation, reading, BIOS search.
 * Layout (ACPI 6.5, 5.2.5.3): "RSD PTR " 0, checksum 8 (over bytes 0-19),
 * OEMID 9, revision 15, RsdtAddress 16; revision >= 2 adds Length 20,
 * XsdtAddress 24, extended checksum 32 (over Length bytes). */
#include <keel/acpi.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define RSDP_SIG            "RSD PTR "
#define RSDP_OFF_OEMID      9
#define RSDP_OFF_REVISION   15
#define RSDP_OFF_RSDT       16
#define RSDP_OFF_LENGTH     20
#define RSDP_OFF_XSDT       24
#define RSDP_MAX_LEN        1024u   /* sanity bound; real ones are 36 */

#define BDA_EBDA_SEGMENT    0x40e
#define EBDA_SCAN_LEN       1024u
#define LOW_MEM_END         0xa0000
#define BIOS_ROM_START      0xe0000
#define BIOS_ROM_END        0x100000

/* Why the RSDP held in `avail` bytes at p is unusable, or NULL. */
static const char *rsdp_problem(const uint8_t *p, size_t avail)
{
    uint32_t len;

    if (avail < ACPI_RSDP_V1_LEN)
        return "truncated";
    if (memcmp(p, RSDP_SIG, 8) != 0)
        return "bad signature";
    if (!acpi_checksum_ok(p, ACPI_RSDP_V1_LEN))
        return "bad checksum";
    if (p[RSDP_OFF_REVISION] < 2)
        return NULL;
    if (avail < ACPI_RSDP_V2_LEN)
        return "truncated";
    len = acpi_get32(p + RSDP_OFF_LENGTH);
    if (len < ACPI_RSDP_V2_LEN || len > RSDP_MAX_LEN)
        return "bad length";
    if (len > avail)
        return "truncated";
    if (!acpi_checksum_ok(p, len))
        return "bad extended checksum";
    return NULL;
}

/* phys is only for the log line; have_phys false means "the boot loader's
 * copy". Returns 0 or -EINVAL. */
static int rsdp_check(const uint8_t *p, size_t avail, uint64_t phys,
                      bool have_phys)
{
    const char *why = rsdp_problem(p, avail);

    if (!why)
        return 0;
    if (have_phys)
        log_err("acpi: RSDP at 0x%llx: %s, ignored\n", (unsigned long long)phys, why);
    else
        log_err("acpi: RSDP (boot loader copy): %s, ignored\n", why);
    return -EINVAL;
}

int acpi_rsdp_validate(const void *rsdp, size_t avail)
{
    if (!rsdp)
        return -EINVAL;
    return rsdp_check(rsdp, avail, 0, false);
}

/* Map the RSDP at phys in steps (v1 part, v2 part, declared length) so that
 * nothing beyond the structure is ever requested. */
static const uint8_t *rsdp_map(const struct acpi_mem *m, uint64_t phys,
                               size_t *avail)
{
    const uint8_t *p = m->map(m->ctx, phys, ACPI_RSDP_V1_LEN);
    uint32_t len;

    *avail = ACPI_RSDP_V1_LEN;
    if (!p || p[RSDP_OFF_REVISION] < 2)
        return p;
    p = m->map(m->ctx, phys, ACPI_RSDP_V2_LEN);
    if (!p)
        return NULL;
    *avail = ACPI_RSDP_V2_LEN;
    len = acpi_get32(p + RSDP_OFF_LENGTH);
    if (len <= ACPI_RSDP_V2_LEN || len > RSDP_MAX_LEN)
        return p;   /* rsdp_check reports a bad length */
    p = m->map(m->ctx, phys, len);
    *avail = len;
    return p;
}

int acpi_rsdp_read(const struct acpi_mem *m, uint64_t phys, const void *copy,
                   size_t copy_len, struct acpi_rsdp_fields *out)
{
    const uint8_t *p = copy;
    size_t avail = copy_len;
    int rc = -EINVAL;

    if (!p && !phys)
        log_err("acpi: no RSDP given\n");
    if (p)
        rc = rsdp_check(p, avail, 0, false);
    if (rc && phys) {
        p = rsdp_map(m, phys, &avail);
        if (!p)
            log_err("acpi: RSDP at 0x%llx: unreadable, ignored\n", (unsigned long long)phys);
        else
            rc = rsdp_check(p, avail, phys, true);
    }
    if (rc)
        return -ENOENT;

    memset(out, 0, sizeof(*out));
    out->revision = p[RSDP_OFF_REVISION];
    for (int i = 0; i < 6; i++) {   /* it gets printed: keep it printable */
        uint8_t c = p[RSDP_OFF_OEMID + i];

        if (!c)
            break;
        out->oem_id[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out->rsdt_phys = acpi_get32(p + RSDP_OFF_RSDT);
    if (out->revision >= 2)
        out->xsdt_phys = acpi_get64(p + RSDP_OFF_XSDT);
    return 0;
}

/* Scan [start, start+len) on 16-byte boundaries. Silent about areas that
 * cannot be mapped (there may be no BIOS at all). */
static int rsdp_scan(const struct acpi_mem *m, uint64_t start, size_t len,
                     uint64_t *found)
{
    const uint8_t *area = m->map(m->ctx, start, len);

    if (!area)
        return -ENOENT;
    for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16) {
        if (memcmp(area + off, RSDP_SIG, 8) != 0)
            continue;
        if (rsdp_check(area + off, len - off, start + off, true) == 0) {
            *found = start + off;
            return 0;
        }
    }
    return -ENOENT;
}

int acpi_find_rsdp(const struct acpi_mem *m, uint64_t *rsdp_phys)
{
    const uint8_t *seg = m->map(m->ctx, BDA_EBDA_SEGMENT, 2);
    uint64_t ebda = seg ? (uint64_t)acpi_get16(seg) << 4 : 0;

    /* The EBDA lives just below the 640 KiB line; ignore nonsense. */
    if (ebda >= 0x400 && ebda < LOW_MEM_END &&
        rsdp_scan(m, ebda, MIN(EBDA_SCAN_LEN, LOW_MEM_END - ebda), rsdp_phys) == 0)
        return 0;
    if (rsdp_scan(m, BIOS_ROM_START, BIOS_ROM_END - BIOS_ROM_START, rsdp_phys) == 0)
        return 0;
    log_warn("acpi: no RSDP in the BIOS areas\n");
    return -ENOENT;
}
