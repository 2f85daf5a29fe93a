/* The hypervisor's I/O memory policy (include/keel/iomem.h): RAM from the
 * firmware's map at boot, then Keel's own devices as their drivers start. */
#include <keel/iomem.h>
#include <keel/bootinfo.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/errno.h>
#include <keel/spinlock.h>

static struct iomem_map hv_iomem;

void iomem_init(void)
{
    for (unsigned i = 0; i < mm_boot_map_entries(); i++) {
        uint64_t base, len;
        uint32_t type;
        mm_boot_map_entry(i, &base, &len, &type);
        /* Xen counts E820 RAM and UNUSABLE as RAM; ACPI, NVS and reserved
         * ranges are I/O memory dom0 may map. */
        if (type == MEM_USABLE || type == MEM_BAD)
            iomem_map_add_ram(&hv_iomem, base, len);
    }
    /* The AP start-up page: dom0 may read the low 1 MiB, not change code
     * Keel runs. The MSI address window is Keel's (Xen denies it too). */
    iomem_map_restrict(&hv_iomem, ap_trampoline_phys, PAGE_SIZE, IOMEM_RO);
    iomem_map_restrict(&hv_iomem, 0xfee00000, 0x100000, IOMEM_DENY);
}

void iomem_reserve(uint64_t base, uint64_t len, enum iomem_access access)
{
    log_debug("iomem: 0x%lx-0x%lx kept by Keel (%s for dom0)\n", (unsigned long)base,
              (unsigned long)(base + len - 1), access == IOMEM_RO ? "read-only" : "no access");
    iomem_map_restrict(&hv_iomem, base, len, access);
}

enum iomem_access iomem_access(mfn_t mfn)
{
    return iomem_map_lookup(&hv_iomem, mfn);
}

int iomem_protect_ro(uint64_t base, uint64_t len)
{
    static spinlock_t lock = SPINLOCK_INIT;
    int rc = 0;
    uint64_t f = spin_lock_irqsave(&lock);
    if (hv_iomem.nr_hv >= IOMEM_MAX_RESERVED)
        rc = -ENOSPC;                   /* never the overflow that denies everything */
    else
        iomem_map_restrict(&hv_iomem, base, len, IOMEM_RO);
    spin_unlock_irqrestore(&lock, f);
    if (!rc)
        log_info("iomem: 0x%lx-0x%lx read-only for dom0 (an MSI-X table)\n",
                 (unsigned long)base, (unsigned long)(base + len - 1));
    return rc;
}
