/* ACPI table discovery and parsing (pure code: all firmware memory is read
 * through a caller-supplied map() callback, so the same parsers run in the
 * hypervisor and in host unit tests).
 *
 * Finds the RSDP (Multiboot2 copy or BIOS-area scan), walks the XSDT/RSDT and
 * extracts what the hypervisor needs from the MADT, FADT, HPET table and the
 * DSDT's \_S5 object. Every table is checksummed and length-checked; a bad
 * table is reported with one log_err line and skipped.
 * Ref: ACPI 6.5 spec, chapter 5.2 (tables) and 20.2 (AML grammar). */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include <keel/types.h>

/* Access to physical memory. map() returns a pointer through which `len`
 * bytes at `phys` can be read, or NULL if that range is unreadable. Mappings
 * must stay valid until acpi_parse() returns (the direct map does). */
struct acpi_mem {
    const void *(*map)(void *ctx, uint64_t phys, size_t len);
    void *ctx;
};

/* Generic Address Structure (12 bytes packed in tables; decoded here). */
struct acpi_gas {
    uint8_t space_id;       /* ACPI_GAS_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;    /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
};

#define ACPI_GAS_MEMORY         0
#define ACPI_GAS_IO             1

#define ACPI_HDR_LEN            36u
#define ACPI_MAX_TABLE_LEN      ((uint32_t)MiB(16))
#define ACPI_RSDP_V1_LEN        20u
#define ACPI_RSDP_V2_LEN        36u

#define ACPI_MAX_CPUS           256
#define ACPI_MAX_IOAPICS        16
#define ACPI_MAX_ISOS           32
#define ACPI_MAX_NMIS           16

/* acpi_lapic_nmi.acpi_uid meaning "every processor" (the MADT says 0xff in a
 * type 4 entry and 0xffffffff in a type 0xA entry; both become this). */
#define ACPI_UID_ALL            0xffffffffu

/* FADT Flags bits used here. */
#define ACPI_FADT_TMR_VAL_EXT   (1u << 8)
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED    (1u << 20)
/* FADT IAPC_BOOT_ARCH bits. */
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042          (1u << 1)

/* MPS INTI flags in interrupt source overrides and NMI entries. */
#define ACPI_INTI_POLARITY_MASK 0x3u    /* 0 bus default, 1 high, 3 low */
#define ACPI_INTI_TRIGGER_MASK  0xcu    /* 0 bus default, 4 edge, 0xc level */

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;
    bool online_capable;    /* disabled now, may be brought up later */
    bool x2apic;            /* came from a type 9 (x2APIC) entry */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

struct acpi_iso {
    uint8_t bus_irq;
    uint32_t gsi;
    uint16_t flags;         /* ACPI_INTI_* */
};

struct acpi_lapic_nmi {
    uint32_t acpi_uid;      /* or ACPI_UID_ALL */
    uint16_t flags;         /* ACPI_INTI_* */
    uint8_t lint;           /* LINT0 or LINT1 */
};

struct acpi_info {
    uint64_t rsdp_phys;
    uint8_t rsdp_revision;
    char oem_id[7];
    uint64_t root_phys;     /* the XSDT or RSDT actually used */
    bool root_is_xsdt;

    /* MADT */
    bool has_madt;
    uint64_t lapic_phys;    /* type 5 override wins over the 32-bit field */
    bool pic_present;       /* PCAT_COMPAT: 8259 pair present */
    struct acpi_cpu cpu[ACPI_MAX_CPUS];
    unsigned nr_cpus;       /* entries kept (deduplicated by apic_id) */
    unsigned nr_cpus_dropped; /* entries beyond ACPI_MAX_CPUS */
    struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
    unsigned nr_ioapics;
    struct acpi_iso iso[ACPI_MAX_ISOS];
    unsigned nr_isos;
    struct acpi_lapic_nmi nmi[ACPI_MAX_NMIS];
    unsigned nr_nmis;

    /* FADT */
    bool has_fadt;
    uint8_t fadt_revision;
    uint32_t fadt_flags;
    uint16_t boot_arch;     /* IAPC_BOOT_ARCH; 0 when revision < 2 (then the
                               field is reserved: assume legacy devices) */
    uint16_t sci_irq;
    uint32_t smi_cmd;
    uint8_t acpi_enable_val;
    uint8_t rtc_century_index; /* CMOS index of the RTC century, 0: none */
    struct acpi_gas pm1a_cnt, pm1b_cnt;  /* address 0 = absent */
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    bool reset_supported;   /* RESET_REG_SUP and the register is present */
    bool hw_reduced;
    uint64_t dsdt_phys;
    uint64_t facs_phys;
    struct acpi_gas pm_tmr; /* address 0 = no PM timer */
    bool pm_tmr_32bit;      /* TMR_VAL_EXT, else 24 bits */

    /* \_S5 from the DSDT (or an SSDT): raw values of the package's first two
     * elements; the SLP_TYPx field takes the low 3 bits. */
    bool has_s5;
    uint8_t s5_slp_typ_a, s5_slp_typ_b;

    /* HPET */
    bool has_hpet;
    uint64_t hpet_phys;
    uint32_t hpet_block_id; /* event timer block id */
    uint8_t hpet_number;
    uint16_t hpet_min_tick;

    unsigned nr_bad_tables; /* tables rejected (checksum, length, unreadable) */
};
/* The machine's tables as parsed at boot (arch/x86_64/acpi/acpi_init.c). */
extern struct acpi_info acpi_info;

/* True if the `len` bytes at p sum to zero (mod 256). */
bool acpi_checksum_ok(const void *p, size_t len);

/* Check an RSDP held in `avail` readable bytes (signature, checksum, and for
 * revision >= 2 the length and extended checksum). 0 or -EINVAL, with the
 * reason logged. */
int acpi_rsdp_validate(const void *rsdp, size_t avail);

/* Legacy BIOS search: the first KiB of the EBDA (segment word at 0x40E),
 * then 0xE0000-0xFFFFF, on 16-byte boundaries. 0 or -ENOENT. */
int acpi_find_rsdp(const struct acpi_mem *m, uint64_t *rsdp_phys);

/* Parse everything. rsdp_copy (e.g. from the Multiboot2 ACPI tag) is used
 * when non-NULL, else the RSDP is read at rsdp_phys. Fills what it can and
 * returns 0 if an RSDP and a root table were usable, else -ENOENT. */
int acpi_parse(const struct acpi_mem *m, uint64_t rsdp_phys,
               const void *rsdp_copy, size_t rsdp_copy_len,
               struct acpi_info *out);

/* The instance'th (0-based) valid table with signature sig in the root table
 * acpi_parse() used; its length in *len. NULL if none. */
const void *acpi_find_table(const struct acpi_mem *m,
                            const struct acpi_info *ai, const char *sig,
                            unsigned instance, uint32_t *len);

/* A few log_info lines describing what was found. */
void acpi_log_summary(const struct acpi_info *ai);

/* ---- Shared by the files in arch/x86_64/acpi/ only ---- */

/* Little-endian reads of possibly unaligned table fields. */
static inline uint16_t acpi_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t acpi_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t acpi_get64(const uint8_t *p)
{
    return (uint64_t)acpi_get32(p) | (uint64_t)acpi_get32(p + 4) << 32;
}

static inline struct acpi_gas acpi_get_gas(const uint8_t *p)
{
    return (struct acpi_gas){
        .space_id = p[0], .bit_width = p[1], .bit_offset = p[2],
        .access_size = p[3], .address = acpi_get64(p + 4),
    };
}

/* Fields of a validated RSDP. */
struct acpi_rsdp_fields {
    uint8_t revision;
    char oem_id[7];
    uint32_t rsdt_phys;
    uint64_t xsdt_phys;     /* 0 when revision < 2 */
};

/* Read and validate the RSDP from copy (if non-NULL) or at phys. */
int acpi_rsdp_read(const struct acpi_mem *m, uint64_t phys, const void *copy,
                   size_t copy_len, struct acpi_rsdp_fields *out);

/* Map and validate the table at phys: readable header, signature (if sig is
 * non-NULL), ACPI_HDR_LEN <= length <= ACPI_MAX_TABLE_LEN, readable body,
 * checksum. On failure logs "acpi: SIG at 0x..: reason, ignored" and returns
 * a negative errno. */
int acpi_table_map(const struct acpi_mem *m, uint64_t phys, const char *sig,
                   const uint8_t **table, uint32_t *len);

/* Table parsers; the caller has validated the table and its minimum length
 * (ACPI_MADT_MIN_LEN etc.). */
#define ACPI_MADT_MIN_LEN       44u
#define ACPI_FADT_MIN_LEN       44u     /* through the DSDT pointer */
#define ACPI_HPET_MIN_LEN       56u
void acpi_madt_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai);
void acpi_fadt_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai);
void acpi_hpet_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai);

/* Look for Name(_S5, Package(){a, b, ...}) in an AML byte stream. 0 and the
 * two values, or -ENOENT. */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a,
                     uint8_t *typ_b);

#endif
