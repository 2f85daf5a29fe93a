/* MSI / MSI-X programming (include/keel/msi.h). Register layout: PCI
 * Local Bus spec 3.0 6.8.1 (MSI capability) and 6.8.2 (MSI-X). */
#include <keel/msi.h>
#include <keel/errno.h>
#include <keel/iomem.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pci.h>
#include <keel/spinlock.h>

/* MSI capability. */
#define MSI_CTRL            2
#define MSI_CTRL_64BIT      (1u << 7)
#define MSI_CTRL_MASKBIT    (1u << 8)
#define MSI_ADDR_LO         4
/* MSI-X capability and table. */
#define MSIX_CTRL           2
#define MSIX_CTRL_SIZE      0x7ffu      /* table size - 1 */
#define MSIX_CTRL_MASKALL   (1u << 14)
#define MSIX_CTRL_ENABLE    (1u << 15)
#define MSIX_TABLE          4           /* offset | BIR */
#define MSIX_PBA            8
#define MSIX_BIR            7u
#define MSIX_ENTRY_SIZE     16
#define MSIX_ENTRY_CTRL     3           /* dword index of vector control */
#define MSIX_ENTRY_MASKED   1u

/* Message: Intel SDM vol. 3 11.11 (physical destination, fixed delivery,
 * edge). xAPIC IDs only (8 bits) in this form. */
#define MSI_ADDR_BASE       0xfee00000u

/* Table pages Keel mapped (kept: Keel has no unmap; the same pages come
 * back when dom0 maps the device again). */
#define MSIX_MAPS 32
static struct { uint64_t page; void *va; } maps[MSIX_MAPS];
static unsigned nr_maps;
static spinlock_t maps_lock = SPINLOCK_INIT;

static void *map_table_page(uint64_t page, int *rc)
{
    void *va = NULL;
    *rc = 0;
    uint64_t f = spin_lock_irqsave(&maps_lock);
    for (unsigned i = 0; i < nr_maps && !va; i++)
        if (maps[i].page == page)
            va = maps[i].va;
    if (!va) {
        enum iomem_access a = iomem_access(page >> PAGE_SHIFT);
        if (a != IOMEM_RW) {
            /* RAM, Keel's own device, or protected by someone else. */
            *rc = -EPERM;
        } else if (nr_maps == MSIX_MAPS) {
            *rc = -ENOSPC;
        } else if ((*rc = iomem_protect_ro(page, PAGE_SIZE)) == 0) {
            va = ioremap(page, PAGE_SIZE);
            if (va)
                maps[nr_maps++] = (typeof(maps[0])){ page, va };
            else
                *rc = -ENOMEM;
        }
    }
    spin_unlock_irqrestore(&maps_lock, f);
    return va;
}

static unsigned msi_data_reg(const struct msi_hw *h, uint32_t ctrl)
{
    return h->cap + ((ctrl & MSI_CTRL_64BIT) ? 0xc : 0x8);
}

static unsigned msi_mask_reg(const struct msi_hw *h, uint32_t ctrl)
{
    return h->cap + ((ctrl & MSI_CTRL_64BIT) ? 0x10 : 0xc);
}

static void write_msi(const struct msi_hw *h, uint32_t addr, uint32_t data)
{
    uint32_t ctrl = pci_conf_read(h->bus, h->devfn, h->cap + MSI_CTRL, 2);
    pci_conf_write(h->bus, h->devfn, h->cap + MSI_ADDR_LO, 4, addr);
    if (ctrl & MSI_CTRL_64BIT)
        pci_conf_write(h->bus, h->devfn, h->cap + 8, 4, 0);
    pci_conf_write(h->bus, h->devfn, msi_data_reg(h, ctrl), 2, data);
}

static int setup_msix(struct msi_hw *h, unsigned entry, uint32_t addr, uint32_t data)
{
    unsigned bus = h->bus, devfn = h->devfn;
    uint32_t ctrl = pci_conf_read(bus, devfn, h->cap + MSIX_CTRL, 2);
    if (entry > (ctrl & MSIX_CTRL_SIZE))
        return -EINVAL;
    if (!(pci_conf_read(bus, devfn, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
        return -ENXIO;
    uint32_t tbl = pci_conf_read(bus, devfn, h->cap + MSIX_TABLE, 4);
    uint64_t bar = pci_mem_bar(bus, devfn, tbl & MSIX_BIR);
    if (!bar)
        return -ENXIO;
    uint64_t pa = bar + (tbl & ~MSIX_BIR) + (uint64_t)entry * MSIX_ENTRY_SIZE;
    if ((pa & (PAGE_SIZE - 1)) + MSIX_ENTRY_SIZE > PAGE_SIZE)
        return -ENXIO;                  /* an entry across two pages: not a real table */
    int rc;
    uint8_t *page = map_table_page(pa & ~(uint64_t)(PAGE_SIZE - 1), &rc);
    if (!page)
        return rc;
    /* Some functions accept table writes only with MSI-X enabled: enable
     * it with everything masked if dom0 has not yet (Linux has). */
    if (!(ctrl & MSIX_CTRL_ENABLE))
        pci_conf_write(bus, devfn, h->cap + MSIX_CTRL, 2,
                       ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
    volatile uint32_t *e = (volatile uint32_t *)(page + (pa & (PAGE_SIZE - 1)));
    e[MSIX_ENTRY_CTRL] = e[MSIX_ENTRY_CTRL] | MSIX_ENTRY_MASKED;
    e[0] = addr;
    e[1] = 0;
    e[2] = data;
    h->entry = (uint16_t)entry;
    h->entry_va = e;
    h->maskable = true;
    return 0;
}

int msi_hw_setup(struct msi_hw *h, unsigned seg, unsigned bus, unsigned devfn, bool msix,
                 unsigned entry, uint32_t apic_id, unsigned vector)
{
    *h = (struct msi_hw){ .bus = (uint8_t)bus, .devfn = (uint8_t)devfn, .msix = msix };
    if (seg != 0 || bus > 255 || devfn > 255 || apic_id > 0xff || vector > 0xff)
        return -ENODEV;
    unsigned cap = pci_find_cap(bus, devfn, msix ? PCI_CAP_ID_MSIX : PCI_CAP_ID_MSI);
    if (!cap)
        return -ENODEV;
    h->cap = (uint8_t)cap;
    uint32_t addr = MSI_ADDR_BASE | apic_id << 12;      /* physical mode, no redirection */
    uint32_t data = vector;                             /* fixed, edge */
    if (msix)
        return setup_msix(h, entry, addr, data);
    uint32_t ctrl = pci_conf_read(bus, devfn, cap + MSI_CTRL, 2);
    h->maskable = ctrl & MSI_CTRL_MASKBIT;
    msi_hw_mask(h, true);
    write_msi(h, addr, data);
    return 0;
}

void msi_hw_mask(const struct msi_hw *h, bool masked)
{
    if (h->msix) {
        uint32_t c = h->entry_va[MSIX_ENTRY_CTRL];
        h->entry_va[MSIX_ENTRY_CTRL] = masked ? c | MSIX_ENTRY_MASKED : c & ~MSIX_ENTRY_MASKED;
        (void)h->entry_va[MSIX_ENTRY_CTRL];             /* posted write reaches the device */
    } else if (h->maskable) {
        uint32_t ctrl = pci_conf_read(h->bus, h->devfn, h->cap + MSI_CTRL, 2);
        unsigned reg = msi_mask_reg(h, ctrl);
        uint32_t bits = pci_conf_read(h->bus, h->devfn, reg, 4);
        pci_conf_write(h->bus, h->devfn, reg, 4, masked ? bits | 1 : bits & ~1u);
    }
}

void msi_hw_teardown(const struct msi_hw *h)
{
    msi_hw_mask(h, true);
    if (h->msix) {
        h->entry_va[0] = 0;
        h->entry_va[1] = 0;
        h->entry_va[2] = 0;
    } else {
        write_msi(h, 0, 0);
    }
}
