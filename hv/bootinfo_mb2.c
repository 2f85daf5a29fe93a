/* Multiboot2 boot information parser (pure; host-tested).
 * Layout (Multiboot2 Specification 2.0, section 3.6): u32 total_size,
 * u32 reserved, then tags {u32 type, u32 size, payload} each starting on an
 * 8-byte boundary, ending with a tag of type 0. Every size is checked
 * against the bytes that are really there before anything is read. */
#include <keel/bootinfo.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_LOADER_NAME     2
#define MB2_TAG_MODULE          3
#define MB2_TAG_BASIC_MEM       4
#define MB2_TAG_MMAP            6
#define MB2_TAG_EFI32_SYSTAB    11
#define MB2_TAG_EFI64_SYSTAB    12
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15
#define MB2_TAG_EFI_MMAP        17
#define MB2_TAG_EFI_BS_ACTIVE   18

#define MB2_INFO_MIN            16          /* header + end tag */
#define MB2_INFO_MAX            MiB(1)
#define MB2_MMAP_ENTRY_MIN      24          /* u64 base, u64 len, u32 type, u32 rsvd */
#define EFI_DESC_MIN            40
#define RSDP_V1_LEN             20
#define RSDP_V2_LEN             36

/* UEFI 2.x EFI_MEMORY_TYPE values and the write-back attribute bit. */
#define EFI_LOADER_CODE         1
#define EFI_LOADER_DATA         2
#define EFI_BS_CODE             3
#define EFI_BS_DATA             4
#define EFI_RESERVED            0
#define EFI_RUNTIME_CODE        5
#define EFI_RUNTIME_DATA        6
#define EFI_CONVENTIONAL        7
#define EFI_UNUSABLE            8
#define EFI_ACPI_RECLAIM        9
#define EFI_ACPI_NVS            10
#define EFI_MEMORY_WB           0x8ull

struct mb2_tag {
    const uint8_t *p;           /* start of the tag (type field) */
    uint32_t type, size, off;   /* off: from the start of the info */
};

struct mb2_state {
    struct mb2_tag mmap, efi_mmap;  /* remembered, parsed after the walk */
    bool efi_bs_active;
    bool have_acpi_new;
};

static void copy_tag_string(const struct mb2_tag *t,
                            uint32_t start, char *dst, size_t size, const char *what)
{
    if (bootinfo_copy_string(dst, size, (const char *)t->p + start, t->size - start))
        log_warn("mb2: %s at offset 0x%x is unterminated or longer than %zu bytes: truncated to '%s'\n",
                 what, t->off, size - 1, dst);
}

static bool tag_too_short(struct boot_info *bi, const struct mb2_tag *t, uint32_t need)
{
    if (t->size >= need)
        return false;
    bootinfo_error(bi, "mb2: tag %u at offset 0x%x has size %u, needs at least %u: skipped\n",
                   t->type, t->off, t->size, need);
    return true;
}

static void parse_module(struct boot_info *bi, const struct mb2_tag *t)
{
    if (tag_too_short(bi, t, 16))
        return;
    struct boot_module *mod = bootinfo_add_module(bi, bootinfo_rd32(t->p + 8),
                                                  bootinfo_rd32(t->p + 12));
    if (mod)
        copy_tag_string(t, 16, mod->cmdline, sizeof(mod->cmdline), "module string");
}

static void parse_acpi(struct boot_info *bi, struct mb2_state *st, const struct mb2_tag *t)
{
    bool is_new = t->type == MB2_TAG_ACPI_NEW;
    uint32_t len = is_new ? RSDP_V2_LEN : RSDP_V1_LEN;

    if (tag_too_short(bi, t, 8 + len))
        return;
    if (!is_new && st->have_acpi_new)
        return;                 /* the ACPI 2.0 copy wins whatever the order */
    memcpy(bi->rsdp, t->p + 8, len);
    bi->rsdp_len = len;
    st->have_acpi_new |= is_new;
}

static void parse_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
    if (tag_too_short(bi, t, 16))
        return;
    uint32_t esize = bootinfo_rd32(t->p + 8);
    if (esize < MB2_MMAP_ENTRY_MIN) {
        bootinfo_error(bi, "mb2: memory map at offset 0x%x has entry size %u < %u: ignored\n",
                       t->off, esize, MB2_MMAP_ENTRY_MIN);
        return;
    }
    if (t->size - 16 < esize)
        bootinfo_error(bi, "mb2: memory map at offset 0x%x is empty (tag size %u)\n",
                       t->off, t->size);
    else if ((t->size - 16) % esize)
        log_warn("mb2: memory map at offset 0x%x: %u bytes after the last whole entry ignored\n",
                 t->off, (t->size - 16) % esize);
    for (uint32_t o = 16; t->size - o >= esize; o += esize) {
        const uint8_t *e = t->p + o;
        bootinfo_add_range(bi, bootinfo_rd64(e), bootinfo_rd64(e + 8),
                           bootinfo_e820_type(bootinfo_rd32(e + 16)));
    }
}

static uint32_t efi_mem_type(uint32_t type, uint64_t attr, bool bs_active)
{
    switch (type) {
    case EFI_BS_CODE:
    case EFI_BS_DATA:
        if (bs_active)
            return MEM_FIRMWARE;    /* firmware still owns it */
        /* fall through */
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_CONVENTIONAL:
        /* RAM that cannot be cached write-back is not RAM we want. */
        return attr && !(attr & EFI_MEMORY_WB) ? MEM_RESERVED : MEM_USABLE;
    case EFI_UNUSABLE:     return MEM_BAD;
    case EFI_ACPI_RECLAIM: return MEM_ACPI;
    case EFI_ACPI_NVS:     return MEM_NVS;
    case EFI_RESERVED:
    case EFI_RUNTIME_CODE:
    case EFI_RUNTIME_DATA:
        /* Write-back capable: RAM the firmware keeps; else device memory. */
        return attr & EFI_MEMORY_WB ? MEM_FIRMWARE : MEM_RESERVED;
    default:               return MEM_RESERVED;
    }
}

static void parse_efi_mmap(struct boot_info *bi, const struct mb2_state *st)
{
    const struct mb2_tag *t = &st->efi_mmap;

    if (tag_too_short(bi, t, 16))
        return;
    uint32_t dsize = bootinfo_rd32(t->p + 8);
    if (dsize < EFI_DESC_MIN) {
        bootinfo_error(bi, "mb2: EFI memory map at offset 0x%x has descriptor size %u < %u: ignored\n",
                       t->off, dsize, EFI_DESC_MIN);
        return;
    }
    if (t->size - 16 < dsize)
        bootinfo_error(bi, "mb2: EFI memory map at offset 0x%x is empty (tag size %u)\n",
                       t->off, t->size);
    for (uint32_t o = 16; t->size - o >= dsize; o += dsize) {
        const uint8_t *d = t->p + o;
        uint64_t pages = bootinfo_rd64(d + 24);
        uint64_t len = pages > (UINT64_MAX >> PAGE_SHIFT) ? UINT64_MAX : pages << PAGE_SHIFT;
        bootinfo_add_range(bi, bootinfo_rd64(d + 8), len,
                           efi_mem_type(bootinfo_rd32(d), bootinfo_rd64(d + 32),
                                        st->efi_bs_active));
    }
    bi->mmap_from_efi = bi->nr_mmap != 0;
}

static void remember(struct mb2_tag *slot, const struct mb2_tag *t)
{
    if (slot->p) {
        log_warn("mb2: second tag %u at offset 0x%x ignored\n", t->type, t->off);
        return;
    }
    *slot = *t;
}

static void parse_tag(struct boot_info *bi, struct mb2_state *st, const struct mb2_tag *t)
{
    switch (t->type) {
    case MB2_TAG_CMDLINE:
        copy_tag_string(t, 8, bi->cmdline, sizeof(bi->cmdline), "command line");
        break;
    case MB2_TAG_LOADER_NAME:
        copy_tag_string(t, 8, bi->loader, sizeof(bi->loader), "boot loader name");
        break;
    case MB2_TAG_MODULE:
        parse_module(bi, t);
        break;
    case MB2_TAG_BASIC_MEM:
        if (tag_too_short(bi, t, 16))
            break;
        bi->mem_lower_kib = bootinfo_rd32(t->p + 8);
        bi->mem_upper_kib = bootinfo_rd32(t->p + 12);
        bi->has_basic_mem = true;
        break;
    case MB2_TAG_MMAP:
        remember(&st->mmap, t);
        break;
    case MB2_TAG_EFI_MMAP:
        remember(&st->efi_mmap, t);
        break;
    case MB2_TAG_EFI32_SYSTAB:
        if (tag_too_short(bi, t, 12))
            break;
        bi->efi = true;
        bi->efi_systab = bootinfo_rd32(t->p + 8);
        break;
    case MB2_TAG_EFI64_SYSTAB:
        if (tag_too_short(bi, t, 16))
            break;
        bi->efi = true;
        bi->efi_systab = bootinfo_rd64(t->p + 8);
        break;
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW:
        parse_acpi(bi, st, t);
        break;
    case MB2_TAG_EFI_BS_ACTIVE:
        st->efi_bs_active = true;
        bi->efi = true;
        break;
    default:
        break;                  /* framebuffer, load base, ...: not needed */
    }
}

/* Walks the tags; returns true if the end tag was reached. */
static bool walk_tags(struct boot_info *bi, struct mb2_state *st,
                      const uint8_t *info, uint32_t total)
{
    uint32_t off = 8;

    while (off < total) {
        if (total - off < 8) {
            bootinfo_error(bi, "mb2: %u stray bytes at offset 0x%x, no room for a tag: truncated info, stopping\n",
                           total - off, off);
            return false;
        }
        struct mb2_tag t = { info + off, bootinfo_rd32(info + off),
                             bootinfo_rd32(info + off + 4), off };
        if (t.size < 8) {
            bootinfo_error(bi, "mb2: tag %u at offset 0x%x has size %u < 8: stopping\n",
                           t.type, off, t.size);
            return false;
        }
        if (t.size > total - off) {
            bootinfo_error(bi, "mb2: tag %u at offset 0x%x has size 0x%x beyond total size 0x%x: truncated info, stopping\n",
                           t.type, off, t.size, total);
            return false;
        }
        if (t.type == MB2_TAG_END)
            return true;
        parse_tag(bi, st, &t);
        off += ALIGN_UP(t.size, 8u);    /* both <= 1 MiB: no overflow */
    }
    bootinfo_error(bi, "mb2: no end tag within total size 0x%x: truncated info\n", total);
    return false;
}

int bootinfo_parse_mb2(uint64_t info_phys, const struct boot_mem_access *m,
                       struct boot_info *bi)
{
    struct mb2_state st = { 0 };

    memset(bi, 0, sizeof(*bi));
    bi->protocol = 2;
    const uint8_t *hdr = m->map(m->ctx, info_phys, 8);
    if (!hdr) {
        bootinfo_error(bi, "mb2: boot information at 0x%lx is not readable\n", info_phys);
        return -EFAULT;
    }
    uint32_t total = bootinfo_rd32(hdr);
    if (total < MB2_INFO_MIN || total > MB2_INFO_MAX) {
        bootinfo_error(bi, "mb2: boot information at 0x%lx has absurd total size 0x%x (want 0x%x..0x%lx)\n",
                       info_phys, total, MB2_INFO_MIN, MB2_INFO_MAX);
        return -EINVAL;
    }
    const uint8_t *info = m->map(m->ctx, info_phys, total);
    if (!info) {
        bootinfo_error(bi, "mb2: boot information at 0x%lx (size 0x%x) is not readable\n",
                       info_phys, total);
        return -EFAULT;
    }
    walk_tags(bi, &st, info, total);
    /* The EFI map is the firmware's own and more complete than the
     * loader's E820-style copy: prefer it. */
    if (st.efi_mmap.p)
        parse_efi_mmap(bi, &st);
    if (!bi->nr_mmap && st.mmap.p)
        parse_mmap(bi, &st.mmap);
    return bootinfo_finish(bi, "mb2");
}
