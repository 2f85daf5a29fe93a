/* PVH domain builder: an ELF kernel (or a bzImage holding one) with the
 * XEN_ELFNOTE_PHYS32_ENTRY note (type 18) loaded at its physical addresses
 * into guest-physical memory made of the domain's frames (nested paging),
 * hvm_start_info with the command line, modules and memory map after the
 * kernel, and vCPU 0 in the 32-bit
 * entry state (public/hvm_start_info.h). Guest-physical layout:
 *   RAM [0, 0xa0000), reserved [0xa0000, 0x100000), RAM [0x100000, mem)
 *   (all backed by the domain's frames; the whole gfn space ends below
 *   the xAPIC page at 0xFEE00000, which stays unmapped); for a domU, two more frames just
 *   above RAM for the console and xenstore rings (HVM_PARAM_CONSOLE_PFN /
 *   STORE_PFN, as Xen's special pages), then one for the ACPI tables
 *   (hv/build/pvh_acpi.c, start_info.rsdp_paddr): those three frames are
 *   reserved in the map. */
#include <keel/dom_build.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/elf64.h>
#include <keel/elfnote.h>
#include <keel/errno.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pv_image.h>
#include <keel/pvh_acpi.h>
#include <keel/percpu.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/wallclock.h>
#include <keel/xenstore.h>
#include <public/hvm_start_info.h>
#include <public/xen.h>

#define HVM_PARAM_STORE_PFN         1
#define HVM_PARAM_STORE_EVTCHN      2
#define HVM_PARAM_CONSOLE_PFN       17
#define HVM_PARAM_CONSOLE_EVTCHN    18
#define GFN_SLACK                   16384   /* gfns above RAM a guest may map things at */
#define LOW_HOLE_START              HVM_LOW_HOLE_START
#define LOW_HOLE_END                HVM_LOW_HOLE_END

struct pvh_layout {
    uint64_t ram_end;               /* bytes of RAM */
    uint64_t info_gpa;              /* start_info page(s) */
    uint64_t initrd_gpa;
    uint64_t ring_gfn;              /* console, then xenstore (domU) */
    uint64_t acpi_gfn;              /* the ACPI tables, RSDP first */
};
#define SPECIAL_PAGES               3   /* console, xenstore, ACPI */

/* Every RAM gfn gets a frame of the domain, in blocks of up to 2 MiB. */
static int populate_ram(struct domain *d, uint64_t pages)
{
    uint64_t gfn = 0;
    while (gfn < pages) {
        unsigned order = 9;
        while ((1UL << order) > pages - gfn)
            order--;
        mfn_t mfn;
        int rc;
        while ((rc = domain_alloc_frames(d, order, &mfn)) && order)
            order--;
        if (rc)
            return rc;
        for (uint64_t i = 0; i < (1UL << order); i++, gfn++)
            if ((rc = hvm_p2m_set(d, gfn, mfn + i, NPT_RWX)))
                return rc;
    }
    return 0;
}

static int load_kernel(struct domain *d, const struct elf_image *elf, uint64_t ram_end)
{
    for (unsigned i = 0; i < elf->nr_loads; i++) {
        const struct elf64_phdr *p = &elf->loads[i];
        if (p->p_paddr + p->p_memsz < p->p_paddr || p->p_paddr + p->p_memsz > ram_end ||
            p->p_paddr < LOW_HOLE_END)
            return -ENOMEM;
        int rc = hvm_copy_to_gpa(d, p->p_paddr, elf->data + p->p_offset, p->p_filesz);
        if (!rc)
            rc = hvm_copy_to_gpa(d, p->p_paddr + p->p_filesz, NULL, p->p_memsz - p->p_filesz);
        if (rc)
            return rc;
    }
    return 0;
}

/* start_info page: the structure, one module entry, the memory map, then
 * the command line (module's command line empty). */
static int write_start_info(struct domain *d, const struct pv_build_req *r,
                            const struct pvh_layout *l)
{
    uint8_t *page = alloc_pages(0);
    if (!page)
        return -ENOMEM;
    memset(page, 0, PAGE_SIZE);
    struct hvm_start_info *si = (void *)page;
    struct hvm_modlist_entry *mod = (void *)(page + 64);
    struct hvm_memmap_entry *map = (void *)(page + 128);
    char *cmdline = (char *)(page + 256);
    struct hvm_domain *h = d->hvm;
    h->memmap[0] = (struct e820_entry){ 0, LOW_HOLE_START, E820_RAM };
    h->memmap[1] = (struct e820_entry){ LOW_HOLE_START, LOW_HOLE_END - LOW_HOLE_START, E820_RESERVED };
    h->memmap[2] = (struct e820_entry){ LOW_HOLE_END, l->ram_end - LOW_HOLE_END, E820_RAM };
    h->memmap[3] = (struct e820_entry){ l->ring_gfn << PAGE_SHIFT, SPECIAL_PAGES << PAGE_SHIFT,
                                        E820_RESERVED };
    h->nr_memmap = 4;
    for (unsigned i = 0; i < h->nr_memmap; i++)
        map[i] = (struct hvm_memmap_entry){ h->memmap[i].addr, h->memmap[i].size,
                                            h->memmap[i].type, 0 };
    keel_strlcpy(cmdline, r->cmdline ? r->cmdline : "", PAGE_SIZE - 256);
    si->magic = HVM_START_MAGIC;
    si->version = 1;
    si->flags = r->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
    si->cmdline_paddr = l->info_gpa + 256;
    si->memmap_paddr = l->info_gpa + 128;
    si->memmap_entries = h->nr_memmap;
    si->rsdp_paddr = l->acpi_gfn << PAGE_SHIFT;
    if (r->initrd_len) {
        si->nr_modules = 1;
        si->modlist_paddr = l->info_gpa + 64;
        mod->paddr = l->initrd_gpa;
        mod->size = r->initrd_len;
    }
    int rc = hvm_copy_to_gpa(d, l->info_gpa, page, PAGE_SIZE);
    free_pages(page, 0);
    return rc;
}

/* domU: console and xenstore rings served by Keel (as for PV domUs). */
static int attach_rings(struct domain *d, const struct pv_build_req *r, const struct pvh_layout *l)
{
    struct hvm_domain *h = d->hvm;
    for (unsigned i = 0; i < 2; i++) {
        mfn_t mfn;
        int rc = domain_alloc_frames(d, 0, &mfn);
        if (!rc)
            rc = hvm_p2m_set(d, l->ring_gfn + i, mfn, NPT_R | NPT_W);
        /* The attach holds the frame while Keel writes the ring: a guest
         * giving it back only unmaps it (domain_take_frame defers it), as
         * Xen keeps a page the backend still maps. */
        if (rc)
            return rc;
        int port = i == 0 ? console_ring_attach(d, mfn)
                          : xenstore_attach(d, mfn, r->mem_bytes >> 10, MAX(r->nr_vcpus, 1U));
        if (port < 0)
            log_err("build: %s: no %s ring (%d)\n", r->name, i ? "xenstore" : "console", port);
        h->params[i ? HVM_PARAM_STORE_PFN : HVM_PARAM_CONSOLE_PFN] = l->ring_gfn + i;
        h->params[i ? HVM_PARAM_STORE_EVTCHN : HVM_PARAM_CONSOLE_EVTCHN] = port > 0 ? (uint64_t)port : 0;
    }
    return 0;
}

/* The ACPI tables (MADT with every vCPU: Linux needs it even for one,
 * for its Xen clock event; notes: linux-pvh-needs.md §6). */
static int write_acpi(struct domain *d, const struct pv_build_req *r, const struct pvh_layout *l)
{
    uint8_t *page = alloc_pages(0);
    mfn_t mfn;
    if (!page)
        return -ENOMEM;
    int rc = pvh_acpi_build(page, PAGE_SIZE, l->acpi_gfn << PAGE_SHIFT, MAX(r->nr_vcpus, 1U))
             ? domain_alloc_frames(d, 0, &mfn) : -EINVAL;
    if (!rc)
        rc = hvm_p2m_set(d, l->acpi_gfn, mfn, NPT_R | NPT_W);
    if (!rc)
        rc = hvm_copy_to_gpa(d, l->acpi_gfn << PAGE_SHIFT, page, PAGE_SIZE);
    free_pages(page, 0);
    return rc;
}

static int make_vcpus(struct domain *d, const struct pv_build_req *r, uint32_t entry,
                      uint64_t info_gpa)
{
    for (unsigned i = 0; i < MAX(r->nr_vcpus, 1U); i++) {
        struct vcpu *v = vcpu_create(d, i, (r->first_cpu + i) % nr_cpus_online);
        if (!v)
            return -ENOMEM;
        int rc = hvm_vcpu_init(v);
        if (rc)
            return rc;
        if (i)
            continue;                   /* others wait for VCPUOP_initialise and up */
        v->regs.rip = entry;
        v->regs.rbx = info_gpa;
        v->regs.rflags = 2;
        v->initialised = true;
        v->online = true;
    }
    return 0;
}

struct unpacked {
    const uint8_t *elf;
    size_t len;
    uint8_t *buf;                       /* the decompressed ELF, freed after the build */
    unsigned order;
};

/* A raw ELF is used as it is; a bzImage carries it compressed and goes
 * through the PV loader's parser and decompressors (so its checks apply:
 * such a kernel needs its PV notes too, as Debian's have). */
static int unpack(const struct pv_build_req *r, struct unpacked *u)
{
    static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };
    size_t size = 0;
    *u = (struct unpacked){ .elf = r->image, .len = r->image_len };
    if (r->image_len >= 4 && !memcmp(r->image, elf_magic, 4))
        return 0;
    if (pv_image_unpacked_size(r->image, r->image_len, &size) < 0) {
        log_err("build: %s: neither an ELF nor a bzImage\n", r->name);
        return -EINVAL;
    }
    struct pv_image img;
    struct pv_image_opts opts = { .privileged = r->privileged };
    if (size) {
        while ((PAGE_SIZE << u->order) < size && u->order < 16)
            u->order++;
        if (!(u->buf = alloc_pages(u->order)))
            return -ENOMEM;
        opts.unpack_buf = u->buf;
        opts.unpack_max = PAGE_SIZE << u->order;
    }
    if (pv_image_parse(r->image, r->image_len, &img, &opts)) {
        log_err("build: %s: bzImage refused\n", r->name);
        return -EINVAL;
    }
    u->elf = img.elf;
    u->len = img.elf_len;
    return 0;
}

static void unpacked_free(struct unpacked *u)
{
    if (u->buf)
        free_pages(u->buf, u->order);
    u->buf = NULL;
}

static int check_image(const struct unpacked *u, const struct pv_build_req *r,
                       struct elf_image *elf, uint32_t *entry)
{
    struct xen_elfnotes notes;
    if (elf_image_check(u->elf, u->len, elf) || xen_notes_parse(elf, &notes)) {
        log_err("build: %s: not an ELF64 kernel with Xen notes\n", r->name);
        return -EINVAL;
    }
    if (!xen_note_has(&notes, XEN_ELFNOTE_PHYS32_ENTRY)) {
        log_err("build: %s: no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel\n", r->name);
        return -ENOEXEC;
    }
    *entry = notes.phys32_entry;
    return 0;
}

static int build(const struct pv_build_req *r, const struct elf_image *elf, uint32_t entry,
                 struct domain **out);

int pvh_build_domain(const struct pv_build_req *r, struct domain **out)
{
    struct elf_image elf;
    struct unpacked u;
    uint32_t entry;
    int rc;
    if (!hvm_available()) {
        log_err("build: %s: PVH needs SVM or VMX with nested paging (hvm: none)\n", r->name);
        return -ENODEV;
    }
    rc = unpack(r, &u);
    if (!rc)
        rc = check_image(&u, r, &elf, &entry);
    if (!rc)
        rc = build(r, &elf, entry, out);
    unpacked_free(&u);
    return rc;
}

static int build(const struct pv_build_req *r, const struct elf_image *elf, uint32_t entry,
                 struct domain **out)
{
    int rc;
    uint64_t pages = r->mem_bytes >> PAGE_SHIFT;
    struct pvh_layout l = { .ram_end = pages << PAGE_SHIFT, .ring_gfn = pages, .acpi_gfn = pages + 2 };
    l.info_gpa = (elf->paddr_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    l.initrd_gpa = l.info_gpa + PAGE_SIZE;
    if (l.initrd_gpa + r->initrd_len > l.ram_end || pages < (LOW_HOLE_END >> PAGE_SHIFT)) {
        log_err("build: %s: %lu MiB is too small for the kernel and initrd\n", r->name,
                r->mem_bytes >> 20);
        return -ENOMEM;
    }
    /* The whole guest-physical space (RAM, special pages, slack) stays
     * below the xAPIC page, which is never RAM (arch/x86_64/hvm/hvm_mmio.c);
     * there is no RAM above 4 GiB in this layout yet. */
    if (pages + GFN_SLACK > (PVH_LAPIC_ADDR >> PAGE_SHIFT)) {
        log_err("build: %s: %lu MiB: a PVH domain has at most %u MiB (RAM ends below the LAPIC page)\n",
                r->name, r->mem_bytes >> 20, ((PVH_LAPIC_ADDR >> PAGE_SHIFT) - GFN_SLACK) >> 8);
        return -ENOMEM;
    }
    struct domain *d = domain_create(r->privileged ? 0 : -1, r->name, r->privileged,
                                      pages + 1 + SPECIAL_PAGES);
    if (!d)
        return -ENOMEM;
    rc = hvm_domain_init(d, pages + GFN_SLACK);
    if (!rc) {
        d->hvm->ram_pages = pages;
        rc = populate_ram(d, pages);
    }
    if (!rc && !(rc = domain_alloc_frames(d, 0, &d->shared_info_mfn))) {
        d->shared_info = mfn_to_virt(d->shared_info_mfn);
        wallclock_publish(d);
    }
    if (!rc)
        rc = load_kernel(d, elf, l.ram_end);
    if (!rc && r->initrd_len)
        rc = hvm_copy_to_gpa(d, l.initrd_gpa, r->initrd, r->initrd_len);
    if (!rc)
        rc = write_acpi(d, r, &l);
    if (!rc)
        rc = write_start_info(d, r, &l);
    if (!rc && !r->privileged && r->hv_backends)
        rc = attach_rings(d, r, &l);
    if (!rc)
        rc = make_vcpus(d, r, entry, l.info_gpa);
    if (rc) {
        log_err("build: %s: PVH domain not built (%d)\n", r->name, rc);
        for (unsigned i = 0; i < d->nr_vcpus; i++)
            if (d->vcpu[i])
                vcpu_destroy(d->vcpu[i]);
        domain_destroy(d);
        return rc;
    }
    log_info("build: domain %u '%s': PVH ELF kernel, entry %#x, %lu MiB, start_info at %#lx, %u vCPU(s)\n",
             d->id, d->name, entry, r->mem_bytes >> 20, l.info_gpa, MAX(r->nr_vcpus, 1U));
    d->state = DOMAIN_RUNNING;
    *out = d;
    return 0;
}
