/* A PV kernel image, parsed and checked (pure): bzImage or raw ELF in, the
 * Xen notes, the kernel's virtual range, the entry point and the list of
 * segments to copy out. Ref: shared/ref/xen-pv-abi.md §1, §9.1 steps 1-2,
 * §9.2 step 1. Nothing here touches memory outside the given buffers. */
#ifndef KEEL_PV_IMAGE_H
#define KEEL_PV_IMAGE_H

#include <keel/types.h>
#include <keel/elfnote.h>

#define PV_MAX_SEGMENTS 16

/* Copy file_size bytes from elf + file_off to pseudo-physical address dest
 * (VA = virt_base + dest), then zero zero_size bytes after them. */
struct pv_segment {
    uint64_t file_off;
    uint64_t file_size;
    uint64_t dest;
    uint64_t zero_size;
};

struct pv_image {
    const uint8_t *elf;         /* the vmlinux: inside img or opts->unpack_buf */
    size_t elf_len;
    bool from_bzimage;
    const char *format;         /* "elf", or the bzImage payload's compression */

    struct xen_elfnotes notes;
    uint64_t virt_base;         /* VA of pseudo-physical 0 */
    uint64_t virt_kstart;       /* kernel image [virt_kstart, virt_kend) */
    uint64_t virt_kend;
    uint64_t entry;             /* PV entry VA (ENTRY note, else e_entry) */
    uint64_t hypercall_page;    /* VA, 0 if the kernel has no such note */
    bool has_init_p2m;
    uint64_t init_p2m;          /* VA for the p2m list, if has_init_p2m */
    bool mod_start_pfn;         /* initrd may be left unmapped */

    struct pv_segment segs[PV_MAX_SEGMENTS];
    unsigned nr_segs;
};

struct pv_image_opts {
    bool privileged;            /* building dom0: needs XENFEAT_dom0 support */
    uint8_t *unpack_buf;        /* receives a compressed bzImage's vmlinux */
    size_t unpack_max;          /* its size: the largest payload accepted */
};

/* Bytes the caller must provide in opts->unpack_buf for this image (0 for a
 * raw ELF or an uncompressed payload). Returns 0 or -EINVAL. */
int pv_image_unpacked_size(const uint8_t *img, size_t len, size_t *size);

/* Parses img (bzImage or ELF), applies the PV loader checks and fills out.
 * Returns 0, or -EINVAL / -ENOEXEC / -ENOENT / -ENOSPC / -EPERM (dom0
 * requested, kernel does not support it), each with a log_err line. */
int pv_image_parse(const uint8_t *img, size_t len, struct pv_image *out,
                   const struct pv_image_opts *opts);

#endif
