/* Start-of-day memory layout of a PV domain (pure): where every piece the
 * builder creates lives, in pseudo-physical frames (PFN) and virtual
 * addresses. Ref: shared/ref/xen-pv-abi.md §2.1 (rules), §2.6 (domU, as
 * libxenguest does it), §2.7 and §9.1 (dom0, as Xen does it), §3.3.
 *
 * PFN 0 is VA v_start (= VIRT_BASE); the bootstrap region [v_start, v_end)
 * maps PFNs 0..region_pages-1 one to one, read-write except the bootstrap
 * page tables [ro_start, ro_end). Pieces outside the region (an unmapped
 * initrd, a p2m list at INIT_P2M with its own page tables) follow it. */
#ifndef KEEL_PV_LAYOUT_H
#define KEEL_PV_LAYOUT_H

#include <keel/types.h>
#include <keel/pv_image.h>

#define PV_LAYOUT_ALIGN     MiB(4)      /* region end alignment, §2.1 rule 2 */
#define PV_LAYOUT_PAD       KiB(512)    /* minimum slack after the stack, rule 7 */

struct pv_layout_in {
    uint64_t virt_base;         /* from the image */
    uint64_t virt_kstart;
    uint64_t virt_kend;
    bool has_init_p2m;
    uint64_t init_p2m;
    bool mod_start_pfn;
    uint64_t nr_pages;          /* the domain's memory, in pages */
    uint64_t initrd_len;        /* bytes, 0 = no initrd */
    unsigned nr_vcpus;
    bool dom0;
};

/* pages frames from PFN pfn; va is 0 for a piece that is not mapped in the
 * bootstrap region (unmapped initrd, p2m page tables). */
struct pv_range {
    uint64_t pfn;
    uint64_t pages;
    uint64_t va;
};

struct pv_layout {
    uint64_t v_start, v_end;    /* the bootstrap region; v_end 4 MiB aligned */
    uint64_t region_pages;      /* PFNs [0, region_pages) */

    struct pv_range kernel;
    struct pv_range initrd;     /* pages 0 if none */
    bool initrd_mapped;         /* in the region (no MOD_START_PFN) */
    struct pv_range p2m;        /* the p2m list (u64 MFN per PFN) */
    bool p2m_at_init_p2m;       /* mapped at INIT_P2M, outside the region */
    struct pv_range p2m_pt;     /* page tables mapping it there (L3s, L2s, L1s) */
    unsigned p2m_nr_l3, p2m_nr_l2, p2m_nr_l1;
    struct pv_range start_info;
    struct pv_range xenstore;   /* domU only (pages 0 for dom0) */
    struct pv_range console;    /* domU only */
    struct pv_range pt;         /* bootstrap page tables: L4, L3s, L2s, L1s */
    unsigned nr_l4, nr_l3, nr_l2, nr_l1;
    struct pv_range stack;      /* one page for vCPU 0 */

    uint64_t ro_start, ro_end;  /* VAs mapped read-only (= the pt pages) */
    uint64_t pages_used;        /* PFNs [0, pages_used) hold all of the above */

    /* start_info / register values that follow from the layout. */
    uint64_t pt_base;           /* VA of the L4 (CR3's table) */
    uint64_t nr_pt_frames;
    uint64_t mfn_list;          /* VA of the p2m list */
    uint64_t mod_start;         /* initrd VA, or its PFN if !initrd_mapped */
    uint64_t mod_len;
    uint64_t first_p2m_pfn;     /* with INIT_P2M: p2m frames + their tables */
    uint64_t nr_p2m_frames;
    uint64_t stack_top;         /* initial RSP */
};

static inline void pv_layout_in_from_image(const struct pv_image *img, struct pv_layout_in *in)
{
    in->virt_base = img->virt_base;
    in->virt_kstart = img->virt_kstart;
    in->virt_kend = img->virt_kend;
    in->has_init_p2m = img->has_init_p2m;
    in->init_p2m = img->init_p2m;
    in->mod_start_pfn = img->mod_start_pfn;
}

/* Computes the layout. Returns 0, -EINVAL (inconsistent input, a region or
 * p2m mapping in the non-canonical/hypervisor range), or -ENOMEM when the
 * domain's pages cannot hold it; each failure logs a line naming sizes. */
int pv_layout_compute(const struct pv_layout_in *in, struct pv_layout *out);

#endif
