/* PV kernel image: unwrap, check, describe (pure). See pv_image.h. */
#include <keel/bzimage.h>
#include <keel/elf64.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/pv_image.h>
#include <keel/string.h>

/* Ref §3.3: guest addresses must be canonical and outside the hypervisor
 * hole; together that is everything from the top of the lower half up to
 * HYPERVISOR_VIRT_END. */
#define GUEST_VA_HOLE_START     0x0000800000000000UL
#define GUEST_VA_HOLE_END       0xffff880000000000UL

static bool va_in_hole(uint64_t start, uint64_t end)
{
    return start < GUEST_VA_HOLE_END && end > GUEST_VA_HOLE_START;
}

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

int pv_image_unpacked_size(const uint8_t *img, size_t len, size_t *size)
{
    struct bzimage bz;

    *size = 0;
    if (!bzimage_detect(img, len))
        return 0;
    int rc = bzimage_probe(img, len, &bz);
    if (!rc && bz.compressed)
        *size = bz.unpacked_size;
    return rc;
}

static int unwrap(const uint8_t *img, size_t len, struct pv_image *out,
                  const struct pv_image_opts *opts)
{
    struct bzimage bz;
    size_t n;

    out->elf = img;
    out->elf_len = len;
    out->format = "elf";
    if (!bzimage_detect(img, len))
        return 0;

    int rc = bzimage_probe(img, len, &bz);
    if (rc)
        return rc;
    out->from_bzimage = true;
    out->format = bz.format;
    if (!bz.compressed) {
        out->elf = img + bz.payload_off;
        out->elf_len = bz.payload_len;
        return 0;
    }
    if (!opts->unpack_buf) {
        log_err("pv image: compressed bzImage but no buffer to unpack it into\n");
        return -ENOSPC;
    }
    rc = bzimage_unpack(&bz, img, opts->unpack_buf, opts->unpack_max, &n);
    if (rc)
        return rc;
    out->elf = opts->unpack_buf;
    out->elf_len = n;
    return 0;
}

/* Ref §1.3 last paragraph: what Xen requires of a PV image's notes. */
static int check_notes(const struct xen_elfnotes *n, const struct pv_image_opts *opts)
{
    if (!xen_note_has(n, XEN_ELFNOTE_XEN_VERSION)) {
        log_err("pv image: no XEN_VERSION note\n");
        return -EINVAL;
    }
    if (!starts_with(n->xen_version, "xen-3.0")) {
        log_err("pv image: XEN_VERSION note '%s' does not start with xen-3.0\n", n->xen_version);
        return -EINVAL;
    }
    if (!starts_with(n->loader, "generic") && !starts_with(n->guest_os, "linux")) {
        log_err("pv image: neither LOADER generic ('%s') nor GUEST_OS linux ('%s')\n",
                n->loader, n->guest_os);
        return -EINVAL;
    }
    /* Ref §1.3, §9.1 step 2: only a SUPPORTED_FEATURES note lacking the
     * dom0 bit refuses dom0; a kernel without the note is accepted. */
    if (opts->privileged && xen_note_has(n, XEN_ELFNOTE_SUPPORTED_FEATURES) &&
        !(n->f_supported[0] & (1u << XENFEAT_dom0))) {
        log_err("pv image: kernel does not support dom0 operation (SUPPORTED_FEATURES 0x%x)\n",
                n->f_supported[0]);
        return -EPERM;
    }
    return 0;
}

/* Ref §1.4: virt_kstart/kend from the PT_LOADs' p_paddr, the entry point,
 * and where INIT_P2M and HYPERCALL_PAGE may lie. */
static int compute_addresses(const struct elf_image *elf, struct pv_image *out)
{
    const struct xen_elfnotes *n = &out->notes;
    uint64_t poff = xen_note_has(n, XEN_ELFNOTE_PADDR_OFFSET) ? n->paddr_offset : 0;
    uint64_t base = xen_note_has(n, XEN_ELFNOTE_VIRT_BASE) ? n->virt_base : 0;

    if (elf->paddr_start < poff) {
        log_err("pv image: PT_LOAD paddr 0x%lx below PADDR_OFFSET 0x%lx (kernel below VIRT_BASE)\n",
                elf->paddr_start, poff);
        return -EINVAL;
    }
    uint64_t pend = elf->paddr_end - poff;
    if (base + pend < base) {
        log_err("pv image: kernel end wraps past the top of the address space\n");
        return -EINVAL;
    }
    out->virt_base = base;
    out->virt_kstart = base + (elf->paddr_start - poff);
    out->virt_kend = base + pend;
    out->entry = xen_note_has(n, XEN_ELFNOTE_ENTRY) ? n->entry : elf->entry;
    if (out->entry < out->virt_kstart || out->entry > out->virt_kend) {
        log_err("pv image: entry 0x%lx outside the kernel [0x%lx, 0x%lx)\n",
                out->entry, out->virt_kstart, out->virt_kend);
        return -EINVAL;
    }
    if (va_in_hole(out->virt_kstart, out->virt_kend)) {
        log_err("pv image: kernel [0x%lx, 0x%lx) overlaps the non-canonical or hypervisor range\n",
                out->virt_kstart, out->virt_kend);
        return -EINVAL;
    }
    out->has_init_p2m = xen_note_has(n, XEN_ELFNOTE_INIT_P2M);
    out->init_p2m = n->init_p2m;
    if (out->has_init_p2m && out->init_p2m >= out->virt_kstart && out->init_p2m < out->virt_kend) {
        log_err("pv image: INIT_P2M 0x%lx inside the kernel image\n", out->init_p2m);
        return -EINVAL;
    }
    out->mod_start_pfn = xen_note_has(n, XEN_ELFNOTE_MOD_START_PFN) && n->mod_start_pfn;
    if (xen_note_has(n, XEN_ELFNOTE_HYPERCALL_PAGE)) {
        out->hypercall_page = n->hypercall_page;
        /* §9.1 step 8: the page must lie inside what the builder maps. */
        if (!IS_ALIGNED(out->hypercall_page, PAGE_SIZE) ||
            out->hypercall_page < out->virt_kstart || out->hypercall_page >= out->virt_kend) {
            log_err("pv image: HYPERCALL_PAGE 0x%lx not a page inside the kernel\n",
                    out->hypercall_page);
            return -EINVAL;
        }
    }
    return 0;
}

static void collect_segments(const struct elf_image *elf, uint64_t poff, struct pv_image *out)
{
    out->nr_segs = 0;
    for (unsigned i = 0; i < elf->nr_loads; i++) {
        const struct elf64_phdr *ph = &elf->loads[i];
        if (!ph->p_memsz)
            continue;
        struct pv_segment *s = &out->segs[out->nr_segs++];
        s->file_off = ph->p_offset;
        s->file_size = ph->p_filesz;
        s->dest = ph->p_paddr - poff;
        s->zero_size = ph->p_memsz - ph->p_filesz;
    }
}

int pv_image_parse(const uint8_t *img, size_t len, struct pv_image *out,
                   const struct pv_image_opts *opts)
{
    static const struct pv_image_opts no_opts;
    struct elf_image elf;

    BUILD_BUG_ON(PV_MAX_SEGMENTS < ELF_MAX_LOADS);
    memset(out, 0, sizeof(*out));
    if (!opts)
        opts = &no_opts;

    int rc = unwrap(img, len, out, opts);
    if (!rc)
        rc = elf_image_check(out->elf, out->elf_len, &elf);
    if (!rc)
        rc = xen_notes_parse(&elf, &out->notes);
    if (!rc)
        rc = check_notes(&out->notes, opts);
    if (!rc)
        rc = compute_addresses(&elf, out);
    if (rc)
        return rc;
    collect_segments(&elf, xen_note_has(&out->notes, XEN_ELFNOTE_PADDR_OFFSET) ?
                     out->notes.paddr_offset : 0, out);
    return 0;
}
