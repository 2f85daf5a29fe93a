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

    /* Prefer the boot loader's copy (the only source under UEFI); fall back
     * to the BIOS-area search when there is none or it is bad. */
    int rc = -1;
    if (bi->rsdp_len)
        rc = acpi_parse(&m, 0, bi->rsdp, bi->rsdp_len, &acpi_info);
    if (rc < 0 && acpi_find_rsdp(&m, &rsdp) == 0)
        rc = acpi_parse(&m, rsdp, NULL, 0, &acpi_info);
    if (rc < 0) {
        log_err("acpi: no usable RSDP or root table; running without ACPI "
                "(one CPU, no ACPI power-off)\n");
        return;
    }
    acpi_log_summary(&acpi_info);
}
