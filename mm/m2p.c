/* The machine-to-phys (M2P) table: m2p[mfn] = the pseudo-physical frame a
 * PV guest uses for machine frame mfn. Every PV guest reads it at the ABI's
 * fixed address MACH2PHYS_VIRT_START = RO_MPT_VIRT_START (ref/xen-pv-abi.md
 * 3.3): that window is mapped read-only and user-accessible (guest kernels
 * run in ring 3). Keel writes entries through the direct map. */
#include <keel/m2p.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/string.h>

static mfn_t m2p_frames_nr;     /* table covers mfn < m2p_frames_nr */
static mfn_t *m2p_pages;        /* the frames behind each page of the table */

#define ENTRIES_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

void m2p_init(mfn_t nr_frames)
{
    uint64_t pages = (nr_frames + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    m2p_pages = kmalloc(pages * sizeof(mfn_t));
    if (!m2p_pages)
        panic("m2p: no memory for the table's page list");
    /* In 2 MiB blocks where possible: XENMEM_machphys_mfn_list reports the
     * table as 2 MiB extents. */
    for (uint64_t i = 0; i < pages; ) {
        unsigned order = pages - i >= 512 ? 9 : 0;
        mfn_t mfn;
        if (alloc_frames(order, &mfn) && (order = 0, alloc_frames(0, &mfn)))
            panic("m2p: out of memory for the table");
        for (uint64_t k = 0; k < (1UL << order); k++, i++) {
            memset(mfn_to_virt(mfn + k), 0xff, PAGE_SIZE);  /* INVALID_M2P_ENTRY */
            m2p_pages[i] = mfn + k;
            /* Read-only, user-readable, not executable: guests only read it. */
            if (map_pages(RO_MPT_VIRT_START + i * PAGE_SIZE, (mfn + k) << PAGE_SHIFT, 1,
                          PTE_U | PTE_NX | PTE_G))
                panic("m2p: cannot map the table");
        }
    }
    m2p_frames_nr = nr_frames;
    /* The upper levels must allow user access too (the leaf forbids writes). */
    mm_allow_user_path(RO_MPT_VIRT_START, pages * PAGE_SIZE);
    log_info("m2p: %lu KiB for %lu frames at %lx\n", pages * 4, nr_frames, RO_MPT_VIRT_START);
}

void m2p_set(mfn_t mfn, uint64_t pfn)
{
    if (mfn >= m2p_frames_nr)
        return;
    uint64_t *page = mfn_to_virt(m2p_pages[mfn / ENTRIES_PER_PAGE]);
    page[mfn % ENTRIES_PER_PAGE] = pfn;
}

uint64_t m2p_get(mfn_t mfn)
{
    if (mfn >= m2p_frames_nr)
        return M2P_INVALID;
    uint64_t *page = mfn_to_virt(m2p_pages[mfn / ENTRIES_PER_PAGE]);
    return page[mfn % ENTRIES_PER_PAGE];
}

mfn_t m2p_max_mfn(void)
{
    return m2p_frames_nr;
}

/* The first frame of each 2 MiB piece of the table (XENMEM_machphys_mfn_list). */
unsigned m2p_extents(mfn_t *out, unsigned max)
{
    uint64_t pages = (m2p_frames_nr + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    unsigned n = 0;
    for (uint64_t i = 0; i < pages && n < max; i += 512)
        out[n++] = m2p_pages[i];
    return n;
}
