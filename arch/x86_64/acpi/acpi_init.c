/* Finds and parses the firmware's ACPI tables (pure parsers in this
 * folder) through the direct map, or an uncached mapping for tables that
 * lie outside RAM. */
#include <keel/acpi.h>
#include <keel/bootinfo.h>
#include <keel/log.h>
#include <keel/mm.h>

struct acpi_info acpi_info;

static bool in_direct_map(uint64_t phys, size_t len)
{
    unsigned level;
    uint64_t end = phys + len;
    if (end < phys || end > DIRECTMAP_SIZE)
        return false;
    for (uint64_t p = ALIGN_DOWN(phys, PAGE_SIZE); p < end; p += PAGE_SIZE)
        if (!lookup_pte(DIRECTMAP_VIRT_START + p, &level))
            return false;
    return true;
}

static const void *acpi_map(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (!len || phys + len < phys)
        return NULL;
    if (in_direct_map(phys, len))
        return phys_to_virt(phys);
    /* Firmware sometimes puts tables in "reserved" memory. */
    return ioremap(phys, len);
}

void acpi_init(const struct boot_info *bi)
{
    struct acpi_mem m = { acpi_map, NULL };
    uint64_t rsdp = 0;

    if (!bi->rsdp_len && acpi_find_rsdp(&m, &rsdp) < 0) {
        log_err("acpi: no RSDP found; running without ACPI (one CPU, no power-off)\n");
        return;
    }
    if (acpi_parse(&m, rsdp, bi->rsdp_len ? bi->rsdp : NULL, bi->rsdp_len, &acpi_info) < 0) {
        log_err("acpi: tables unusable; running without ACPI\n");
        return;
    }
    acpi_log_summary(&acpi_info);
}
