/* MSI and MSI-X programming of one interrupt of a PCI function
 * (arch/x86_64/msi.c). Keel owns the message: address and data name a
 * vector of Keel's on one CPU; the guest never writes them (facts: PCI
 * Local Bus spec 3.0 6.8.1-6.8.2; Xen 4.17's xen/arch/x86/msi.c for what
 * it checks: the table is found through the function's own BAR, the
 * entry number is below the table size, memory decoding must be on).
 *
 * An MSI-X table's pages become read-only for dom0 (iomem_protect_ro) the
 * first time Keel programs an entry in them. */
#ifndef KEEL_MSI_H
#define KEEL_MSI_H

#include <keel/types.h>

struct msi_hw {
    uint8_t bus, devfn;
    bool msix;
    uint8_t cap;                /* capability offset */
    uint16_t entry;             /* MSI-X table entry (MSI: 0) */
    bool maskable;              /* MSI: per-vector mask bit; MSI-X: always */
    volatile uint32_t *entry_va;/* MSI-X: the entry, mapped by Keel */
};

/* Programs the interrupt, masked, to `vector` on the CPU with local APIC
 * ID apic_id. -ENODEV: no such function or no such capability (seg must
 * be 0); -EINVAL: entry out of the table; -ENXIO: memory decoding off or
 * no memory BAR for the table; -EPERM: the table is not I/O memory dom0
 * may use (RAM, or Keel's); -ENOSPC: no room for the mapping. */
int msi_hw_setup(struct msi_hw *h, unsigned seg, unsigned bus, unsigned devfn, bool msix,
                 unsigned entry, uint32_t apic_id, unsigned vector);
/* Per-vector mask where the function has one (MSI without it: nothing). */
void msi_hw_mask(const struct msi_hw *h, bool masked);
/* Masked and the message cleared (address 0, data 0). */
void msi_hw_teardown(const struct msi_hw *h);

#endif
