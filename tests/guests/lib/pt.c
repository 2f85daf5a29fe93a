/* Page-table helpers over the bootstrap tables (start_info.pt_base). The
 * guest cannot write its page tables: it reads them through the read-only
 * mappings the builder made and changes them with hypercalls (ref §2.1,
 * §5.3-5.5). MFN -> VA goes through the M2P and holds only for frames of
 * the bootstrap region. */
#include "guest.h"

#define REGION_MAX_PAGES (1UL << 18)    /* one L2 = 1 GiB */

void *mfn_to_va(uint64_t mfn)
{
    uint64_t pfn = m2p(mfn);

    if (pfn >= start_info->nr_pages || pfn >= REGION_MAX_PAGES || p2m(pfn) != mfn)
        return NULL;
    return (void *)(GUEST_VIRT_BASE + (pfn << 12));
}

static unsigned pt_index(uint64_t va, int level)
{
    return (unsigned)((va >> (12 + 9 * (level - 1))) & 511);
}

volatile uint64_t *pt_entry(uint64_t va, int level)
{
    volatile uint64_t *table = (volatile uint64_t *)start_info->pt_base;

    for (int l = 4; l > level; l--) {
        uint64_t e = table[pt_index(va, l)];
        if (!(e & PTE_P) || (e & PTE_PSE))
            return NULL;
        table = mfn_to_va(PTE_MFN(e));
        if (!table)
            return NULL;
    }
    return &table[pt_index(va, level)];
}

uint64_t pt_entry_maddr(uint64_t va, int level)
{
    volatile uint64_t *e = pt_entry(va, level);

    if (!e)
        return 0;
    uint64_t page = (uint64_t)e & ~0xfffUL;
    return (va_to_mfn((void *)page) << 12) | ((uint64_t)e & 0xfff);
}

uint64_t l4_mfn(void)
{
    return va_to_mfn((void *)start_info->pt_base);
}

uint64_t region_end(void)
{
    uint64_t va = GUEST_VIRT_BASE;

    for (unsigned long n = 0; n < REGION_MAX_PAGES; n++, va += 4096) {
        volatile uint64_t *e = pt_entry(va, 1);
        if (!e || !(*e & PTE_P))
            break;
    }
    return va;
}

long set_page_rw(const void *va, bool rw)
{
    volatile uint64_t *e = pt_entry((uint64_t)va, 1);

    if (!e)
        return -22;
    uint64_t v = rw ? (*e | PTE_RW) : (*e & ~PTE_RW);
    return HYPERVISOR_update_va_mapping((uint64_t)va, v, UVMF_INVLPG);
}

long mmuext_simple(unsigned cmd, uint64_t arg1)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = arg1 };

    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

long pin_table(int level, uint64_t mfn)
{
    return mmuext_simple(MMUEXT_PIN_L1_TABLE + (unsigned)(level - 1), mfn);
}

long unpin_table(uint64_t mfn)
{
    return mmuext_simple(MMUEXT_UNPIN_TABLE, mfn);
}

long mmu_update_one(uint64_t ptr, uint64_t val)
{
    struct mmu_update u = { .ptr = ptr, .val = val };

    return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}
