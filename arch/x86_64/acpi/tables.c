/* ACPI description tables: checksum, validated mapping, the XSDT/RSDT walk,
 * lookup by signature, and the acpi_parse() driver.
 * Header (ACPI 6.5, 5.2.6): signature 0, length 4, revision 8, checksum 9,
 * OEMID 10, ... 36 bytes. XSDT entries are u64, RSDT entries u32. */
#include <keel/acpi.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define HDR_OFF_LENGTH      4

/* A validated XSDT or RSDT. */
struct acpi_root {
    const uint8_t *table;
    uint32_t len;
    unsigned entry_size;    /* 8 for the XSDT, 4 for the RSDT */
};

bool acpi_checksum_ok(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum == 0;
}

/* Printable name for log lines: "MADT" and "FADT" rather than their
 * signatures; anything unprintable in a signature becomes '?'. */
static void sig_name(const uint8_t *sig, char name[5])
{
    if (memcmp(sig, "APIC", 4) == 0) {
        memcpy(name, "MADT", 5);
        return;
    }
    if (memcmp(sig, "FACP", 4) == 0) {
        memcpy(name, "FADT", 5);
        return;
    }
    for (int i = 0; i < 4; i++)
        name[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? (char)sig[i] : '?';
    name[4] = '\0';
}

static void table_reject(const char *name, uint64_t phys, const char *why)
{
    log_err("acpi: %s at 0x%llx: %s, ignored\n", name, (unsigned long long)phys, why);
}

int acpi_table_map(const struct acpi_mem *m, uint64_t phys, const char *sig,
                   const uint8_t **table, uint32_t *len)
{
    const uint8_t *hdr = phys ? m->map(m->ctx, phys, ACPI_HDR_LEN) : NULL;
    const uint8_t *t;
    char name[5] = "table";
    uint32_t n;

    if (sig)
        sig_name((const uint8_t *)sig, name);
    if (!hdr) {
        table_reject(name, phys, "unreadable");
        return -EFAULT;
    }
    if (sig && memcmp(hdr, sig, 4) != 0) {
        table_reject(name, phys, "bad signature");
        return -EINVAL;
    }
    sig_name(hdr, name);
    n = acpi_get32(hdr + HDR_OFF_LENGTH);
    if (n < ACPI_HDR_LEN || n > ACPI_MAX_TABLE_LEN) {
        table_reject(name, phys, "bad length");
        return -EINVAL;
    }
    t = m->map(m->ctx, phys, n);
    if (!t) {
        table_reject(name, phys, "unreadable");
        return -EFAULT;
    }
    if (!acpi_checksum_ok(t, n)) {
        table_reject(name, phys, "bad checksum");
        return -EINVAL;
    }
    *table = t;
    *len = n;
    return 0;
}

static int root_map(const struct acpi_mem *m, uint64_t phys, bool xsdt,
                    struct acpi_root *root)
{
    if (acpi_table_map(m, phys, xsdt ? "XSDT" : "RSDT", &root->table, &root->len))
        return -EINVAL;
    root->entry_size = xsdt ? 8 : 4;
    return 0;
}

static unsigned root_count(const struct acpi_root *root)
{
    return (root->len - ACPI_HDR_LEN) / root->entry_size;
}

static uint64_t root_entry(const struct acpi_root *root, unsigned i)
{
    const uint8_t *p = root->table + ACPI_HDR_LEN + (size_t)i * root->entry_size;

    return root->entry_size == 8 ? acpi_get64(p) : acpi_get32(p);
}

/* Prefer the XSDT (64-bit entries) and fall back to the RSDT. */
static int root_open(const struct acpi_mem *m, const struct acpi_rsdp_fields *rsdp,
                     struct acpi_info *ai, struct acpi_root *root)
{
    if (rsdp->revision >= 2 && rsdp->xsdt_phys) {
        if (root_map(m, rsdp->xsdt_phys, true, root) == 0) {
            ai->root_phys = rsdp->xsdt_phys;
            ai->root_is_xsdt = true;
            return 0;
        }
        ai->nr_bad_tables++;
    }
    if (rsdp->rsdt_phys) {
        if (root_map(m, rsdp->rsdt_phys, false, root) == 0) {
            ai->root_phys = rsdp->rsdt_phys;
            return 0;
        }
        ai->nr_bad_tables++;
    }
    log_err("acpi: no usable XSDT or RSDT\n");
    return -ENOENT;
}

/* Next valid table with signature sig from entry *idx on; *idx moves past it.
 * Invalid matches are logged and counted in *nr_bad (if non-NULL). */
static int root_next(const struct acpi_mem *m, const struct acpi_root *root,
                     const char *sig, unsigned *idx, const uint8_t **t,
                     uint32_t *len, unsigned *nr_bad)
{
    while (*idx < root_count(root)) {
        uint64_t phys = root_entry(root, (*idx)++);
        const uint8_t *hdr = phys ? m->map(m->ctx, phys, ACPI_HDR_LEN) : NULL;

        if (!hdr || memcmp(hdr, sig, 4) != 0)
            continue;
        if (acpi_table_map(m, phys, sig, t, len) == 0)
            return 0;
        if (nr_bad)
            (*nr_bad)++;
    }
    return -ENOENT;
}

const void *acpi_find_table(const struct acpi_mem *m,
                            const struct acpi_info *ai, const char *sig,
                            unsigned instance, uint32_t *len)
{
    struct acpi_root root;
    const uint8_t *t = NULL;
    unsigned idx = 0;

    if (memcmp(sig, "DSDT", 4) == 0) {  /* not in the root table */
        if (instance || !ai->dsdt_phys ||
            acpi_table_map(m, ai->dsdt_phys, "DSDT", &t, len))
            return NULL;
        return t;
    }
    if (!ai->root_phys || root_map(m, ai->root_phys, ai->root_is_xsdt, &root))
        return NULL;
    for (unsigned i = 0; i <= instance; i++)
        if (root_next(m, &root, sig, &idx, &t, len, NULL))
            return NULL;
    return t;
}

/* The tables acpi_parse() reads from the root table. `seen` is the offset of
 * the acpi_info flag its parser sets, so a duplicate table is skipped. */
static const struct table_handler {
    const char *sig;
    uint32_t min_len;
    size_t seen;
    void (*parse)(const uint8_t *t, uint32_t len, struct acpi_info *ai);
} table_handlers[] = {
    { "APIC", ACPI_MADT_MIN_LEN, offsetof(struct acpi_info, has_madt), acpi_madt_parse },
    { "FACP", ACPI_FADT_MIN_LEN, offsetof(struct acpi_info, has_fadt), acpi_fadt_parse },
    { "HPET", ACPI_HPET_MIN_LEN, offsetof(struct acpi_info, has_hpet), acpi_hpet_parse },
};

static void parse_root_entry(const struct acpi_mem *m, uint64_t phys,
                             struct acpi_info *ai)
{
    const uint8_t *hdr = phys ? m->map(m->ctx, phys, ACPI_HDR_LEN) : NULL;
    const struct table_handler *th = NULL;
    const uint8_t *t;
    uint32_t len;
    char name[5];

    if (!hdr) {
        table_reject("table", phys, "unreadable");
        ai->nr_bad_tables++;
        return;
    }
    sig_name(hdr, name);
    for (size_t i = 0; i < ARRAY_SIZE(table_handlers) && !th; i++)
        if (memcmp(hdr, table_handlers[i].sig, 4) == 0)
            th = &table_handlers[i];
    if (!th) {
        log_debug("acpi: %s at 0x%llx: not used\n", name, (unsigned long long)phys);
        return;
    }
    if (*(const bool *)((const char *)ai + th->seen)) {
        log_warn("acpi: %s at 0x%llx: duplicate, ignored\n", name, (unsigned long long)phys);
        return;
    }
    if (acpi_table_map(m, phys, th->sig, &t, &len)) {
        ai->nr_bad_tables++;
        return;
    }
    if (len < th->min_len) {
        table_reject(name, phys, "too short");
        ai->nr_bad_tables++;
        return;
    }
    th->parse(t, len, ai);
}

static bool s5_from_table(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    ai->has_s5 = acpi_aml_find_s5(t + ACPI_HDR_LEN, len - ACPI_HDR_LEN,
                                  &ai->s5_slp_typ_a, &ai->s5_slp_typ_b) == 0;
    return ai->has_s5;
}

/* \_S5 normally sits in the DSDT; some firmware puts it in an SSDT. */
static void find_s5(const struct acpi_mem *m, const struct acpi_root *root,
                    struct acpi_info *ai)
{
    const uint8_t *t;
    uint32_t len;
    unsigned idx = 0;

    if (!ai->dsdt_phys)
        log_warn("acpi: FADT names no DSDT\n");
    else if (acpi_table_map(m, ai->dsdt_phys, "DSDT", &t, &len))
        ai->nr_bad_tables++;
    else if (s5_from_table(t, len, ai))
        return;
    while (root_next(m, root, "SSDT", &idx, &t, &len, &ai->nr_bad_tables) == 0)
        if (s5_from_table(t, len, ai))
            return;
    log_warn("acpi: no \\_S5 object found, ACPI power-off unavailable\n");
}

int acpi_parse(const struct acpi_mem *m, uint64_t rsdp_phys,
               const void *rsdp_copy, size_t rsdp_copy_len,
               struct acpi_info *out)
{
    struct acpi_rsdp_fields rsdp;
    struct acpi_root root;

    memset(out, 0, sizeof(*out));
    out->rsdp_phys = rsdp_phys;
    if (acpi_rsdp_read(m, rsdp_phys, rsdp_copy, rsdp_copy_len, &rsdp))
        return -ENOENT;
    out->rsdp_revision = rsdp.revision;
    memcpy(out->oem_id, rsdp.oem_id, sizeof(out->oem_id));
    if (root_open(m, &rsdp, out, &root))
        return -ENOENT;

    for (unsigned i = 0; i < root_count(&root); i++) {
        uint64_t phys = root_entry(&root, i);

        if (phys)
            parse_root_entry(m, phys, out);
        else
            log_warn("acpi: root table entry %u is null, skipped\n", i);
    }
    if (out->has_fadt)
        find_s5(m, &root, out);
    return 0;
}

static const char *gas_space(const struct acpi_gas *g)
{
    switch (g->space_id) {
    case ACPI_GAS_MEMORY: return "mem";
    case ACPI_GAS_IO:     return "io";
    default:              return "other";
    }
}

void acpi_log_summary(const struct acpi_info *ai)
{
    unsigned enabled = 0;

    for (unsigned i = 0; i < ai->nr_cpus; i++)
        enabled += ai->cpu[i].enabled;
    log_info("acpi: RSDP rev %u, OEM '%s', %s at 0x%llx\n", ai->rsdp_revision,
             ai->oem_id, ai->root_is_xsdt ? "XSDT" : "RSDT",
             (unsigned long long)ai->root_phys);
    if (ai->has_madt)
        log_info("acpi: %u CPUs (%u enabled), %u IOAPICs, %u overrides, %u NMIs, "
                 "LAPIC 0x%llx%s\n", ai->nr_cpus + ai->nr_cpus_dropped, enabled,
                 ai->nr_ioapics, ai->nr_isos, ai->nr_nmis,
                 (unsigned long long)ai->lapic_phys, ai->pic_present ? ", 8259 PIC" : "");
    else
        log_info("acpi: no MADT\n");
    if (ai->has_fadt)
        log_info("acpi: FADT rev %u, SCI %u, PM1a_CNT %s 0x%llx, PM timer %s 0x%llx (%u-bit)%s\n",
                 ai->fadt_revision, ai->sci_irq, gas_space(&ai->pm1a_cnt),
                 (unsigned long long)ai->pm1a_cnt.address, gas_space(&ai->pm_tmr),
                 (unsigned long long)ai->pm_tmr.address, ai->pm_tmr_32bit ? 32 : 24,
                 ai->hw_reduced ? ", hardware-reduced" : "");
    if (ai->reset_supported)
        log_info("acpi: reset register %s 0x%llx value 0x%x\n", gas_space(&ai->reset_reg),
                 (unsigned long long)ai->reset_reg.address, ai->reset_value);
    if (ai->has_hpet)
        log_info("acpi: HPET %u at 0x%llx, min tick %u\n", ai->hpet_number,
                 (unsigned long long)ai->hpet_phys, ai->hpet_min_tick);
    if (ai->has_s5)
        log_info("acpi: \\_S5 SLP_TYPa %u SLP_TYPb %u\n", ai->s5_slp_typ_a, ai->s5_slp_typ_b);
    if (ai->nr_bad_tables)
        log_info("acpi: %u bad tables ignored\n", ai->nr_bad_tables);
}
