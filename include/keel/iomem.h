/* I/O memory: which machine frames that are not RAM (MMIO, ROMs, the BIOS
 * area, ACPI tables and NVS, the low 1 MiB) a domain with I/O rights (dom0)
 * may map, and how. Pure lookup (mm/iomem.c, host-tested); the hypervisor's
 * instance is filled at boot from the memory map and by the drivers of
 * Keel's own devices (mm/iomem_glue.c).
 *
 * As Xen 4.17 (xen/arch/x86/mm.c arch_init_memory, dom0_build.c
 * dom0_setup_permissions): every frame of the first 1 MiB and every frame
 * the firmware map does not list as RAM is I/O memory; the hypervisor's
 * own devices (local APIC, MSI window, IO-APICs read-only) are taken out.
 * Unlike Xen, a RW mapping of a read-only frame is refused (Xen silently
 * makes it read-only). I/O frames carry no reference counts and can never
 * be page tables (no domain owns them). */
#ifndef KEEL_IOMEM_H
#define KEEL_IOMEM_H

#include <keel/types.h>

enum iomem_access {
    IOMEM_RAM = 0,      /* not I/O memory: the RAM rules (ownership) apply */
    IOMEM_DENY,         /* I/O memory the hypervisor keeps */
    IOMEM_RO,           /* I/O memory dom0 may only read */
    IOMEM_RW,           /* I/O memory dom0 may map read/write */
};

#define IOMEM_MAX_RAM       64      /* RAM ranges of the firmware map */
#define IOMEM_MAX_RESERVED  64      /* hypervisor device ranges */
#define IOMEM_LOW_FRAMES    0x100   /* the first 1 MiB is I/O (Xen) */

struct iomem_range { mfn_t first, last; uint8_t access; };

struct iomem_map {
    struct iomem_range ram[IOMEM_MAX_RAM];
    struct iomem_range hv[IOMEM_MAX_RESERVED];
    unsigned nr_ram, nr_hv;
    bool overflow;              /* a range did not fit: everything denied */
};

/* RAM the firmware lists ([base, base+len) bytes): every frame touching it
 * follows the RAM rules, except in the first 1 MiB. */
void iomem_map_add_ram(struct iomem_map *m, uint64_t base, uint64_t len);
/* A device of the hypervisor at [base, base+len): DENY or RO for dom0
 * (wins over RAM and over the first 1 MiB's rule). */
void iomem_map_restrict(struct iomem_map *m, uint64_t base, uint64_t len,
                        enum iomem_access access);
enum iomem_access iomem_map_lookup(const struct iomem_map *m, mfn_t mfn);

/* The hypervisor's instance. */
void iomem_init(void);                  /* after mm_init: the RAM ranges */
void iomem_reserve(uint64_t base, uint64_t len, enum iomem_access access);
enum iomem_access iomem_access(mfn_t mfn);
/* At run time: [base, base+len) becomes read-only for dom0 (an MSI-X
 * table Keel programs). Mappings made before keep their rights, as on Xen
 * (4.17 adds the table to mmio_ro_ranges when MSI-X is first set up).
 * -ENOSPC: no room left in the list. */
int iomem_protect_ro(uint64_t base, uint64_t len);

#endif
