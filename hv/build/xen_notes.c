/* Xen ELF notes of a PV kernel (pure). Ref: shared/ref/xen-pv-abi.md §1.1-1.3.
 * A note is namesz, descsz, type (u32 each), then name and desc, each padded
 * to 4 bytes. Every size is checked against the segment (or section) that
 * holds the note; a note running past it makes the image invalid. */
#include <keel/elf64.h>
#include <keel/elfnote.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

enum note_kind { K_NUM, K_STR, K_FEATURES, K_SUPPORTED, K_L1_MFN, K_PHYS32_ENTRY,
                 K_PHYS32_RELOC, K_PRESENCE };

struct note_desc {
    uint32_t type;
    uint8_t kind;
    uint8_t bit;            /* in xen_elfnotes.present */
    uint16_t off;           /* field in struct xen_elfnotes */
    uint16_t cap;           /* string capacity */
    const char *name;
};

#define F(field) offsetof(struct xen_elfnotes, field)
#define NUM(t, field) { XEN_ELFNOTE_##t, K_NUM, XEN_ELFNOTE_##t, F(field), 0, #t }
#define STR(t, field) { XEN_ELFNOTE_##t, K_STR, XEN_ELFNOTE_##t, F(field), \
                        sizeof(((struct xen_elfnotes *)0)->field), #t }
#define OTHER(t, kind, bit) { XEN_ELFNOTE_##t, kind, bit, 0, 0, #t }

static const struct note_desc note_table[] = {
    STR(INFO, info),
    NUM(ENTRY, entry),
    NUM(HYPERCALL_PAGE, hypercall_page),
    NUM(VIRT_BASE, virt_base),
    NUM(PADDR_OFFSET, paddr_offset),
    STR(XEN_VERSION, xen_version),
    STR(GUEST_OS, guest_os),
    STR(GUEST_VERSION, guest_version),
    STR(LOADER, loader),
    STR(PAE_MODE, pae_mode),
    { XEN_ELFNOTE_FEATURES, K_FEATURES, XEN_ELFNOTE_FEATURES, F(features),
      XEN_NOTE_FEATURES_MAX, "FEATURES" },
    STR(BSD_SYMTAB, bsd_symtab),
    NUM(HV_START_LOW, hv_start_low),
    OTHER(L1_MFN_VALID, K_L1_MFN, XEN_ELFNOTE_L1_MFN_VALID),
    NUM(SUSPEND_CANCEL, suspend_cancel),
    NUM(INIT_P2M, init_p2m),
    NUM(MOD_START_PFN, mod_start_pfn),
    OTHER(SUPPORTED_FEATURES, K_SUPPORTED, XEN_ELFNOTE_SUPPORTED_FEATURES),
    OTHER(PHYS32_ENTRY, K_PHYS32_ENTRY, XEN_ELFNOTE_PHYS32_ENTRY),
    OTHER(PHYS32_RELOC, K_PHYS32_RELOC, XEN_ELFNOTE_PHYS32_RELOC),
    OTHER(CRASH_INFO, K_PRESENCE, XEN_NOTE_BIT_CRASH_INFO),
    OTHER(CRASH_REGS, K_PRESENCE, XEN_NOTE_BIT_CRASH_REGS),
    OTHER(DUMPCORE_NONE, K_PRESENCE, XEN_NOTE_BIT_DUMPCORE_FIRST),
    OTHER(DUMPCORE_HEADER, K_PRESENCE, XEN_NOTE_BIT_DUMPCORE_FIRST + 1),
    OTHER(DUMPCORE_XEN_VERSION, K_PRESENCE, XEN_NOTE_BIT_DUMPCORE_FIRST + 2),
    OTHER(DUMPCORE_FORMAT_VERSION, K_PRESENCE, XEN_NOTE_BIT_DUMPCORE_FIRST + 3),
};

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Ref §1.1: numeric notes are 4 or 8 bytes little endian. */
static int note_num(const struct note_desc *nd, const uint8_t *desc, uint32_t sz, uint64_t *v)
{
    if (sz == 4) {
        *v = rd32(desc);
        return 0;
    }
    if (sz == 8) {
        *v = rd64(desc);
        return 0;
    }
    log_err("xen notes: %s: numeric value of %u bytes (want 4 or 8)\n", nd->name, sz);
    return -EINVAL;
}

/* Strings are bounded by descsz, not by a NUL (FEATURES uses .ascii). */
static void note_str(char *dst, size_t cap, const uint8_t *desc, uint32_t sz)
{
    size_t n = strnlen((const char *)desc, sz);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, desc, n);
    dst[n] = '\0';
}

static int note_array32(const struct note_desc *nd, const uint8_t *desc, uint32_t sz,
                        uint32_t *dst, unsigned max, unsigned *nr)
{
    if (sz == 0 || sz % 4 || sz / 4 > max) {
        log_err("xen notes: %s: %u bytes is not 1..%u 32-bit values\n", nd->name, sz, max);
        return -EINVAL;
    }
    for (unsigned i = 0; i < sz / 4; i++)
        dst[i] = rd32(desc + 4 * i);
    *nr = sz / 4;
    return 0;
}

static int note_special(const struct note_desc *nd, const uint8_t *desc, uint32_t sz,
                        struct xen_elfnotes *out)
{
    uint64_t v;
    unsigned nr;
    int rc = 0;

    switch (nd->kind) {
    case K_FEATURES:
        note_str(out->features, sizeof(out->features), desc, sz);
        return xen_features_parse((const char *)desc, strnlen((const char *)desc, sz),
                                  out->f_required, out->f_supported);
    case K_SUPPORTED:
        /* A u32 array, one word per feature submap (ref §1.2). */
        if (sz < 4) {
            log_err("xen notes: SUPPORTED_FEATURES of %u bytes\n", sz);
            return -EINVAL;
        }
        for (unsigned i = 0; i < XENFEAT_NR_SUBMAPS && 4 * i + 4 <= sz; i++) {
            out->supported_note[i] = rd32(desc + 4 * i);
            out->f_supported[i] |= out->supported_note[i];
        }
        return 0;
    case K_L1_MFN:
        if (sz == 0 || sz % 16 || sz / 16 > XEN_NOTE_L1_MFN_PAIRS) {
            log_err("xen notes: L1_MFN_VALID of %u bytes is not 1..%u 64-bit pairs\n",
                    sz, XEN_NOTE_L1_MFN_PAIRS);
            return -EINVAL;
        }
        out->nr_l1_mfn_valid = sz / 16;
        for (unsigned i = 0; i < out->nr_l1_mfn_valid; i++) {
            out->l1_mfn_valid[i][0] = rd64(desc + 16 * i);
            out->l1_mfn_valid[i][1] = rd64(desc + 16 * i + 8);
        }
        return 0;
    case K_PHYS32_ENTRY:
        /* Linux emits 8 bytes although the value is 32-bit (ref §1.3). */
        rc = note_num(nd, desc, sz, &v);
        out->phys32_entry = (uint32_t)v;
        return rc;
    case K_PHYS32_RELOC:
        rc = note_array32(nd, desc, sz, out->phys32_reloc, 3, &nr);
        out->nr_phys32_reloc = rc ? 0 : nr;
        return rc;
    default:
        return 0;
    }
}

static int note_record(uint32_t type, const uint8_t *desc, uint32_t sz, struct xen_elfnotes *out)
{
    const struct note_desc *nd = NULL;
    int rc = 0;

    for (size_t i = 0; i < ARRAY_SIZE(note_table); i++)
        if (note_table[i].type == type)
            nd = &note_table[i];
    if (!nd)
        return 0;       /* unknown Xen note: ignored, as Xen does */

    if (nd->kind == K_NUM)
        rc = note_num(nd, desc, sz, (uint64_t *)((char *)out + nd->off));
    else if (nd->kind == K_STR)
        note_str((char *)out + nd->off, nd->cap, desc, sz);
    else
        rc = note_special(nd, desc, sz, out);
    if (!rc)
        out->present |= 1u << nd->bit;
    return rc;
}

/* Walks the notes in file bytes [off, off+size); counts Xen notes in *found. */
static int parse_note_area(const struct elf_image *elf, uint64_t off, uint64_t size,
                           struct xen_elfnotes *out, unsigned *found)
{
    const uint8_t *base = elf->data + off;
    uint64_t pos = 0;

    while (size - pos >= 12) {
        uint32_t namesz = rd32(base + pos), descsz = rd32(base + pos + 4);
        uint32_t type = rd32(base + pos + 8);
        uint64_t name_off = pos + 12;
        uint64_t desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);

        if (desc_off > size || descsz > size - desc_off) {
            log_err("xen notes: note type %u at file offset 0x%lx: namesz %u / descsz %u past end of note segment (%lu bytes)\n",
                    type, off + pos, namesz, descsz, size);
            return -EINVAL;
        }
        if (namesz == 4 && !memcmp(base + name_off, "Xen", 4)) {
            int rc = note_record(type, base + desc_off, descsz, out);
            if (rc)
                return rc;
            (*found)++;
        }
        pos = desc_off + ALIGN_UP((uint64_t)descsz, 4);
        if (pos >= size)
            break;
    }
    return 0;
}

static int parse_segments(const struct elf_image *elf, struct xen_elfnotes *out, unsigned *found)
{
    for (unsigned i = 0; i < elf->phnum; i++) {
        struct elf64_phdr ph;
        elf_phdr_get(elf, i, &ph);
        /* Ref §1.1: segments at file offset 0 are skipped. */
        if (ph.p_type != ELF_PT_NOTE || ph.p_offset == 0)
            continue;
        if (!elf_range_ok(elf, ph.p_offset, ph.p_filesz)) {
            log_err("xen notes: PT_NOTE segment %u past end of file\n", i);
            return -EINVAL;
        }
        int rc = parse_note_area(elf, ph.p_offset, ph.p_filesz, out, found);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_sections(const struct elf_image *elf, struct xen_elfnotes *out, unsigned *found)
{
    for (unsigned i = 0; i < elf->shnum; i++) {
        struct elf64_shdr sh;
        elf_shdr_get(elf, i, &sh);
        if (sh.sh_type != ELF_SHT_NOTE)
            continue;
        if (!elf_range_ok(elf, sh.sh_offset, sh.sh_size)) {
            log_err("xen notes: SHT_NOTE section %u past end of file\n", i);
            return -EINVAL;
        }
        int rc = parse_note_area(elf, sh.sh_offset, sh.sh_size, out, found);
        if (rc)
            return rc;
    }
    return 0;
}

int xen_notes_parse(const struct elf_image *elf, struct xen_elfnotes *out)
{
    unsigned found = 0;

    memset(out, 0, sizeof(*out));
    int rc = parse_segments(elf, out, &found);
    if (rc)
        return rc;
    if (!found) {
        /* Ref §1.1: sections only when no segment held a Xen note. */
        memset(out, 0, sizeof(*out));
        rc = parse_sections(elf, out, &found);
        if (rc)
            return rc;
        out->from_sections = found != 0;
    }
    if (!found) {
        log_err("xen notes: image has no Xen ELF notes (not a Xen PV kernel)\n");
        return -ENOENT;
    }
    return 0;
}
