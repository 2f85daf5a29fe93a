/* Memory bring-up: from the boot memory map to the frame allocator, the
 * frame table, the final page tables (direct map, W^X image) and the heap.
 *
 * Order: sanitise the map and carve out what is in use (low 1 MiB, image,
 * modules); take page-table and frame-table pages from a boot allocator
 * (top of usable RAM below 4 GiB, reachable through the boot direct map);
 * build and load the new L4; hand the rest to the buddy allocator. */
#include <keel/mm.h>
#include <keel/bootinfo.h>
#include <keel/iomem.h>
#include <keel/cpufeature.h>
#include <keel/log.h>
#include <keel/memmap.h>
#include <keel/m2p.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/x86.h>

extern char __image_start_hv[], __image_virt_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __image_virt_end[];

void paging_set_table_allocator(paddr_t (*alloc)(void));
int map_range_in(pte_t *l4, vaddr_t va, paddr_t pa, uint64_t len, uint64_t flags, bool large);
void frames_init(struct frame *table, mfn_t nr_frames);
void frames_add_free(mfn_t start, mfn_t count);
void heap_setup(void);

paddr_t ap_trampoline_phys;
uint64_t mm_usable_ram;                 /* bytes of usable RAM in the boot map */
uint64_t mm_total_ram;                  /* all RAM the map describes, firmware's too */
struct frame *frame_table;

static struct mem_range map[BOOT_MAX_MMAP];
static struct mem_range boot_map[BOOT_MAX_MMAP];    /* as the firmware gave it, sanitised */
static unsigned nr_boot_map;
static unsigned nr_map;
static uint64_t boot_alloc_pages;

#define FRAME_CHUNK_FRAMES  (1UL << FRAME_ORDER_MAX)

static bool is_ram_type(uint32_t t)
{
    return t == MEM_USABLE || t == MEM_ACPI || t == MEM_NVS || t == MEM_FIRMWARE;
}

/* Boot allocator: one page from the top of the highest usable range below
 * 4 GiB (the boot page tables map 0-4 GiB). */
static paddr_t boot_alloc_page(void)
{
    for (int i = (int)nr_map - 1; i >= 0; i--) {
        struct mem_range *r = &map[i];
        if (r->type != MEM_USABLE)
            continue;
        uint64_t end = ALIGN_DOWN(MIN(r->base + r->len, GiB(4)), PAGE_SIZE);
        if (end < r->base + PAGE_SIZE || end - PAGE_SIZE < ALIGN_UP(r->base, PAGE_SIZE))
            continue;
        paddr_t pa = end - PAGE_SIZE;
        memmap_remove(map, &nr_map, BOOT_MAX_MMAP, pa, PAGE_SIZE);
        boot_alloc_pages++;
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
        return pa;
    }
    panic("mm: out of memory for boot page tables");
}

static paddr_t buddy_alloc_table_page(void)
{
    mfn_t mfn;
    return alloc_frames(0, &mfn) ? 0 : mfn << PAGE_SHIFT;
}

static void reserve_in_use(struct boot_info *bi)
{
    /* Low 1 MiB: BIOS data, EBDA, option ROMs; one page becomes the AP
     * trampoline. */
    for (unsigned i = 0; i < nr_map && !ap_trampoline_phys; i++) {
        struct mem_range *r = &map[i];
        uint64_t base = ALIGN_UP(MAX(r->base, 0x1000UL), PAGE_SIZE);
        if (r->type == MEM_USABLE && base + PAGE_SIZE <= MIN(r->base + r->len, 0x9f000UL))
            ap_trampoline_phys = base;
    }
    memmap_remove(map, &nr_map, BOOT_MAX_MMAP, 0, MiB(1));
    memmap_remove(map, &nr_map, BOOT_MAX_MMAP, virt_to_phys(__image_start_hv),
                  virt_to_phys(__image_virt_end) - virt_to_phys(__image_start_hv));
    for (unsigned i = 0; i < bi->nr_mod; i++)
        memmap_remove(map, &nr_map, BOOT_MAX_MMAP, ALIGN_DOWN(bi->mod[i].start, PAGE_SIZE),
                      ALIGN_UP(bi->mod[i].end, PAGE_SIZE) - ALIGN_DOWN(bi->mod[i].start, PAGE_SIZE));
}

static void map_image(pte_t *l4)
{
    static const struct { char *start, *end; uint64_t flags; } parts[] = {
        { __text_start, __text_end, PTE_G },                           /* r-x */
        { __rodata_start, __rodata_end, PTE_G | PTE_NX },              /* r-- */
        { __data_start, __image_virt_end, PTE_G | PTE_NX | PTE_W },    /* rw- */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
        vaddr_t va = (vaddr_t)parts[i].start;
        uint64_t flags = parts[i].flags;
        if (!boot_cpu.nx)
            flags &= ~PTE_NX;
        if (map_range_in(l4, va, va - KEEL_IMAGE_VIRT_OFFSET,
                         (vaddr_t)parts[i].end - va, flags, false))
            panic("mm: cannot map the image");
    }
}

static void map_direct(pte_t *l4, const struct mem_range *ranges, unsigned n)
{
    uint64_t nx = boot_cpu.nx ? PTE_NX : 0;

    if (map_range_in(l4, DIRECTMAP_VIRT_START, 0, MiB(1), PTE_W | PTE_G | nx, true))
        panic("mm: cannot map low memory");
    for (unsigned i = 0; i < n; i++) {
        if (!is_ram_type(ranges[i].type))
            continue;
        uint64_t base = ALIGN_DOWN(ranges[i].base, PAGE_SIZE);
        uint64_t end = ALIGN_UP(ranges[i].base + ranges[i].len, PAGE_SIZE);
        if (end > DIRECTMAP_SIZE) {
            log_warn("mm: RAM above %lu GiB is not mapped\n", DIRECTMAP_SIZE >> 30);
            end = DIRECTMAP_SIZE;
        }
        if (base < end && map_range_in(l4, DIRECTMAP_VIRT_START + base, base, end - base,
                                       PTE_W | PTE_G | nx, true))
            panic("mm: cannot build the direct map");
    }
}

/* Frame table: back every FRAME_CHUNK_FRAMES-aligned chunk that holds RAM. */
static void map_frame_table(pte_t *l4, const struct mem_range *ranges, unsigned n, mfn_t nr_frames)
{
    uint64_t chunk_bytes = FRAME_CHUNK_FRAMES * sizeof(struct frame);
    mfn_t nr_chunks = (nr_frames + FRAME_CHUNK_FRAMES - 1) / FRAME_CHUNK_FRAMES;
    uint64_t nx = boot_cpu.nx ? PTE_NX : 0;

    for (mfn_t c = 0; c < nr_chunks; c++) {
        uint64_t lo = c * FRAME_CHUNK_FRAMES << PAGE_SHIFT, hi = lo + (FRAME_CHUNK_FRAMES << PAGE_SHIFT);
        bool ram = false;
        for (unsigned i = 0; i < n && !ram; i++)
            ram = is_ram_type(ranges[i].type) && ranges[i].base < hi && ranges[i].base + ranges[i].len > lo;
        if (!ram)
            continue;
        vaddr_t va = FRAMETABLE_VIRT_START + c * chunk_bytes;
        for (uint64_t off = 0; off < chunk_bytes; off += PAGE_SIZE)
            if (map_range_in(l4, va + off, boot_alloc_page(), PAGE_SIZE, PTE_W | PTE_G | nx, false))
                panic("mm: cannot map the frame table");
    }
}

void mm_init(struct boot_info *bi)
{
    nr_map = MIN(bi->nr_mmap, (unsigned)BOOT_MAX_MMAP);
    memcpy(map, bi->mmap, nr_map * sizeof(map[0]));
    if (memmap_sanitize(map, &nr_map, BOOT_MAX_MMAP) < 0)
        panic("mm: memory map too fragmented");
    memcpy(boot_map, map, sizeof(boot_map));
    nr_boot_map = nr_map;
    static struct mem_range orig[BOOT_MAX_MMAP];     /* RAM layout before carving */
    unsigned nr_orig = nr_map;
    memcpy(orig, map, sizeof(orig));

    uint64_t max_addr = 0;
    for (unsigned i = 0; i < nr_map; i++)
        if (is_ram_type(map[i].type))
            max_addr = MAX(max_addr, map[i].base + map[i].len);
    mfn_t nr_frames = ALIGN_UP(max_addr, PAGE_SIZE) >> PAGE_SHIFT;
    uint64_t total = memmap_total(map, nr_map, MEM_USABLE);
    mm_usable_ram = total;
    for (unsigned i = 0; i < nr_map; i++)
        if (is_ram_type(map[i].type))
            mm_total_ram += map[i].len;

    reserve_in_use(bi);
    paging_set_table_allocator(boot_alloc_page);
    pte_t *l4 = phys_to_virt(boot_alloc_page());
    for (unsigned s = L4_SLOT(HV_VIRT_START); s < L4_SLOT(HV_VIRT_START) + 16; s++)
        l4[s] = boot_alloc_page() | PTE_P | PTE_W;
    map_image(l4);
    map_direct(l4, orig, nr_orig);
    map_frame_table(l4, orig, nr_orig, nr_frames);
    write_cr3(virt_to_phys(l4));
    hv_l4 = l4;

    frame_table = (struct frame *)FRAMETABLE_VIRT_START;
    frames_init(frame_table, nr_frames);
    for (unsigned i = 0; i < nr_map; i++)
        if (map[i].type == MEM_USABLE) {
            mfn_t s = ALIGN_UP(map[i].base, PAGE_SIZE) >> PAGE_SHIFT;
            mfn_t e = ALIGN_DOWN(map[i].base + map[i].len, PAGE_SIZE) >> PAGE_SHIFT;
            if (e > s)
                frames_add_free(s, e - s);
        }
    /* RAM that Keel keeps (image, boot page tables, frame table, low
     * memory) belongs to the hypervisor: guests get -EBUSY mapping it. */
    for (unsigned i = 0; i < nr_orig; i++) {
        if (!is_ram_type(orig[i].type))
            continue;
        mfn_t s = orig[i].base >> PAGE_SHIFT, e = (orig[i].base + orig[i].len) >> PAGE_SHIFT;
        for (mfn_t m = s; m < e && m < nr_frames; m++)
            if (frame_table[m].state == FRAME_RESERVED)
                frame_table[m].owner = FRAME_OWNER_HV;
    }
    paging_set_table_allocator(buddy_alloc_table_page);
    heap_setup();
    m2p_init(nr_frames);
    iomem_init();
    log_info("mm: %lu KiB usable RAM, %lu frames up to 0x%lx, boot tables %lu KiB, "
             "AP trampoline at 0x%lx\n", total >> 10, nr_frames, max_addr,
             boot_alloc_pages * 4, ap_trampoline_phys);
}

unsigned mm_boot_map_entries(void)
{
    return nr_boot_map;
}

/* E820 types for dom0 (firmware-held RAM is reserved to it). */
void mm_boot_map_entry(unsigned i, uint64_t *base, uint64_t *len, uint32_t *type)
{
    *base = boot_map[i].base;
    *len = boot_map[i].len;
    *type = boot_map[i].type == MEM_FIRMWARE ? MEM_RESERVED : boot_map[i].type;
}
