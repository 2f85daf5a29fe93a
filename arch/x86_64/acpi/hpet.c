/* HPET description table ("HPET", IA-PC HPET specification 1.0a, 3.2.4):
 * event timer block id 36, base address GAS 40, HPET number 52, minimum
 * clock tick 53, page protection 55. */
#include <keel/acpi.h>
#include <keel/log.h>

#define HPET_OFF_BLOCK_ID   36
#define HPET_OFF_BASE       40
#define HPET_OFF_NUMBER     52
#define HPET_OFF_MIN_TICK   53

void acpi_hpet_parse(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    struct acpi_gas base = acpi_get_gas(t + HPET_OFF_BASE);

    (void)len;  /* ACPI_HPET_MIN_LEN covers every field read here */
    if (base.space_id != ACPI_GAS_MEMORY || !base.address) {
        log_err("acpi: HPET: base address not in memory space (space %u, 0x%llx), ignored\n",
                base.space_id, (unsigned long long)base.address);
        return;
    }
    ai->has_hpet = true;
    ai->hpet_phys = base.address;
    ai->hpet_block_id = acpi_get32(t + HPET_OFF_BLOCK_ID);
    ai->hpet_number = t[HPET_OFF_NUMBER];
    ai->hpet_min_tick = acpi_get16(t + HPET_OFF_MIN_TICK);
}
