/* Memory management of the hypervisor: direct map, page tables, frames,
 * the vmap area and the heap. */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <keel/types.h>
#include <keel/memlayout.h>
#include <keel/frame.h>

struct boot_info;

#define PTE_P       (1UL << 0)
#define PTE_W       (1UL << 1)
#define PTE_U       (1UL << 2)
#define PTE_PWT     (1UL << 3)
#define PTE_PCD     (1UL << 4)
#define PTE_A       (1UL << 5)
#define PTE_D       (1UL << 6)
#define PTE_PS      (1UL << 7)
#define PTE_G       (1UL << 8)
#define PTE_NX      (1UL << 63)
#define PTE_ADDR    0x000ffffffffff000UL
typedef uint64_t pte_t;

static inline void *phys_to_virt(paddr_t pa) { return (void *)(pa + DIRECTMAP_VIRT_START); }
static inline paddr_t virt_to_phys(const void *va)
{
    vaddr_t v = (vaddr_t)va;
    if (v >= KEEL_IMAGE_VIRT_OFFSET && v < KEEL_IMAGE_VIRT_OFFSET + L4_SLOT_SIZE)
        return v - KEEL_IMAGE_VIRT_OFFSET;
    return v - DIRECTMAP_VIRT_START;
}
static inline void *mfn_to_virt(mfn_t mfn) { return phys_to_virt(mfn << PAGE_SHIFT); }

/* Sets up frames, page tables, direct map and heap from the boot memory
 * map; reserves the image and the boot modules. */
void mm_init(struct boot_info *bi);
/* The physical page reserved below 1 MiB for starting secondary CPUs. */
extern paddr_t ap_trampoline_phys;
extern uint64_t mm_usable_ram;          /* usable RAM the boot map listed */
extern uint64_t mm_total_ram;           /* all RAM it listed, firmware-held too */
extern pte_t *hv_l4;
/* The firmware's memory map (sanitised), E820 types, for dom0. */
unsigned mm_boot_map_entries(void);
void mm_boot_map_entry(unsigned i, uint64_t *base, uint64_t *len, uint32_t *type);            /* the hypervisor's own L4 table */
extern struct frame *frame_table;

/* Frames. */
int alloc_frames(unsigned order, mfn_t *mfn);
int alloc_frames_below(unsigned order, mfn_t limit, mfn_t *mfn);
void free_frames(mfn_t mfn, unsigned order);
void *alloc_pages(unsigned order);          /* direct-map pointer or NULL */
void free_pages(void *p, unsigned order);
uint64_t mm_total_frames(void);
bool frames_entry_backed(mfn_t mfn);    /* frame-table entry is in memory */
mfn_t frames_nr(void);                  /* frame-table entries */
uint64_t mm_free_frames(void);

/* Heap: kmalloc, kzalloc, kfree. */
#include <keel/alloc.h>

/* Page tables of the hypervisor (shared by all CPUs, slots 256-271). */
int map_pages(vaddr_t va, paddr_t pa, uint64_t nr_pages, uint64_t flags);
/* Walk: returns the leaf entry for va (any level) or 0. */
pte_t lookup_pte(vaddr_t va, unsigned *level);
void mm_allow_user_path(vaddr_t va, uint64_t len);

/* vmap area. */
void *ioremap(paddr_t pa, size_t len);      /* uncached MMIO */
vaddr_t vmap_stack_block(void);             /* a stack block with guard pages */
struct seg_desc *vmap_gdt(void);            /* a GDT: guest pages + reserved page */
vaddr_t vmap_exec_page(mfn_t mfn);          /* read-only + executable */
mfn_t vmap_zero_gdt_mfn(void);              /* the empty guest part of every GDT */
vaddr_t vmap_ldt_area(unsigned pages);      /* a CPU's LDT area, all zero frame */

#endif
