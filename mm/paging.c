/* The hypervisor's page tables: mapping with the largest page size that
 * fits, lookups, and the vmap area (MMIO, stacks with guard pages, GDTs).
 * All CPUs share hv_l4; the L3 tables of the hypervisor's 16 L4 slots are
 * allocated up front so later guest L4s can share them. */
#include <keel/mm.h>
#include <keel/cpufeature.h>
#include <keel/desc.h>
#include <keel/log.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/x86.h>

pte_t *hv_l4;
static spinlock_t pt_lock = SPINLOCK_INIT;
static paddr_t (*pt_alloc_page)(void);
static vaddr_t vmap_next = VMAP_VIRT_START;
static mfn_t zero_gdt_mfn = INVALID_MFN;

void paging_set_table_allocator(paddr_t (*alloc)(void))
{
    pt_alloc_page = alloc;
}

static pte_t *table_of(pte_t e) { return phys_to_virt(e & PTE_ADDR); }

/* Returns the next-level table for va at `level` (4..2), creating it. */
static pte_t *next_table(pte_t *table, vaddr_t va, unsigned level)
{
    pte_t *e = &table[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_P)) {
        paddr_t pa = pt_alloc_page();
        if (!pa)
            return NULL;
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
        *e = pa | PTE_P | PTE_W;        /* permissions are set at the leaf */
    }
    if (*e & PTE_PS)
        return NULL;                    /* already covered by a large page */
    return table_of(*e);
}

static int map_one(pte_t *l4, vaddr_t va, paddr_t pa, unsigned level, uint64_t flags)
{
    pte_t *t = l4;
    for (unsigned l = 4; l > level; l--) {
        t = next_table(t, va, l);
        if (!t)
            return -12;
    }
    pte_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
    *e = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
    return 0;
}

/* Maps [va, va+len) to [pa, ...) in l4, with 1 GiB and 2 MiB pages where
 * both addresses are aligned and the range is long enough. */
int map_range_in(pte_t *l4, vaddr_t va, paddr_t pa, uint64_t len, uint64_t flags, bool large)
{
    while (len) {
        unsigned level = 1;
        uint64_t size = PAGE_SIZE;
        if (large && boot_cpu.pdpe1gb && IS_ALIGNED(va | pa, GiB(1)) && len >= GiB(1))
            level = 3, size = GiB(1);
        else if (large && IS_ALIGNED(va | pa, MiB(2)) && len >= MiB(2))
            level = 2, size = MiB(2);
        int rc = map_one(l4, va, pa, level, flags);
        if (rc)
            return rc;
        va += size, pa += size, len -= size;
    }
    return 0;
}

int map_pages(vaddr_t va, paddr_t pa, uint64_t nr_pages, uint64_t flags)
{
    uint64_t f = spin_lock_irqsave(&pt_lock);
    int rc = map_range_in(hv_l4, va, pa, nr_pages << PAGE_SHIFT, flags, false);
    spin_unlock_irqrestore(&pt_lock, f);
    return rc;
}

pte_t lookup_pte(vaddr_t va, unsigned *level)
{
    pte_t *t = hv_l4 ? hv_l4 : phys_to_virt(read_cr3() & PTE_ADDR);
    for (unsigned l = 4; l >= 1; l--) {
        pte_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(e & PTE_P))
            return 0;
        if (l == 1 || (e & PTE_PS)) {
            if (level)
                *level = l;
            return e;
        }
        t = table_of(e);
    }
    return 0;
}

static vaddr_t vmap_reserve(uint64_t bytes, uint64_t align)
{
    uint64_t f = spin_lock_irqsave(&pt_lock);
    vaddr_t va = ALIGN_UP(vmap_next, align);
    if (va + bytes > VMAP_VIRT_END)
        va = 0;
    else
        vmap_next = va + bytes;
    spin_unlock_irqrestore(&pt_lock, f);
    return va;
}

void *ioremap(paddr_t pa, size_t len)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t pages = (ALIGN_UP(pa + len, PAGE_SIZE) - base) >> PAGE_SHIFT;
    vaddr_t va = vmap_reserve(pages << PAGE_SHIFT, PAGE_SIZE);
    if (!va || map_pages(va, base, pages, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
        return NULL;
    return (void *)(va + (pa - base));
}

vaddr_t vmap_stack_block(void)
{
    vaddr_t va = vmap_reserve(STACK_BLOCK_SIZE, STACK_BLOCK_SIZE);
    if (!va)
        return 0;
    /* Pages 1-3: IST stacks; 8-15: primary stack. 0 and 4-7 stay unmapped. */
    static const struct { unsigned first, count; } parts[] = { { 1, 3 }, { 8, 8 } };
    for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
        for (unsigned p = parts[i].first; p < parts[i].first + parts[i].count; p++) {
            mfn_t mfn;
            if (alloc_frames(0, &mfn) ||
                map_pages(va + p * PAGE_SIZE, mfn << PAGE_SHIFT, 1, PTE_W | PTE_NX | PTE_G))
                return 0;
            memset((void *)(va + p * PAGE_SIZE), 0, PAGE_SIZE);
        }
    }
    return va;
}

/* A GDT spans 16 pages: the first 14 (the guest's part, empty for now) map
 * one shared zeroed frame read-only; the last two are this GDT's own. */
struct seg_desc *vmap_gdt(void)
{
    vaddr_t va = vmap_reserve(GDT_PAGES * PAGE_SIZE, PAGE_SIZE);
    if (!va)
        return NULL;
    if (zero_gdt_mfn == INVALID_MFN) {
        mfn_t z;
        if (alloc_frames(0, &z))
            return NULL;
        memset(mfn_to_virt(z), 0, PAGE_SIZE);
        zero_gdt_mfn = z;
    }
    for (unsigned p = 0; p < GDT_PAGES; p++) {
        mfn_t mfn = zero_gdt_mfn;
        uint64_t flags = PTE_NX | PTE_G;
        if (p >= FIRST_RESERVED_GDT_PAGE) {
            if (alloc_frames(0, &mfn))
                return NULL;
            memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
            flags |= PTE_W;
        }
        if (map_pages(va + p * PAGE_SIZE, mfn << PAGE_SHIFT, 1, flags))
            return NULL;
    }
    return (struct seg_desc *)va;
}

/* Maps one frame read-only and executable (generated code: entry stubs). */
vaddr_t vmap_exec_page(mfn_t mfn)
{
    vaddr_t va = vmap_reserve(PAGE_SIZE, PAGE_SIZE);
    if (!va || map_pages(va, mfn << PAGE_SHIFT, 1, PTE_G))
        return 0;
    return va;
}

/* Sets the user bit on the upper-level entries (L4..L2) that map
 * [va, va+len): for windows guests may read, like the M2P table. The
 * leaves decide what is allowed. */
void mm_allow_user_path(vaddr_t va, uint64_t len)
{
    uint64_t f = spin_lock_irqsave(&pt_lock);
    for (vaddr_t a = ALIGN_DOWN(va, PAGE_SIZE); a < va + len; a += PAGE_SIZE) {
        pte_t *t = hv_l4;
        for (unsigned l = 4; l > 1; l--) {
            pte_t *e = &t[(a >> (12 + 9 * (l - 1))) & 511];
            if (!(*e & PTE_P) || (*e & PTE_PS))
                break;
            *e |= PTE_U;
            t = table_of(*e);
        }
    }
    spin_unlock_irqrestore(&pt_lock, f);
}

mfn_t vmap_zero_gdt_mfn(void)
{
    return zero_gdt_mfn;
}

/* A CPU's LDT area (arch/x86_64/pv_ldt.c): `pages` pages, each showing the
 * shared zeroed frame read-only until a vCPU's LDT frames replace it.
 * Mapping every page now builds the page tables, so the remaps on a
 * context switch never allocate. 0 if out of memory (or before the first
 * GDT exists). */
vaddr_t vmap_ldt_area(unsigned pages)
{
    if (zero_gdt_mfn == INVALID_MFN)
        return 0;
    vaddr_t va = vmap_reserve((uint64_t)pages * PAGE_SIZE, PAGE_SIZE);
    if (!va)
        return 0;
    for (unsigned p = 0; p < pages; p++)
        if (map_pages(va + p * PAGE_SIZE, zero_gdt_mfn << PAGE_SHIFT, 1, PTE_NX | PTE_G))
            return 0;
    return va;
}
