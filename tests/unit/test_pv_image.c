/* Unit tests for the PV image parser (hv/build/): Debian's real 6.1 kernels
 * as bzImage and as raw ELF, and malformed images, each refused with a log
 * line naming the reason. Expected note values: shared/ref/xen-pv-abi.md
 * §1.3, cross-checked with `readelf -n` on the vmlinux. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/bzimage.h>
#include <keel/elf64.h>
#include <keel/elfnote.h>
#include <keel/pv_image.h>
#include "host_log.h"
#include "pv_kernels.h"

/* Stand-ins while a decompressor is missing from hv/decompress/: the real
 * ones override these; a test that needs a missing one fails. */
__attribute__((weak)) decompress_fn decompress_pick(const uint8_t *in, size_t n, const char **name)
{
    (void)in; (void)n;
    *name = "unknown";
    return NULL;
}
#define WEAK_DECODER(fn) \
    __attribute__((weak)) int fn(const uint8_t *in, size_t il, uint8_t *out, size_t oc, size_t *ol) \
    { (void)in; (void)il; (void)out; (void)oc; (void)ol; return -EOPNOTSUPP; }
WEAK_DECODER(gunzip)
WEAK_DECODER(unlz4)
WEAK_DECODER(unxz)
WEAK_DECODER(unzstd)

static struct pv_kernel cloud, generic;

static int load_kernels(void **state)
{
    (void)state;
    if (pvk_load("cloud", &cloud) || pvk_load("generic", &generic)) {
        fprintf(stderr, "test_pv_image: Debian kernels or host lz4/xz missing\n");
        return -1;
    }
    return 0;
}

static int free_kernels(void **state)
{
    (void)state;
    pvk_free(&cloud);
    pvk_free(&generic);
    return 0;
}

/* ---- an independent, trusting note walker to find bytes to corrupt ---- */

static uint64_t rd64(const uint8_t *p) { return pvk_rd32(p) | (uint64_t)pvk_rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t *phdr(uint8_t *elf, unsigned i) { return elf + rd64(elf + 32) + 56 * i; }
static unsigned phnum(const uint8_t *elf) { return elf[56] | elf[57] << 8; }

static uint8_t *note_segment(uint8_t *elf, size_t *size)
{
    for (unsigned i = 0; i < phnum(elf); i++)
        if (pvk_rd32(phdr(elf, i)) == ELF_PT_NOTE) {
            *size = rd64(phdr(elf, i) + 32);
            return elf + rd64(phdr(elf, i) + 8);
        }
    return NULL;
}

/* Header of the Xen note of this type (desc at +16), or NULL. */
static uint8_t *find_xen_note(uint8_t *elf, uint32_t type)
{
    size_t size, pos = 0;
    uint8_t *seg = note_segment(elf, &size);

    while (seg && pos + 12 <= size) {
        uint8_t *n = seg + pos;
        uint32_t namesz = pvk_rd32(n), descsz = pvk_rd32(n + 4);
        if (namesz == 4 && !memcmp(n + 12, "Xen", 4) && pvk_rd32(n + 8) == type)
            return n;
        pos += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
    }
    return NULL;
}

/* A private copy to corrupt. */
static uint8_t *dup_elf(const struct pv_kernel *k)
{
    uint8_t *p = malloc(k->elf_len);
    assert_non_null(p);
    memcpy(p, k->elf, k->elf_len);
    return p;
}

static int parse(const uint8_t *img, size_t len, struct pv_image *out, bool dom0)
{
    struct pv_image_opts o = { .privileged = dom0 };
    host_log_clear();
    return pv_image_parse(img, len, out, &o);
}

static void expect_refused(const uint8_t *img, size_t len, int err, const char *why)
{
    struct pv_image im;
    int rc = parse(img, len, &im, false);
    if (rc != err || !host_log_contains(why))
        fprintf(stderr, "rc %d (want %d), log: %s\n", rc, err, host_log_text());
    assert_int_equal(rc, err);
    assert_true(host_log_contains(why));
}

/* ---- the real kernels ---- */

/* 6.1 stable sublevel from the banner, e.g. "Debian 6.1.192-2" -> 192. */
static unsigned linux_sublevel(const struct pv_kernel *k)
{
    const char *key = "Linux version ";
    const uint8_t *p = memmem(k->elf, k->elf_len, key, strlen(key));
    assert_non_null(p);
    const char *d = memmem(p, 400, "Debian 6.1.", 11);
    assert_non_null(d);
    return (unsigned)strtoul(d + 11, NULL, 10);
}

static void check_ref_notes(const struct pv_kernel *k, const struct pv_image *im)
{
    const struct xen_elfnotes *n = &im->notes;

    /* Values from ref §1.3. */
    assert_string_equal(n->guest_os, "linux");
    assert_string_equal(n->guest_version, "2.6");
    assert_string_equal(n->xen_version, "xen-3.0");
    assert_string_equal(n->loader, "generic");
    assert_string_equal(n->pae_mode, "yes");
    assert_string_equal(n->features, "!writable_page_tables|pae_pgdir_above_4gb");
    assert_int_equal(n->virt_base, 0xffffffff80000000UL);
    assert_int_equal(n->init_p2m, 0x8000000000UL);
    assert_int_equal(n->paddr_offset, 0);
    assert_int_equal(n->hv_start_low, 0xffff800000000000UL);
    assert_int_equal(n->supported_note[0], 0x8801);
    assert_int_equal(n->f_required[0], 1u << XENFEAT_writable_page_tables);
    assert_int_equal(n->f_supported[0], 0x8801 | 1u << XENFEAT_pae_pgdir_above_4gb);
    assert_int_equal(n->nr_l1_mfn_valid, 1);
    assert_int_equal(n->l1_mfn_valid[0][0], 1);
    assert_int_equal(n->l1_mfn_valid[0][1], 1);
    assert_int_equal(n->suspend_cancel, 1);
    assert_int_equal(n->mod_start_pfn, 1);
    for (unsigned t = 0; t <= XEN_ELFNOTE_PHYS32_ENTRY; t++) {
        if (t == XEN_ELFNOTE_INFO || t == XEN_ELFNOTE_HYPERCALL_PAGE || t == XEN_ELFNOTE_BSD_SYMTAB)
            continue;
        assert_true(xen_note_has(n, t));
    }
    assert_false(xen_note_has(n, XEN_ELFNOTE_PHYS32_RELOC));    /* 6.12+ only */
    assert_false(n->from_sections);
    /* Ref §1.3/§4.3: HYPERCALL_PAGE is gone from 6.1.121 on (this kernel is
     * 6.1.192; readelf -n agrees). */
    assert_int_equal(xen_note_has(n, XEN_ELFNOTE_HYPERCALL_PAGE), linux_sublevel(k) < 121);
    assert_int_equal(im->hypercall_page, 0);

    /* ENTRY (startup_xen) is in .init.text, the last PT_LOAD, above e_entry's
     * physical startup_64; PHYS32_ENTRY is a physical address in the image. */
    assert_int_equal(n->entry, im->entry);
    assert_true(im->entry >= 0xffffffff81000000UL + im->segs[im->nr_segs - 1].dest - 0x1000000);
    assert_true(im->entry < im->virt_kend);
    assert_true(n->phys32_entry >= 0x1000000 && n->phys32_entry < im->virt_kend - im->virt_base);
    const uint8_t *raw = find_xen_note(k->elf, XEN_ELFNOTE_ENTRY);
    assert_int_equal(rd64(raw + 16), n->entry);
}

/* Segments and ranges against the program headers read directly. */
static void check_segments(const struct pv_kernel *k, const struct pv_image *im)
{
    unsigned s = 0;
    uint64_t lo = UINT64_MAX, hi = 0;

    for (unsigned i = 0; i < phnum(k->elf); i++) {
        uint8_t *ph = phdr(k->elf, i);
        if (pvk_rd32(ph) != ELF_PT_LOAD)
            continue;
        uint64_t off = rd64(ph + 8), pa = rd64(ph + 24), fsz = rd64(ph + 32), msz = rd64(ph + 40);
        assert_true(s < im->nr_segs);
        assert_int_equal(im->segs[s].file_off, off);
        assert_int_equal(im->segs[s].file_size, fsz);
        assert_int_equal(im->segs[s].dest, pa);
        assert_int_equal(im->segs[s].zero_size, msz - fsz);
        lo = pa < lo ? pa : lo;
        hi = pa + msz > hi ? pa + msz : hi;
        s++;
    }
    assert_int_equal(s, im->nr_segs);
    assert_int_equal(s, 4);
    assert_int_equal(lo, 0x1000000);   /* ref §1.4: LOAD_PHYSICAL_ADDR 16 MiB */
    assert_int_equal(im->virt_base, 0xffffffff80000000UL);
    assert_int_equal(im->virt_kstart, 0xffffffff81000000UL);
    assert_int_equal(im->virt_kend, 0xffffffff80000000UL + hi);
    assert_true(im->has_init_p2m && im->init_p2m == 0x8000000000UL);
    assert_true(im->mod_start_pfn);
}

static void test_cloud_elf(void **state)
{
    struct pv_image im;
    (void)state;
    assert_int_equal(parse(cloud.elf, cloud.elf_len, &im, false), 0);
    assert_false(im.from_bzimage);
    assert_ptr_equal(im.elf, cloud.elf);
    check_ref_notes(&cloud, &im);
    check_segments(&cloud, &im);
}

static void test_generic_elf_dom0(void **state)
{
    struct pv_image im;
    (void)state;
    assert_int_equal(parse(generic.elf, generic.elf_len, &im, true), 0);
    check_ref_notes(&generic, &im);
    check_segments(&generic, &im);
    assert_true(im.notes.f_supported[0] & (1u << XENFEAT_dom0));
}

/* Ref §1.5: the payload's last 4 bytes give the vmlinux size (checked
 * against what the host's lz4/xz produced). */
static void test_size_trailer(void **state)
{
    size_t n;
    (void)state;
    assert_int_equal(cloud.trailer, cloud.elf_len);
    assert_int_equal(generic.trailer, generic.elf_len);
    assert_int_equal(pv_image_unpacked_size(cloud.bz, cloud.bz_len, &n), 0);
    assert_int_equal(n, cloud.elf_len);
    assert_int_equal(pv_image_unpacked_size(generic.bz, generic.bz_len, &n), 0);
    assert_int_equal(n, generic.elf_len);
    assert_int_equal(pv_image_unpacked_size(cloud.elf, cloud.elf_len, &n), 0);
    assert_int_equal(n, 0);
}

static void bz_parse_matches_elf(const struct pv_kernel *k, const char *format, bool dom0)
{
    struct pv_image im, ref;
    size_t need;
    assert_int_equal(pv_image_unpacked_size(k->bz, k->bz_len, &need), 0);
    uint8_t *buf = malloc(need);
    assert_non_null(buf);
    struct pv_image_opts o = { .privileged = dom0, .unpack_buf = buf, .unpack_max = need };

    host_log_clear();
    int rc = pv_image_parse(k->bz, k->bz_len, &im, &o);
    if (rc)
        fprintf(stderr, "log: %s\n", host_log_text());
    assert_int_equal(rc, 0);
    assert_true(im.from_bzimage);
    assert_string_equal(im.format, format);
    assert_ptr_equal(im.elf, buf);
    assert_int_equal(im.elf_len, k->elf_len);
    assert_memory_equal(im.elf, k->elf, k->elf_len);
    check_ref_notes(k, &im);
    assert_int_equal(parse(k->elf, k->elf_len, &ref, dom0), 0);
    assert_int_equal(im.nr_segs, ref.nr_segs);
    assert_memory_equal(im.segs, ref.segs, sizeof(ref.segs));
    assert_memory_equal(&im.notes, &ref.notes, sizeof(ref.notes));
    assert_int_equal(im.entry, ref.entry);
    free(buf);
}

static void test_cloud_bzimage(void **state)
{
    (void)state;
    bz_parse_matches_elf(&cloud, "lz4", false);
}

static void test_generic_bzimage(void **state)
{
    (void)state;
    bz_parse_matches_elf(&generic, "xz", true);
}

/* ---- malformed ELF images ---- */

static void test_bad_magic(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    e[1] = 'X';
    expect_refused(e, cloud.elf_len, -ENOEXEC, "bad magic");
    expect_refused(e, 10, -ENOEXEC, "shorter than an ELF64 header");
    free(e);
}

static void test_elf32(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    e[4] = 1;
    expect_refused(e, cloud.elf_len, -ENOEXEC, "not ELF64");
    e[4] = 2;
    e[5] = 2;
    expect_refused(e, cloud.elf_len, -ENOEXEC, "not little endian");
    e[5] = 1;
    e[18] = 3;      /* EM_386 */
    expect_refused(e, cloud.elf_len, -ENOEXEC, "not x86-64");
    free(e);
}

static void test_phdrs_past_end(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    wr64(e + 32, cloud.elf_len - 100);
    expect_refused(e, cloud.elf_len, -EINVAL, "program headers");
    wr64(e + 32, UINT64_MAX - 10);      /* offset + size wraps */
    expect_refused(e, cloud.elf_len, -EINVAL, "program headers");
    free(e);
    /* A file cut right after the ELF header. */
    expect_refused(cloud.elf, 100, -EINVAL, "past end of file");
}

static void test_overlapping_segments(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *ph1 = phdr(e, 1);
    wr64(ph1 + 24, rd64(phdr(e, 0) + 24) + 0x1000);       /* paddr inside seg 0 */
    expect_refused(e, cloud.elf_len, -EINVAL, "overlaps");
    memcpy(e, cloud.elf, 4096);
    wr64(ph1 + 16, rd64(phdr(e, 0) + 16) + 0x1000);       /* vaddr inside seg 0 */
    expect_refused(e, cloud.elf_len, -EINVAL, "overlaps");
    free(e);
}

static void test_segment_past_end(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *ph = phdr(e, 3);
    wr64(ph + 32, cloud.elf_len);               /* filesz */
    wr64(ph + 40, cloud.elf_len);
    expect_refused(e, cloud.elf_len, -EINVAL, "past end of file");
    memcpy(e, cloud.elf, 4096);
    wr64(ph + 40, rd64(ph + 32) - 1);           /* memsz < filesz */
    expect_refused(e, cloud.elf_len, -EINVAL, "filesz");
    memcpy(e, cloud.elf, 4096);
    wr64(ph + 24, UINT64_MAX - 0x1000);         /* paddr range wraps */
    expect_refused(e, cloud.elf_len, -EINVAL, "wraps");
    free(e);
    /* The real file cut in its last segment. */
    ph = phdr(cloud.elf, 3);
    expect_refused(cloud.elf, rd64(ph + 8) + rd64(ph + 32) - 1, -EINVAL, "past end of file");
}

/* Renames every "Xen" note so neither segments nor sections have one. */
static void test_missing_notes(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    size_t size, pos = 0;
    uint8_t *seg = note_segment(e, &size);
    while (pos + 12 <= size) {
        uint8_t *n = seg + pos;
        uint32_t namesz = pvk_rd32(n), descsz = pvk_rd32(n + 4);
        if (namesz == 4 && !memcmp(n + 12, "Xen", 4))
            n[12] = 'Q';
        pos += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
    }
    expect_refused(e, cloud.elf_len, -ENOENT, "no Xen ELF notes");
    free(e);
}

/* Ref §1.1: with the PT_NOTE segment gone, the SHT_NOTE section is used. */
static void test_section_fallback(void **state)
{
    (void)state;
    struct pv_image im;
    uint8_t *e = dup_elf(&cloud);
    for (unsigned i = 0; i < phnum(e); i++)
        if (pvk_rd32(phdr(e, i)) == ELF_PT_NOTE)
            wr32(phdr(e, i), 0);        /* PT_NULL */
    assert_int_equal(parse(e, cloud.elf_len, &im, false), 0);
    assert_true(im.notes.from_sections);
    assert_int_equal(im.notes.init_p2m, 0x8000000000UL);
    assert_string_equal(im.notes.xen_version, "xen-3.0");
    free(e);
}

static void test_bad_xen_version(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *n = find_xen_note(e, XEN_ELFNOTE_XEN_VERSION);
    assert_non_null(n);
    memcpy(n + 16, "xen-2.0", 7);
    expect_refused(e, cloud.elf_len, -EINVAL, "XEN_VERSION note 'xen-2.0'");
    free(e);
}

static void test_loader_and_guest_os(void **state)
{
    (void)state;
    struct pv_image im;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *loader = find_xen_note(e, XEN_ELFNOTE_LOADER);
    uint8_t *os = find_xen_note(e, XEN_ELFNOTE_GUEST_OS);
    memcpy(loader + 16, "special", 7);
    assert_int_equal(parse(e, cloud.elf_len, &im, false), 0);   /* GUEST_OS linux is enough */
    memcpy(os + 16, "plan9", 5);
    expect_refused(e, cloud.elf_len, -EINVAL, "neither LOADER generic");
    free(e);
}

static void test_descsz_past_segment(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *n = find_xen_note(e, XEN_ELFNOTE_PHYS32_ENTRY);   /* the last note */
    wr32(n + 4, 0x100);
    expect_refused(e, cloud.elf_len, -EINVAL, "past end of note segment");
    wr32(n + 4, 0xfffffffc);
    expect_refused(e, cloud.elf_len, -EINVAL, "past end of note segment");
    wr32(n + 4, 8);
    wr32(n, 0xffffffff);                    /* namesz */
    expect_refused(e, cloud.elf_len, -EINVAL, "past end of note segment");
    free(e);
}

static void test_bad_numeric_note(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *n = find_xen_note(e, XEN_ELFNOTE_SUSPEND_CANCEL);
    wr32(n + 4, 3);                         /* pads to the same 4 bytes */
    expect_refused(e, cloud.elf_len, -EINVAL, "SUSPEND_CANCEL: numeric value of 3 bytes");
    free(e);
}

static void test_unknown_required_feature(void **state)
{
    (void)state;
    struct pv_image im;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *n = find_xen_note(e, XEN_ELFNOTE_FEATURES);
    char *s = (char *)n + 16;
    char *p = memmem(s, 41, "|pae", 4);
    assert_non_null(p);
    p[1] = 'x';         /* unknown, not required: ignored */
    assert_int_equal(parse(e, cloud.elf_len, &im, false), 0);
    assert_int_equal(im.notes.f_supported[0], 0x8801);
    p[1] = '!';         /* "!ae_pgdir_above_4gb": unknown and required */
    expect_refused(e, cloud.elf_len, -EINVAL, "requires unknown feature 'ae_pgdir_above_4gb'");
    free(e);
}

static void test_features_parser(void **state)
{
    (void)state;
    uint32_t req = 0, sup = 0;
    const char *s = "||dom0|!writable_descriptor_tables|bogus|!hvm_callback_vector|";
    assert_int_equal(xen_features_parse(s, strlen(s), &req, &sup), 0);
    assert_int_equal(req, 1u << 1 | 1u << 8);
    assert_int_equal(sup, 1u << 1 | 1u << 8 | 1u << 11);
    /* Bounded by the length, not a NUL. */
    req = sup = 0;
    assert_int_equal(xen_features_parse("dom0|!nope", 4, &req, &sup), 0);
    assert_int_equal(sup, 1u << 11);
    host_log_clear();
    assert_int_equal(xen_features_parse("!", 1, &req, &sup), 0);
    assert_int_equal(xen_features_parse("!dom", 4, &req, &sup), -EINVAL);
    assert_true(host_log_contains("unknown feature 'dom'"));
}

/* Ref §1.3: dom0 needs XENFEAT_dom0 in SUPPORTED_FEATURES when present. */
static void test_dom0_support(void **state)
{
    (void)state;
    struct pv_image im;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *n = find_xen_note(e, XEN_ELFNOTE_SUPPORTED_FEATURES);
    wr32(n + 16, 0x8001);
    assert_int_equal(parse(e, cloud.elf_len, &im, false), 0);
    assert_int_equal(parse(e, cloud.elf_len, &im, true), -EPERM);
    assert_true(host_log_contains("does not support dom0"));
    wr32(n + 8, 0x7777);    /* no SUPPORTED_FEATURES note at all: accepted */
    assert_int_equal(parse(e, cloud.elf_len, &im, true), 0);
    free(e);
}

static void test_bad_addresses(void **state)
{
    (void)state;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *entry = find_xen_note(e, XEN_ELFNOTE_ENTRY);
    uint8_t *p2m = find_xen_note(e, XEN_ELFNOTE_INIT_P2M);
    uint8_t *base = find_xen_note(e, XEN_ELFNOTE_VIRT_BASE);

    wr64(entry + 16, 0xffffffff80000000UL);
    expect_refused(e, cloud.elf_len, -EINVAL, "entry 0xffffffff80000000 outside the kernel");
    memcpy(entry + 16, cloud.elf + (entry - e) + 16, 8);
    wr64(p2m + 16, 0xffffffff82000000UL);
    expect_refused(e, cloud.elf_len, -EINVAL, "INIT_P2M 0xffffffff82000000 inside the kernel");
    memcpy(p2m + 16, cloud.elf + (p2m - e) + 16, 8);
    /* Ref §3.3: a kernel placed in the hypervisor's range. */
    wr64(base + 16, 0xffff800000000000UL);
    wr64(entry + 16, 0xffff800001000000UL);
    expect_refused(e, cloud.elf_len, -EINVAL, "hypervisor range");
    wr64(base + 16, 0xfffffffffe000000UL);  /* kernel end wraps */
    expect_refused(e, cloud.elf_len, -EINVAL, "wraps");
    free(e);
}

/* ---- malformed bzImages ---- */

static void test_bz_truncated(void **state)
{
    (void)state;
    struct pv_image im;
    uint8_t buf[64];
    struct pv_image_opts o = { .unpack_buf = buf, .unpack_max = sizeof(buf) };

    expect_refused(cloud.bz, cloud.bz_len / 2, -EINVAL, "truncated image");
    expect_refused(cloud.bz, 0x240, -EINVAL, "ends inside the setup header");
    uint8_t *b = malloc(cloud.bz_len);
    memcpy(b, cloud.bz, cloud.bz_len);
    b[0x206] = 0x07;
    b[0x207] = 0x02;
    expect_refused(b, cloud.bz_len, -EINVAL, "too old");
    b[0x206] = 0x0f;
    wr32(b + 0x24c, 2);     /* payload shorter than its size trailer */
    expect_refused(b, cloud.bz_len, -EINVAL, "too short");
    free(b);
    /* The announced size is over the caller's limit. */
    host_log_clear();
    assert_int_equal(pv_image_parse(cloud.bz, cloud.bz_len, &im, &o), -ENOSPC);
    assert_true(host_log_contains("more than the limit"));
    /* No buffer at all for a compressed payload. */
    expect_refused(cloud.bz, cloud.bz_len, -ENOSPC, "no buffer");
}

static void test_bz_unknown_compression(void **state)
{
    (void)state;
    size_t off, plen;
    uint8_t *b = malloc(cloud.bz_len);
    memcpy(b, cloud.bz, cloud.bz_len);
    assert_int_equal(pvk_payload(b, cloud.bz_len, &off, &plen), 0);
    memcpy(b + off, "ABCD", 4);
    expect_refused(b, cloud.bz_len, -EINVAL, "compression not recognised");
    free(b);
}

static void bz_corrupt(const struct pv_kernel *k)
{
    size_t off, plen, need = k->trailer;
    uint8_t *b = malloc(k->bz_len), *buf = malloc(need);
    struct pv_image im;
    struct pv_image_opts o = { .unpack_buf = buf, .unpack_max = need };

    memcpy(b, k->bz, k->bz_len);
    assert_int_equal(pvk_payload(b, k->bz_len, &off, &plen), 0);
    for (size_t i = 64; i < 64 + 4096; i++)
        b[off + i] ^= 0x5a;
    host_log_clear();
    int rc = pv_image_parse(b, k->bz_len, &im, &o);
    assert_true(rc < 0);
    assert_true(host_log_contains("corrupt") || host_log_contains("decode"));
    /* The size trailer lies (one byte more than the stream holds). */
    memcpy(b, k->bz, k->bz_len);
    wr32(b + off + plen - 4, k->trailer - 1);
    host_log_clear();
    assert_int_equal(pv_image_parse(b, k->bz_len, &im, &o), -EINVAL);
    assert_true(host_log_contains("announces"));
    free(b);
    free(buf);
}

static void test_bz_corrupt_payload(void **state)
{
    (void)state;
    bz_corrupt(&cloud);
    bz_corrupt(&generic);
}

/* An ELF stored uncompressed as the bzImage payload: no buffer needed. */
static void test_bz_raw_elf_payload(void **state)
{
    (void)state;
    struct pv_image im;
    size_t off, plen, n;
    assert_int_equal(pvk_payload(cloud.bz, cloud.bz_len, &off, &plen), 0);
    size_t len = off + cloud.elf_len;
    uint8_t *b = calloc(1, len);
    memcpy(b, cloud.bz, off);
    memcpy(b + off, cloud.elf, cloud.elf_len);
    wr32(b + 0x24c, (uint32_t)cloud.elf_len);
    assert_int_equal(pv_image_unpacked_size(b, len, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(parse(b, len, &im, false), 0);
    assert_ptr_equal(im.elf, b + off);
    assert_string_equal(im.format, "elf");
    assert_int_equal(im.virt_kstart, 0xffffffff81000000UL);
    free(b);
}

/* Deterministic byte flips in the headers and notes: never a crash (ASan),
 * always a clean verdict. */
static void test_fuzz_headers(void **state)
{
    (void)state;
    struct pv_image im;
    size_t note_size;
    uint8_t *e = dup_elf(&cloud);
    uint8_t *notes = note_segment(e, &note_size);
    size_t note_off = (size_t)(notes - e);
    uint32_t seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        seed = seed * 1103515245 + 12345;
        size_t pos = (seed >> 8) % 2;
        pos = pos ? note_off + (seed >> 12) % note_size : (seed >> 12) % 512;
        uint8_t old = e[pos];
        e[pos] ^= (uint8_t)(1u << ((seed >> 4) & 7)) | (uint8_t)(seed >> 24);
        int rc = parse(e, cloud.elf_len, &im, iter & 1);
        assert_true(rc == 0 || rc == -EINVAL || rc == -ENOEXEC || rc == -ENOENT || rc == -EPERM);
        if (rc)
            assert_true(strlen(host_log_text()) > 0);
        e[pos] = old;
    }
    for (size_t cut = 0; cut < 4096; cut += 7)
        assert_true(parse(e, cut, &im, false) < 0);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloud_elf),
        cmocka_unit_test(test_generic_elf_dom0),
        cmocka_unit_test(test_size_trailer),
        cmocka_unit_test(test_cloud_bzimage),
        cmocka_unit_test(test_generic_bzimage),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_elf32),
        cmocka_unit_test(test_phdrs_past_end),
        cmocka_unit_test(test_overlapping_segments),
        cmocka_unit_test(test_segment_past_end),
        cmocka_unit_test(test_missing_notes),
        cmocka_unit_test(test_section_fallback),
        cmocka_unit_test(test_bad_xen_version),
        cmocka_unit_test(test_loader_and_guest_os),
        cmocka_unit_test(test_descsz_past_segment),
        cmocka_unit_test(test_bad_numeric_note),
        cmocka_unit_test(test_unknown_required_feature),
        cmocka_unit_test(test_features_parser),
        cmocka_unit_test(test_dom0_support),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_bz_truncated),
        cmocka_unit_test(test_bz_unknown_compression),
        cmocka_unit_test(test_bz_corrupt_payload),
        cmocka_unit_test(test_bz_raw_elf_payload),
        cmocka_unit_test(test_fuzz_headers),
    };
    return cmocka_run_group_tests(tests, load_kernels, free_kernels);
}
