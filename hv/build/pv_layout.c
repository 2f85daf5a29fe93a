/* Start-of-day layout of a PV domain (pure). See pv_layout.h.
 *
 * Region order (ref §2.1 rule 3): kernel, initrd [only without
 * MOD_START_PFN], p2m list [only without INIT_P2M], start_info, xenstore and
 * console pages [domU only, §2.6 step 4], bootstrap page tables, one stack
 * page, then padding to a 4 MiB-aligned end at least 512 KiB past the stack
 * (§2.1 rules 2 and 7). After the region: the unmapped initrd (§2.6 step 8,
 * §2.7), then the p2m list and the page tables that map it at INIT_P2M (§2.6
 * step 9). Xen's dom0 maps the INIT_P2M list with superpages where it can
 * (§2.7); we always count 4 KiB mappings, which Linux accepts equally and
 * which is the domU layout. The vCPU count does not change the layout: only
 * vCPU 0 gets a stack here, the guest brings up the others itself. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/pv_layout.h>
#include <keel/string.h>

#define L1_SPAN_SHIFT       21      /* one L1 table maps 2 MiB */
#define L2_SPAN_SHIFT       30      /* one L2 maps 1 GiB */
#define L3_SPAN_SHIFT       39      /* one L3 maps 512 GiB */
#define PV_LAYOUT_MAX_PAGES (1UL << 35)
#define LINUX_L2_SPAN       GiB(1)  /* §2.2: Linux reuses one L2 of the region */
#define GUEST_VA_HOLE_START 0x0000800000000000UL    /* §3.3 */
#define GUEST_VA_HOLE_END   0xffff880000000000UL

static uint64_t pages_for(uint64_t bytes)
{
    return bytes / PAGE_SIZE + (bytes % PAGE_SIZE != 0);
}

/* Number of tables of one level needed for [start, end), end > start. */
static unsigned tables_for(uint64_t start, uint64_t end, unsigned span_shift)
{
    return (unsigned)(((end - 1) >> span_shift) - (start >> span_shift) + 1);
}

static uint64_t va_of(const struct pv_layout *l, uint64_t pfn)
{
    return l->v_start + pfn * PAGE_SIZE;
}

/* Takes `pages` frames at *next, mapped in the region. */
static void place_mapped(struct pv_layout *l, struct pv_range *r, uint64_t *next, uint64_t pages)
{
    r->pfn = *next;
    r->pages = pages;
    r->va = va_of(l, *next);
    *next += pages;
}

static void place_unmapped(struct pv_range *r, uint64_t *next, uint64_t pages)
{
    r->pfn = *next;
    r->pages = pages;
    r->va = 0;
    *next += pages;
}

static int check_input(const struct pv_layout_in *in)
{
    if (!IS_ALIGNED(in->virt_base, PAGE_SIZE) || in->virt_kstart < in->virt_base ||
        in->virt_kend <= in->virt_kstart) {
        log_err("pv layout: bad kernel range [0x%lx, 0x%lx) for VIRT_BASE 0x%lx\n",
                in->virt_kstart, in->virt_kend, in->virt_base);
        return -EINVAL;
    }
    if (!in->nr_pages || !in->nr_vcpus) {
        log_err("pv layout: domain needs at least one page and one vCPU (%lu pages, %u vCPUs)\n",
                in->nr_pages, in->nr_vcpus);
        return -EINVAL;
    }
    /* §3.3: at most 2^35 machine frames exist (M2P size); a larger count
     * is nonsense, and the bound keeps p2m sizes far from overflow. */
    if (in->nr_pages > PV_LAYOUT_MAX_PAGES) {
        log_err("pv layout: %lu pages is more than any machine has\n", in->nr_pages);
        return -EINVAL;
    }
    return 0;
}

/* Bounds every later sum: the region's contents before the page tables,
 * plus an upper bound of the tables (under 1/256 of the region + 16), the
 * stack and two alignment steps must fit above VIRT_BASE. */
static int check_region_room(const struct pv_layout_in *in, const struct pv_layout *l,
                             uint64_t p2m_pages)
{
    uint64_t room = (UINT64_MAX - in->virt_base) / PAGE_SIZE;
    uint64_t content = pages_for(in->virt_kend - in->virt_base) + 3;

    if (l->initrd_mapped)
        content += pages_for(in->initrd_len);
    if (!l->p2m_at_init_p2m)
        content += p2m_pages;
    if (content > room || room - content < content / 256 + 16 + 3 * 1024) {
        log_err("pv layout: bootstrap region of at least %lu pages does not fit above VIRT_BASE 0x%lx\n",
                content, in->virt_base);
        return -EINVAL;
    }
    return 0;
}

/* Bootstrap page tables: find the smallest count n such that tables for
 * [v_start, end(n)) number n, where end(n) is the padded region end with n
 * table pages and the stack after `next` (ref §9.1 step 3, §2.6 step 5). */
static void place_page_tables(struct pv_layout *l, uint64_t *next)
{
    uint64_t nr = 1;

    for (;;) {
        uint64_t stack_end = va_of(l, *next + nr + 1);
        l->v_end = ALIGN_UP(stack_end + PV_LAYOUT_PAD, PV_LAYOUT_ALIGN);
        l->nr_l4 = 1;
        l->nr_l3 = tables_for(l->v_start, l->v_end, L3_SPAN_SHIFT);
        l->nr_l2 = tables_for(l->v_start, l->v_end, L2_SPAN_SHIFT);
        l->nr_l1 = tables_for(l->v_start, l->v_end, L1_SPAN_SHIFT);
        uint64_t need = (uint64_t)l->nr_l4 + l->nr_l3 + l->nr_l2 + l->nr_l1;
        if (need <= nr)
            break;
        nr = need;
    }
    place_mapped(l, &l->pt, next, nr);
    place_mapped(l, &l->stack, next, 1);
    l->region_pages = (l->v_end - l->v_start) / PAGE_SIZE;
    l->ro_start = l->pt.va;
    l->ro_end = l->pt.va + nr * PAGE_SIZE;
    l->pt_base = l->pt.va;
    l->nr_pt_frames = nr;
    l->stack_top = l->stack.va + PAGE_SIZE;
}

static void place_region(const struct pv_layout_in *in, struct pv_layout *l, uint64_t p2m_pages)
{
    uint64_t kfirst = (in->virt_kstart - l->v_start) / PAGE_SIZE;
    uint64_t next = pages_for(in->virt_kend - l->v_start);

    l->kernel.pfn = kfirst;
    l->kernel.pages = next - kfirst;
    l->kernel.va = va_of(l, kfirst);
    if (l->initrd_mapped)
        place_mapped(l, &l->initrd, &next, pages_for(in->initrd_len));
    if (!l->p2m_at_init_p2m) {
        place_mapped(l, &l->p2m, &next, p2m_pages);
        l->mfn_list = l->p2m.va;
    }
    place_mapped(l, &l->start_info, &next, 1);
    if (!in->dom0) {
        place_mapped(l, &l->xenstore, &next, 1);
        place_mapped(l, &l->console, &next, 1);
    }
    place_page_tables(l, &next);
}

static bool in_hole(uint64_t start, uint64_t end)
{
    return start < GUEST_VA_HOLE_END && end > GUEST_VA_HOLE_START;
}

/* The p2m list at INIT_P2M (ref §2.2, §2.6 step 9): its own L3/L2/L1
 * tables under an L4 slot that the region does not use. */
static int check_init_p2m(const struct pv_layout *l, uint64_t p2m_pages)
{
    uint64_t start = l->p2m.va, bytes = p2m_pages * PAGE_SIZE;

    if (!IS_ALIGNED(start, PAGE_SIZE) || start + bytes < start) {
        log_err("pv layout: INIT_P2M 0x%lx unaligned or wrapping (%lu p2m pages)\n",
                start, p2m_pages);
        return -EINVAL;
    }
    if (in_hole(start, start + bytes)) {
        log_err("pv layout: p2m list at [0x%lx, 0x%lx) is in the non-canonical or hypervisor range\n",
                start, start + bytes);
        return -EINVAL;
    }
    if ((start + bytes - 1) >> L3_SPAN_SHIFT >= l->v_start >> L3_SPAN_SHIFT &&
        start >> L3_SPAN_SHIFT <= (l->v_end - 1) >> L3_SPAN_SHIFT) {
        log_err("pv layout: p2m list at [0x%lx, 0x%lx) shares an L4 slot with the region [0x%lx, 0x%lx)\n",
                start, start + bytes, l->v_start, l->v_end);
        return -EINVAL;
    }
    return 0;
}

static int place_outside(const struct pv_layout_in *in, struct pv_layout *l, uint64_t p2m_pages)
{
    uint64_t next = l->region_pages;

    if (!l->initrd_mapped)
        place_unmapped(&l->initrd, &next, pages_for(in->initrd_len));
    if (l->p2m_at_init_p2m) {
        l->p2m.va = in->init_p2m;
        int rc = check_init_p2m(l, p2m_pages);
        if (rc)
            return rc;
        uint64_t end = in->init_p2m + p2m_pages * PAGE_SIZE;
        l->p2m_nr_l3 = tables_for(in->init_p2m, end, L3_SPAN_SHIFT);
        l->p2m_nr_l2 = tables_for(in->init_p2m, end, L2_SPAN_SHIFT);
        l->p2m_nr_l1 = tables_for(in->init_p2m, end, L1_SPAN_SHIFT);
        l->p2m.pfn = next;
        l->p2m.pages = p2m_pages;
        next += p2m_pages;
        place_unmapped(&l->p2m_pt, &next, (uint64_t)l->p2m_nr_l3 + l->p2m_nr_l2 + l->p2m_nr_l1);
        l->mfn_list = in->init_p2m;
        l->first_p2m_pfn = l->p2m.pfn;
        l->nr_p2m_frames = l->p2m.pages + l->p2m_pt.pages;
    }
    l->pages_used = next;
    return 0;
}

static void set_module(const struct pv_layout_in *in, struct pv_layout *l)
{
    if (!in->initrd_len)
        return;
    l->mod_start = l->initrd_mapped ? l->initrd.va : l->initrd.pfn;
    /* §2.6 step 8: libxenguest passes whole pages; Xen's dom0 the length. */
    l->mod_len = in->dom0 ? in->initrd_len : l->initrd.pages * PAGE_SIZE;
}

static int check_fits(const struct pv_layout_in *in, const struct pv_layout *l)
{
    if (in_hole(l->v_start, l->v_end)) {
        log_err("pv layout: region [0x%lx, 0x%lx) is in the non-canonical or hypervisor range\n",
                l->v_start, l->v_end);
        return -EINVAL;
    }
    if (l->v_end - l->v_start > LINUX_L2_SPAN)
        log_warn("pv layout: bootstrap region of %lu MiB exceeds the 1 GiB Linux maps from it\n",
                 (l->v_end - l->v_start) >> 20);
    if (l->pages_used > in->nr_pages) {
        log_err("pv layout: domain memory too small: %lu pages (%lu KiB) given, %lu pages (%lu KiB) needed: "
                "region %lu pages (kernel %lu), initrd %lu, p2m %lu + %lu tables\n",
                in->nr_pages, in->nr_pages * 4, l->pages_used, l->pages_used * 4,
                l->region_pages, l->kernel.pages, l->initrd.pages, l->p2m.pages, l->p2m_pt.pages);
        return -ENOMEM;
    }
    return 0;
}

int pv_layout_compute(const struct pv_layout_in *in, struct pv_layout *out)
{
    memset(out, 0, sizeof(*out));
    int rc = check_input(in);
    if (rc)
        return rc;

    /* One p2m entry (8 bytes) per PFN, whole pages (§2.2: Linux writes up
     * to the next multiple of 512 entries). */
    uint64_t p2m_pages = in->nr_pages / 512 + (in->nr_pages % 512 != 0);

    out->v_start = in->virt_base;
    out->initrd_mapped = in->initrd_len && !in->mod_start_pfn;
    out->p2m_at_init_p2m = in->has_init_p2m;
    if (pages_for(in->initrd_len) > in->nr_pages) {
        log_err("pv layout: domain memory too small: %lu pages for an initrd of %lu bytes\n",
                in->nr_pages, in->initrd_len);
        return -ENOMEM;
    }
    rc = check_region_room(in, out, p2m_pages);
    if (rc)
        return rc;
    place_region(in, out, p2m_pages);
    rc = place_outside(in, out, p2m_pages);
    if (rc)
        return rc;
    set_module(in, out);
    return check_fits(in, out);
}
