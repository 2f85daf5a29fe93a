/* PV domain builder, hypervisor side (see include/keel/dom_build.h).
 * Layout and register state: ref/xen-pv-abi.md 2.1-2.7, 4.2, 9.1-9.2. */
#include <keel/dom_build.h>
#include <keel/console.h>
#include <keel/wallclock.h>
#include <keel/xenstore.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/m2p.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/pv_glue.h>
#include <keel/pv_image.h>
#include <keel/pv_layout.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <public/xen.h>

#define PT_UPPER    (PTE_P | PTE_W | PTE_U | PTE_A)
#define PT_LEAF     (PTE_P | PTE_U | PTE_A | PTE_D)

struct builder {
    struct domain *d;
    const struct pv_layout *lay;
    mfn_t *p2m;                 /* pfn -> mfn, the hypervisor's copy */
    uint64_t nr_pages;
    uint64_t next_pt;           /* next unused page-table pfn */
    uint64_t pt_end;
};

static void *pfn_ptr(struct builder *b, uint64_t pfn)
{
    return mfn_to_virt(b->p2m[pfn]);
}

/* Takes every frame of the domain, in blocks of up to 2 MiB. */
static int alloc_memory(struct builder *b)
{
    uint64_t pfn = 0;
    while (pfn < b->nr_pages) {
        unsigned order = 9;
        while ((1UL << order) > b->nr_pages - pfn)
            order--;
        mfn_t mfn;
        int rc;
        while ((rc = domain_alloc_frames(b->d, order, &mfn)) && order)
            order--;
        if (rc)
            return rc;
        for (uint64_t i = 0; i < (1UL << order); i++, pfn++) {
            b->p2m[pfn] = mfn + i;
            m2p_set(mfn + i, pfn);
        }
    }
    return 0;
}

static int copy_in(struct builder *b, uint64_t paddr, const uint8_t *src, uint64_t len)
{
    while (len) {
        uint64_t pfn = paddr >> PAGE_SHIFT, off = paddr & (PAGE_SIZE - 1);
        uint64_t n = MIN(len, PAGE_SIZE - off);
        if (pfn >= b->nr_pages)
            return -ENOMEM;
        if (src)
            memcpy((uint8_t *)pfn_ptr(b, pfn) + off, src, n);
        else
            memset((uint8_t *)pfn_ptr(b, pfn) + off, 0, n);
        paddr += n, len -= n;
        if (src)
            src += n;
    }
    return 0;
}

static uint64_t take_pt_page(struct builder *b)
{
    if (b->next_pt >= b->pt_end)
        return ~0UL;
    memset(pfn_ptr(b, b->next_pt), 0, PAGE_SIZE);
    return b->next_pt++;
}

/* Maps va -> pfn in the bootstrap tables, taking table pages in order. */
static int map_va(struct builder *b, uint64_t l4_pfn, uint64_t va, uint64_t pfn, bool writable)
{
    pte_t *t = pfn_ptr(b, l4_pfn);
    for (unsigned level = 4; level > 1; level--) {
        pte_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(*e & PTE_P)) {
            uint64_t p = take_pt_page(b);
            if (p == ~0UL)
                return -ENOMEM;
            *e = (b->p2m[p] << PAGE_SHIFT) | PT_UPPER;
        }
        t = mfn_to_virt((*e & PTE_ADDR) >> PAGE_SHIFT);
    }
    t[(va >> 12) & 511] = (b->p2m[pfn] << PAGE_SHIFT) | PT_LEAF | (writable ? PTE_W : 0);
    return 0;
}

static int build_page_tables(struct builder *b)
{
    const struct pv_layout *l = b->lay;
    b->next_pt = l->pt.pfn;
    b->pt_end = l->pt.pfn + l->pt.pages;
    uint64_t l4 = take_pt_page(b);
    pte_t *t4 = pfn_ptr(b, l4);
    for (unsigned s = L4_SLOT(HV_VIRT_START); s < L4_SLOT(HV_VIRT_START) + 16; s++)
        t4[s] = hv_l4[s];
    for (uint64_t pfn = 0; pfn < l->region_pages; pfn++) {
        uint64_t va = l->v_start + pfn * PAGE_SIZE;
        bool ro = va >= l->ro_start && va < l->ro_end;
        if (map_va(b, l4, va, pfn, !ro))
            return -ENOMEM;
    }
    if (l->p2m_at_init_p2m) {
        b->next_pt = l->p2m_pt.pfn;
        b->pt_end = l->p2m_pt.pfn + l->p2m_pt.pages;
        for (uint64_t i = 0; i < l->p2m.pages; i++)
            if (map_va(b, l4, l->p2m.va + i * PAGE_SIZE, l->p2m.pfn + i, true))
                return -ENOMEM;
    }
    return 0;
}

/* Hypercall page (ref 4.2): slot n = push rcx; push r11; mov eax, n;
 * syscall; pop r11; pop rcx; ret. Slot 23 (iret) = push rcx; push r11;
 * push rax; mov eax, 23; syscall. */
static void write_hypercall_page(uint8_t *p)
{
    memset(p, 0xcc, PAGE_SIZE);
    for (unsigned n = 0; n < PAGE_SIZE / 32; n++) {
        uint8_t *s = p + n * 32;
        unsigned i = 0;
        s[i++] = 0x51;
        s[i++] = 0x41, s[i++] = 0x53;
        if (n == __HYPERVISOR_iret)
            s[i++] = 0x50;
        s[i++] = 0xb8;
        memcpy(&s[i], &n, 4), i += 4;
        s[i++] = 0x0f, s[i++] = 0x05;
        if (n != __HYPERVISOR_iret) {
            s[i++] = 0x41, s[i++] = 0x5b;
            s[i++] = 0x59;
            s[i++] = 0xc3;
        }
    }
}

static void write_start_info(struct builder *b, const struct pv_build_req *r, const struct pv_image *img)
{
    const struct pv_layout *l = b->lay;
    struct start_info *si = pfn_ptr(b, l->start_info.pfn);
    memset(si, 0, PAGE_SIZE);
    keel_strlcpy(si->magic, START_INFO_MAGIC_X86_64, sizeof(si->magic));
    si->nr_pages = b->nr_pages;
    si->shared_info = b->d->shared_info_mfn << PAGE_SHIFT;
    si->flags = r->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
    if (r->initrd_len && !l->initrd_mapped)
        si->flags |= SIF_MOD_START_PFN;
    if (!r->privileged) {
        si->store_mfn = b->p2m[l->xenstore.pfn];
        si->console.domU.mfn = b->p2m[l->console.pfn];
        /* No backend domain serves boot-module domUs: Keel serves the
         * console ring (hv/console_ring.c) and the store (hv/xenstore.c). */
        int port = r->hv_backends ? console_ring_attach(b->d, si->console.domU.mfn) : 0;
        if (port > 0)
            si->console.domU.evtchn = (uint32_t)port;
        else if (port < 0)
            log_err("build: %s: no console ring (%d)\n", r->name, port);
        port = r->hv_backends ? xenstore_attach(b->d, si->store_mfn, r->mem_bytes >> 10,
                                                MAX(r->nr_vcpus, 1U)) : 0;
        if (port > 0)
            si->store_evtchn = (uint32_t)port;
        else if (port < 0)
            log_err("build: %s: no xenstore (%d)\n", r->name, port);
    }
    si->pt_base = l->pt_base;
    si->nr_pt_frames = l->nr_pt_frames;
    si->mfn_list = l->mfn_list;
    si->mod_start = r->initrd_len ? l->mod_start : 0;
    si->mod_len = r->initrd_len ? l->mod_len : 0;
    keel_strlcpy(si->cmd_line, r->cmdline ? r->cmdline : "", sizeof(si->cmd_line));
    si->first_p2m_pfn = l->first_p2m_pfn;
    si->nr_p2m_frames = l->nr_p2m_frames;
    (void)img;
}

static int load(struct builder *b, const struct pv_build_req *r, const struct pv_image *img)
{
    const struct pv_layout *l = b->lay;
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct pv_segment *s = &img->segs[i];
        uint64_t phys = s->dest;
        if (copy_in(b, phys, img->elf + s->file_off, s->file_size) ||
            copy_in(b, phys + s->file_size, NULL, s->zero_size))
            return -ENOMEM;
    }
    if (r->initrd_len && copy_in(b, l->initrd.pfn << PAGE_SHIFT, r->initrd, r->initrd_len))
        return -ENOMEM;
    uint64_t *p2m_list = NULL;
    for (uint64_t pfn = 0; pfn < b->nr_pages; pfn++) {
        if (pfn % 512 == 0)
            p2m_list = pfn_ptr(b, l->p2m.pfn + pfn / 512);
        p2m_list[pfn % 512] = b->p2m[pfn];
    }
    if (build_page_tables(b))
        return -ENOMEM;
    if (img->hypercall_page) {
        uint64_t pfn = (img->hypercall_page - l->v_start) >> PAGE_SHIFT;
        write_hypercall_page(pfn_ptr(b, pfn));
    }
    write_start_info(b, r, img);
    return 0;
}

int pv_build_domain(const struct pv_build_req *r, struct domain **out)
{
    struct pv_image img;
    struct pv_image_opts opts = { .privileged = r->privileged };
    size_t unpacked = 0;
    uint8_t *buf = NULL;
    unsigned buf_order = 0;
    int rc;

    if (pv_image_unpacked_size(r->image, r->image_len, &unpacked) < 0) {
        log_err("build: %s: not a PV kernel image\n", r->name);
        return -EINVAL;
    }
    if (unpacked) {
        while ((PAGE_SIZE << buf_order) < unpacked && buf_order < 16)
            buf_order++;
        buf = alloc_pages(buf_order);
        if (!buf) {
            log_err("build: %s: no memory to unpack %zu bytes\n", r->name, unpacked);
            return -ENOMEM;
        }
        opts.unpack_buf = buf;
        opts.unpack_max = PAGE_SIZE << buf_order;
    }
    rc = pv_image_parse(r->image, r->image_len, &img, &opts);
    if (rc) {
        log_err("build: %s: image refused (%d)\n", r->name, rc);
        goto out_buf;
    }

    struct pv_layout_in in = { 0 };
    struct pv_layout lay;
    pv_layout_in_from_image(&img, &in);
    in.nr_pages = r->mem_bytes >> PAGE_SHIFT;
    in.initrd_len = r->initrd_len;
    in.nr_vcpus = r->nr_vcpus;
    in.dom0 = r->privileged;
    rc = pv_layout_compute(&in, &lay);
    if (rc)
        goto out_buf;

    struct domain *d = domain_create(r->privileged ? 0 : -1, r->name, r->privileged, in.nr_pages + 1);
    if (!d) {
        rc = -ENOMEM;
        goto out_buf;
    }
    struct builder b = { .d = d, .lay = &lay, .nr_pages = in.nr_pages };
    b.p2m = kmalloc(in.nr_pages * sizeof(mfn_t));
    rc = b.p2m ? alloc_memory(&b) : -ENOMEM;
    if (!rc && (rc = domain_alloc_frames(d, 0, &d->shared_info_mfn)) == 0) {
        d->shared_info = mfn_to_virt(d->shared_info_mfn);
        for (unsigned i = 0; i < 32; i++)       /* events masked in every legacy slot (ref 2.3) */
            ((uint8_t *)d->shared_info)[64 * i + 1] = 1;
        wallclock_publish(d);
    }
    if (!rc)
        rc = load(&b, r, &img);
    for (unsigned i = 0; !rc && i < MAX(r->nr_vcpus, 1U); i++) {
        unsigned cpu = (r->first_cpu + i) % nr_cpus_online;
        struct vcpu *v = vcpu_create(d, i, cpu);
        if (!v) {
            rc = -ENOMEM;
            break;
        }
        /* The bootstrap L4 is pinned and is vCPU 0's base: both validate
         * the whole tree through the same rules as any guest update. */
        if (i == 0) {
            struct pv_mm_ctx *ctx = &d->mm_ctx;
            mfn_t l4 = b.p2m[lay.pt.pfn];
            rc = pv_pin(ctx, l4, 4);
            if (!rc)
                rc = pv_vcpu_set_base(v, l4, false);
            if (rc) {
                log_err("build: %s: the bootstrap page tables do not validate (%d)\n", r->name, rc);
                break;
            }
        } else {
            continue;                   /* others wait for VCPUOP_initialise and up */
        }
        v->regs.rip = img.entry;
        v->regs.rsp = lay.stack_top;
        v->regs.rsi = lay.start_info.va;
        v->kernel_sp = lay.stack_top;
        v->initialised = true;
        v->online = true;
    }
    kfree(b.p2m);
    if (rc) {
        log_err("build: %s: out of memory building the domain (%d)\n", r->name, rc);
        for (unsigned i = 0; i < d->nr_vcpus; i++)
            if (d->vcpu[i])
                vcpu_destroy(d->vcpu[i]);
        domain_destroy(d);
        goto out_buf;
    }
    log_info("build: domain %u '%s': %s %s kernel, entry %lx, %lu MiB, region %lx-%lx, %u vCPU(s)\n",
             d->id, d->name, img.from_bzimage ? "bzImage" : "ELF", img.format, img.entry,
             r->mem_bytes >> 20, lay.v_start, lay.v_end, MAX(r->nr_vcpus, 1U));
    d->state = DOMAIN_RUNNING;
    *out = d;
out_buf:
    if (buf)
        free_pages(buf, buf_order);
    return rc;
}
