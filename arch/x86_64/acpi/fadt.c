/* FADT ("FACP", ACPI 6.5, 5.2.9). Old FADTs are short (revision 1: 116
 * bytes), so every field is read only if it lies within the table; a field
 * beyond the end reads as 0. Where ACPI 2.0 added a 64-bit X_ field, it wins
 * when present and nonzero. */
#include <keel/acpi.h>
#include <keel/log.h>

/* Byte offsets, ACPI 6.5 Table 5.9. */
enum {
    FADT_FIRMWARE_CTRL   = 36,
    FADT_DSDT            = 40,
    FADT_SCI_INT         = 46,
    FADT_SMI_CMD         = 48,
    FADT_ACPI_ENABLE     = 52,
    FADT_PM1A_CNT_BLK    = 64,
    FADT_PM1B_CNT_BLK    = 68,
    FADT_PM_TMR_BLK      = 76,
    FADT_PM1_CNT_LEN     = 89,
    FADT_PM_TMR_LEN      = 91,
    FADT_CENTURY         = 108,
    FADT_IAPC_BOOT_ARCH  = 109,
    FADT_FLAGS           = 112,
    FADT_RESET_REG       = 116,
    FADT_RESET_VALUE     = 128,
    FADT_X_FIRMWARE_CTRL = 132,
    FADT_X_DSDT          = 140,
    FADT_X_PM1A_CNT_BLK  = 172,
    FADT_X_PM1B_CNT_BLK  = 184,
    FADT_X_PM_TMR_BLK    = 208,
};

#define GAS_LEN         12u
#define HDR_OFF_REVISION 8

struct fadt {
    const uint8_t *t;
    uint32_t len;
};

static bool has(const struct fadt *f, uint32_t off, uint32_t size)
{
    return off + size <= f->len;
}

static uint8_t get8(const struct fadt *f, uint32_t off)
{
    return has(f, off, 1) ? f->t[off] : 0;
}

static uint16_t get16(const struct fadt *f, uint32_t off)
{
    return has(f, off, 2) ? acpi_get16(f->t + off) : 0;
}

static uint32_t get32(const struct fadt *f, uint32_t off)
{
    return has(f, off, 4) ? acpi_get32(f->t + off) : 0;
}

static uint64_t get64(const struct fadt *f, uint32_t off)
{
    return has(f, off, 8) ? acpi_get64(f->t + off) : 0;
}

static struct acpi_gas get_gas(const struct fadt *f, uint32_t off)
{
    return has(f, off, GAS_LEN) ? acpi_get_gas(f->t + off) : (struct acpi_gas){ 0 };
}

/* A register block: the X_ GAS if usable, else the ACPI 1.0 I/O port with
 * its byte length (the length field is shared by the a and b blocks). */
static struct acpi_gas fadt_block(const struct fadt *f, uint32_t x_off,
                                  uint32_t port_off, uint32_t len_off)
{
    struct acpi_gas g = get_gas(f, x_off);
    uint32_t port = get32(f, port_off);
    uint8_t bytes = get8(f, len_off);

    if (g.address)
        return g;
    if (!port)
        return (struct acpi_gas){ 0 };
    return (struct acpi_gas){
        .space_id = ACPI_GAS_IO,
        .bit_width = bytes <= 8 ? (uint8_t)(bytes * 8) : 0,
        .access_size = bytes == 1 ? 1 : bytes == 2 ? 2 : bytes == 4 ? 3 : 0,
        .address = port,
    };
}

void acpi_fadt_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    const struct fadt f = { .t = t, .len = len };
    uint64_t x_dsdt = get64(&f, FADT_X_DSDT);
    uint64_t x_facs = get64(&f, FADT_X_FIRMWARE_CTRL);

    ai->has_fadt = true;
    ai->fadt_revision = t[HDR_OFF_REVISION];
    ai->fadt_flags = get32(&f, FADT_FLAGS);
    ai->dsdt_phys = x_dsdt ? x_dsdt : get32(&f, FADT_DSDT);
    ai->facs_phys = x_facs ? x_facs : get32(&f, FADT_FIRMWARE_CTRL);
    ai->sci_irq = get16(&f, FADT_SCI_INT);
    ai->smi_cmd = get32(&f, FADT_SMI_CMD);
    ai->acpi_enable_val = get8(&f, FADT_ACPI_ENABLE);
    ai->rtc_century_index = get8(&f, FADT_CENTURY);
    /* Reserved in ACPI 1.0; only meaningful from revision 2. */
    if (ai->fadt_revision >= 2)
        ai->boot_arch = get16(&f, FADT_IAPC_BOOT_ARCH);

    ai->pm1a_cnt = fadt_block(&f, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK, FADT_PM1_CNT_LEN);
    ai->pm1b_cnt = fadt_block(&f, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK, FADT_PM1_CNT_LEN);
    ai->pm_tmr = fadt_block(&f, FADT_X_PM_TMR_BLK, FADT_PM_TMR_BLK, FADT_PM_TMR_LEN);
    ai->pm_tmr_32bit = ai->fadt_flags & ACPI_FADT_TMR_VAL_EXT;
    ai->hw_reduced = ai->fadt_flags & ACPI_FADT_HW_REDUCED;

    ai->reset_reg = get_gas(&f, FADT_RESET_REG);
    ai->reset_value = get8(&f, FADT_RESET_VALUE);
    ai->reset_supported = (ai->fadt_flags & ACPI_FADT_RESET_REG_SUP) &&
                          has(&f, FADT_RESET_VALUE, 1) && ai->reset_reg.address;
    if ((ai->fadt_flags & ACPI_FADT_RESET_REG_SUP) && !ai->reset_supported)
        log_warn("acpi: FADT: RESET_REG_SUP set but no reset register\n");
}
