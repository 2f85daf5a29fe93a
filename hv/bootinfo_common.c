/* Boot information: helpers shared by the Multiboot1 and Multiboot2 parsers,
 * the magic dispatch and the module sanity check (pure; host-tested). */
#include <keel/bootinfo.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

void bootinfo_error(struct boot_info *bi, const char *fmt, ...)
{
    va_list ap;

    bi->nr_errors++;
    va_start(ap, fmt);
    log_vprintf(LOG_ERR, fmt, ap);
    va_end(ap);
}

int bootinfo_copy_string(char *dst, size_t size, const char *src, size_t avail)
{
    size_t n = 0;

    if (!size)
        return 1;
    for (; n < avail && src[n]; n++) {
        if (n == size - 1) {
            dst[n] = '\0';
            return 1;
        }
        dst[n] = src[n];
    }
    dst[n] = '\0';
    return n == avail;          /* ran out of bytes before the NUL */
}

int bootinfo_copy_phys_string(const struct boot_mem_access *m, uint64_t phys,
                              char *dst, size_t size)
{
    size_t n = 0;

    if (!size)
        return 1;
    for (;;) {
        /* Map page by page: a string may end just before unreadable memory. */
        if (n > UINT64_MAX - phys)
            break;
        uint64_t addr = phys + n;
        size_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
        const char *s = m->map(m->ctx, addr, chunk);
        if (!s)
            break;
        for (size_t i = 0; i < chunk; i++) {
            if (!s[i]) {
                dst[n] = '\0';
                return 0;
            }
            if (n == size - 1) {
                dst[n] = '\0';
                return 1;
            }
            dst[n++] = s[i];
        }
    }
    dst[n] = '\0';
    return n ? 1 : -EFAULT;
}

void bootinfo_add_range(struct boot_info *bi, uint64_t base, uint64_t len,
                        uint32_t type)
{
    /* nr_mmap == BOOT_MAX_MMAP + 1 means "full, already warned"; finish
     * puts it back. */
    if (!len || bi->nr_mmap > BOOT_MAX_MMAP)
        return;
    /* Firmware maps (EFI above all) come in many small contiguous pieces of
     * one kind: coalesce them so they fit the table. */
    if (bi->nr_mmap) {
        struct mem_range *last = &bi->mmap[bi->nr_mmap - 1];
        if (last->type == type && last->len <= UINT64_MAX - last->base &&
            last->base + last->len == base && len <= UINT64_MAX - last->len) {
            last->len += len;
            return;
        }
    }
    if (bi->nr_mmap == BOOT_MAX_MMAP) {
        log_warn("boot: more than %u memory map entries: ignoring 0x%lx+0x%lx type %u and any later\n",
                 BOOT_MAX_MMAP, base, len, type);
        bi->nr_mmap++;
        return;
    }
    bi->mmap[bi->nr_mmap++] = (struct mem_range){ base, len, type };
}

struct boot_module *bootinfo_add_module(struct boot_info *bi, uint64_t start,
                                        uint64_t end)
{
    if (bi->nr_mod >= BOOT_MAX_MODULES) {
        log_warn("boot: more than %u modules: ignoring module 0x%lx-0x%lx\n",
                 BOOT_MAX_MODULES, start, end);
        return NULL;
    }
    struct boot_module *mod = &bi->mod[bi->nr_mod++];
    mod->start = start;
    mod->end = end;
    mod->cmdline[0] = '\0';
    return mod;
}

uint32_t bootinfo_e820_type(uint32_t type)
{
    switch (type) {
    case 1: return MEM_USABLE;
    case 3: return MEM_ACPI;
    case 4: return MEM_NVS;
    case 5: return MEM_BAD;
    default: return MEM_RESERVED;
    }
}

int bootinfo_finish(struct boot_info *bi, const char *who)
{
    if (bi->nr_mmap > BOOT_MAX_MMAP)
        bi->nr_mmap = BOOT_MAX_MMAP;
    if (bi->nr_mmap)
        return 0;
    if (!bi->has_basic_mem) {
        bootinfo_error(bi, "%s: no memory map and no basic memory information\n", who);
        return -ENOENT;
    }
    log_warn("%s: no memory map: using basic memory sizes (lower %lu KiB, upper %lu KiB)\n",
             who, bi->mem_lower_kib, bi->mem_upper_kib);
    /* The upper figure counts KiB from 1 MiB; cap it so the end cannot wrap. */
    uint64_t upper = MIN(bi->mem_upper_kib, (UINT64_MAX >> 10) - KiB(1));
    bootinfo_add_range(bi, 0, KiB(MIN(bi->mem_lower_kib, 640)), MEM_USABLE);
    bootinfo_add_range(bi, MiB(1), KiB(upper), MEM_USABLE);
    if (!bi->nr_mmap) {
        bootinfo_error(bi, "%s: no memory map and basic memory sizes are zero\n", who);
        return -ENOENT;
    }
    return 0;
}

int bootinfo_parse(uint32_t magic, uint64_t info_phys,
                   const struct boot_mem_access *m, struct boot_info *bi)
{
    if (magic == MB2_BOOT_MAGIC)
        return bootinfo_parse_mb2(info_phys, m, bi);
    if (magic == MB1_BOOT_MAGIC)
        return bootinfo_parse_mb1(info_phys, m, bi);
    memset(bi, 0, sizeof(*bi));
    bootinfo_error(bi, "boot: unknown boot loader magic 0x%x (want Multiboot2 0x%x or Multiboot1 0x%x)\n",
                   magic, MB2_BOOT_MAGIC, MB1_BOOT_MAGIC);
    return -EINVAL;
}

static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* Logs why module `index` (now at bi->mod[k]) must go and returns true, or
 * returns false if it is fine. Modules before k have already passed. */
static bool module_rejected(struct boot_info *bi, unsigned k, unsigned index,
                            uint64_t img0, uint64_t img1)
{
    const struct boot_module *mod = &bi->mod[k];

    if (mod->end <= mod->start) {
        bootinfo_error(bi, "boot: module %u (0x%lx-0x%lx) dropped: %s\n", index,
                       mod->start, mod->end,
                       mod->end < mod->start ? "ends before it starts" : "is empty");
        return true;
    }
    if (ranges_overlap(mod->start, mod->end, img0, img1)) {
        bootinfo_error(bi, "boot: module %u (0x%lx-0x%lx) dropped: overlaps the hypervisor image (0x%lx-0x%lx)\n",
                       index, mod->start, mod->end, img0, img1);
        return true;
    }
    for (unsigned j = 0; j < k; j++) {
        const struct boot_module *prev = &bi->mod[j];
        if (ranges_overlap(mod->start, mod->end, prev->start, prev->end)) {
            bootinfo_error(bi, "boot: module %u (0x%lx-0x%lx) dropped: overlaps an earlier module (0x%lx-0x%lx)\n",
                           index, mod->start, mod->end, prev->start, prev->end);
            return true;
        }
    }
    return false;
}

int bootinfo_check_modules(struct boot_info *bi, uint64_t image_start,
                           uint64_t image_end)
{
    unsigned kept = 0, nr = MIN(bi->nr_mod, BOOT_MAX_MODULES);

    for (unsigned i = 0; i < nr; i++) {
        /* Compact as we go so "earlier modules" means the kept ones. */
        if (kept != i)
            bi->mod[kept] = bi->mod[i];
        if (!module_rejected(bi, kept, i, image_start, image_end))
            kept++;
    }
    bi->nr_mod = kept;
    return (int)(nr - kept);
}
