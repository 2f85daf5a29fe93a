/* MADT ("APIC", ACPI 6.5, 5.2.12): local APIC address and flags at 36/40,
 * then variable-length entries {u8 type, u8 length, ...}. Each entry type we
 * use has a minimum length and a decoder; unknown types are skipped. */
#include <keel/acpi.h>
#include <keel/log.h>

#define MADT_OFF_LAPIC_ADDR     36
#define MADT_OFF_FLAGS          40
#define MADT_PCAT_COMPAT        (1u << 0)

#define LAPIC_ENABLED           (1u << 0)
#define LAPIC_ONLINE_CAPABLE    (1u << 1)

#define XAPIC_ID_INVALID        0xffu       /* broadcast, never a CPU */
#define X2APIC_ID_INVALID       0xffffffffu
#define LAPIC_NMI_UID_ALL       0xffu

static void add_cpu(struct acpi_info *ai, uint32_t apic_id, uint32_t uid,
                    uint32_t flags, bool x2apic)
{
    for (unsigned i = 0; i < ai->nr_cpus; i++) {
        if (ai->cpu[i].apic_id == apic_id) {
            log_debug("acpi: MADT: APIC id %u listed twice, kept the first\n", apic_id);
            return;
        }
    }
    if (ai->nr_cpus >= ACPI_MAX_CPUS) {
        if (ai->nr_cpus_dropped++ == 0)
            log_warn("acpi: MADT: more than %u CPUs, ignoring the rest\n", ACPI_MAX_CPUS);
        return;
    }
    ai->cpu[ai->nr_cpus++] = (struct acpi_cpu){
        .apic_id = apic_id, .acpi_uid = uid,
        .enabled = flags & LAPIC_ENABLED,
        .online_capable = flags & LAPIC_ONLINE_CAPABLE,
        .x2apic = x2apic,
    };
}

/* Type 0: uid 2, APIC id 3, flags 4. */
static void madt_lapic(const uint8_t *e, struct acpi_info *ai)
{
    if (e[3] == XAPIC_ID_INVALID) {
        log_warn("acpi: MADT: local APIC entry with id 0xff, skipped\n");
        return;
    }
    add_cpu(ai, e[3], e[2], acpi_get32(e + 4), false);
}

/* Type 9: x2APIC id 4, flags 8, uid 12. */
static void madt_x2apic(const uint8_t *e, struct acpi_info *ai)
{
    uint32_t id = acpi_get32(e + 4);

    if (id == X2APIC_ID_INVALID) {
        log_warn("acpi: MADT: x2APIC entry with id 0xffffffff, skipped\n");
        return;
    }
    add_cpu(ai, id, acpi_get32(e + 12), acpi_get32(e + 8), true);
}

/* Type 1: id 2, address 4, GSI base 8. */
static void madt_ioapic(const uint8_t *e, struct acpi_info *ai)
{
    if (ai->nr_ioapics >= ACPI_MAX_IOAPICS) {
        log_warn("acpi: MADT: more than %u IOAPICs, ignored id %u\n", ACPI_MAX_IOAPICS, e[2]);
        return;
    }
    ai->ioapic[ai->nr_ioapics++] = (struct acpi_ioapic){
        .id = e[2], .addr = acpi_get32(e + 4), .gsi_base = acpi_get32(e + 8),
    };
}

/* Type 2: bus 2 (0 = ISA), source IRQ 3, GSI 4, flags 8. */
static void madt_iso(const uint8_t *e, struct acpi_info *ai)
{
    if (ai->nr_isos >= ACPI_MAX_ISOS) {
        log_warn("acpi: MADT: more than %u overrides, ignored IRQ %u\n", ACPI_MAX_ISOS, e[3]);
        return;
    }
    ai->iso[ai->nr_isos++] = (struct acpi_iso){
        .bus_irq = e[3], .gsi = acpi_get32(e + 4), .flags = acpi_get16(e + 8),
    };
}

static void add_nmi(struct acpi_info *ai, uint32_t uid, uint16_t flags, uint8_t lint)
{
    if (ai->nr_nmis >= ACPI_MAX_NMIS) {
        log_warn("acpi: MADT: more than %u local APIC NMIs, ignoring\n", ACPI_MAX_NMIS);
        return;
    }
    ai->nmi[ai->nr_nmis++] = (struct acpi_lapic_nmi){
        .acpi_uid = uid, .flags = flags, .lint = lint,
    };
}

/* Type 4: uid 2 (0xff = all), flags 3, LINT# 5. */
static void madt_lapic_nmi(const uint8_t *e, struct acpi_info *ai)
{
    add_nmi(ai, e[2] == LAPIC_NMI_UID_ALL ? ACPI_UID_ALL : e[2], acpi_get16(e + 3), e[5]);
}

/* Type 0xA: flags 2, uid 4 (0xffffffff = all), LINT# 8. */
static void madt_x2apic_nmi(const uint8_t *e, struct acpi_info *ai)
{
    add_nmi(ai, acpi_get32(e + 4), acpi_get16(e + 2), e[8]);
}

/* Type 5: 64-bit local APIC address at 4. */
static void madt_lapic_override(const uint8_t *e, struct acpi_info *ai)
{
    ai->lapic_phys = acpi_get64(e + 4);
}

static const struct madt_entry_type {
    uint8_t type;
    uint8_t min_len;
    const char *name;
    void (*decode)(const uint8_t *e, struct acpi_info *ai);
} madt_entry_types[] = {
    { 0x0,  8, "local APIC",                 madt_lapic },
    { 0x1, 12, "IOAPIC",                     madt_ioapic },
    { 0x2, 10, "interrupt source override",  madt_iso },
    { 0x4,  6, "local APIC NMI",             madt_lapic_nmi },
    { 0x5, 12, "local APIC address override", madt_lapic_override },
    { 0x9, 16, "local x2APIC",               madt_x2apic },
    { 0xa, 12, "local x2APIC NMI",           madt_x2apic_nmi },
};

static const struct madt_entry_type *entry_type(uint8_t type)
{
    for (size_t i = 0; i < ARRAY_SIZE(madt_entry_types); i++)
        if (madt_entry_types[i].type == type)
            return &madt_entry_types[i];
    return NULL;
}

void acpi_madt_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    uint32_t off = ACPI_MADT_MIN_LEN;

    ai->has_madt = true;
    ai->lapic_phys = acpi_get32(t + MADT_OFF_LAPIC_ADDR);
    ai->pic_present = acpi_get32(t + MADT_OFF_FLAGS) & MADT_PCAT_COMPAT;

    while (off < len) {
        const uint8_t *e = t + off;
        uint32_t elen = len - off >= 2 ? e[1] : 0;
        const struct madt_entry_type *et;

        if (elen < 2 || elen > len - off) {
            log_err("acpi: MADT: entry at offset %u has bad length %u "
                    "(table length %u), stopped\n", off, elen, len);
            return;
        }
        et = entry_type(e[0]);
        if (et && elen < et->min_len)
            log_err("acpi: MADT: %s entry at offset %u too short (%u < %u), skipped\n",
                    et->name, off, elen, et->min_len);
        else if (et)
            et->decode(e, ai);
        off += elen;
    }
}
