/* Multiboot1 boot information parser (pure; host-tested).
 * Layout (Multiboot 0.6.96, section 3.3): a fixed structure whose `flags`
 * say which fields are valid; the command line, modules, memory map and
 * loader name are physical pointers, each mapped (and bounds-checked)
 * through the caller's map() before it is read. */
#include <keel/bootinfo.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define MB1_FLAG_MEM            (1u << 0)
#define MB1_FLAG_CMDLINE        (1u << 2)
#define MB1_FLAG_MODS           (1u << 3)
#define MB1_FLAG_MMAP           (1u << 6)
#define MB1_FLAG_LOADER_NAME    (1u << 9)

/* Field offsets in the info structure. */
#define MB1_FLAGS               0
#define MB1_MEM_LOWER           4
#define MB1_MEM_UPPER           8
#define MB1_CMDLINE             16
#define MB1_MODS_COUNT          20
#define MB1_MODS_ADDR           24
#define MB1_MMAP_LENGTH         44
#define MB1_MMAP_ADDR           48
#define MB1_LOADER_NAME         64
#define MB1_INFO_LEN            68      /* up to and including the loader name */

#define MB1_MODULE_LEN          16      /* mod_start, mod_end, string, reserved */
#define MB1_MMAP_ENTRY_MIN      20      /* `size` excludes itself: base, len, type */
#define MB1_MMAP_MAX            MiB(1)

static void copy_string(struct boot_info *bi, const struct boot_mem_access *m,
                        uint32_t phys, char *dst, size_t size, const char *what)
{
    int rc = bootinfo_copy_phys_string(m, phys, dst, size);

    if (rc < 0)
        bootinfo_error(bi, "mb1: %s at 0x%x is not readable: ignored\n", what, phys);
    else if (rc > 0)
        log_warn("mb1: %s at 0x%x is unterminated or longer than %zu bytes: truncated to '%s'\n",
                 what, phys, size - 1, dst);
}

static void parse_modules(struct boot_info *bi, const struct boot_mem_access *m,
                          uint32_t count, uint32_t addr)
{
    if (count > BOOT_MAX_MODULES) {
        log_warn("mb1: %u modules: keeping the first %u\n", count, BOOT_MAX_MODULES);
        count = BOOT_MAX_MODULES;
    }
    if (!count)
        return;
    const uint8_t *mods = m->map(m->ctx, addr, (size_t)count * MB1_MODULE_LEN);
    if (!mods) {
        bootinfo_error(bi, "mb1: module list at 0x%x (%u modules) is not readable: no modules\n",
                       addr, count);
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = mods + i * MB1_MODULE_LEN;
        struct boot_module *mod = bootinfo_add_module(bi, bootinfo_rd32(e),
                                                      bootinfo_rd32(e + 4));
        if (mod)
            copy_string(bi, m, bootinfo_rd32(e + 8), mod->cmdline,
                        sizeof(mod->cmdline), "module string");
    }
}

static void parse_mmap(struct boot_info *bi, const struct boot_mem_access *m,
                       uint32_t length, uint32_t addr)
{
    if (length > MB1_MMAP_MAX) {
        bootinfo_error(bi, "mb1: memory map at 0x%x has absurd length 0x%x: ignored\n",
                       addr, length);
        return;
    }
    if (!length) {
        bootinfo_error(bi, "mb1: memory map at 0x%x is empty (length 0)\n", addr);
        return;
    }
    const uint8_t *map = m->map(m->ctx, addr, length);
    if (!map) {
        bootinfo_error(bi, "mb1: memory map at 0x%x (length 0x%x) is not readable: ignored\n",
                       addr, length);
        return;
    }
    /* Each entry: u32 size (of the rest), u64 base, u64 len, u32 type. */
    for (uint32_t off = 0; off < length; ) {
        if (length - off < 4 + MB1_MMAP_ENTRY_MIN) {
            bootinfo_error(bi, "mb1: memory map entry at offset 0x%x is cut off at length 0x%x: stopping\n",
                           off, length);
            return;
        }
        uint32_t size = bootinfo_rd32(map + off);
        if (size < MB1_MMAP_ENTRY_MIN || size > length - off - 4) {
            bootinfo_error(bi, "mb1: memory map entry at offset 0x%x has size %u (want %u..%u): stopping\n",
                           off, size, MB1_MMAP_ENTRY_MIN, length - off - 4);
            return;
        }
        const uint8_t *e = map + off + 4;
        bootinfo_add_range(bi, bootinfo_rd64(e), bootinfo_rd64(e + 8),
                           bootinfo_e820_type(bootinfo_rd32(e + 16)));
        off += size + 4;        /* size <= length - off - 4: no overflow */
    }
}

/* QEMU and GRUB legacy put the image's own path first on the command line;
 * GRUB 2 does not. Drop that first word so only options remain. */
static void strip_image_name(struct boot_info *bi)
{
    static const char grub2[] = "GRUB 2";
    char *p = bi->cmdline;

    if (!strncmp(bi->loader, grub2, sizeof(grub2) - 1))
        return;
    while (*p == ' ')
        p++;
    while (*p && *p != ' ')
        p++;
    while (*p == ' ')
        p++;
    memmove(bi->cmdline, p, strlen(p) + 1);
}

int bootinfo_parse_mb1(uint64_t info_phys, const struct boot_mem_access *m,
                       struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    bi->protocol = 1;
    const uint8_t *info = m->map(m->ctx, info_phys, MB1_INFO_LEN);
    if (!info) {
        bootinfo_error(bi, "mb1: boot information at 0x%lx is not readable\n", info_phys);
        return -EFAULT;
    }
    uint32_t flags = bootinfo_rd32(info + MB1_FLAGS);
    if (flags & MB1_FLAG_MEM) {
        bi->mem_lower_kib = bootinfo_rd32(info + MB1_MEM_LOWER);
        bi->mem_upper_kib = bootinfo_rd32(info + MB1_MEM_UPPER);
        bi->has_basic_mem = true;
    }
    if (flags & MB1_FLAG_LOADER_NAME)
        copy_string(bi, m, bootinfo_rd32(info + MB1_LOADER_NAME), bi->loader,
                    sizeof(bi->loader), "boot loader name");
    if (flags & MB1_FLAG_CMDLINE) {
        copy_string(bi, m, bootinfo_rd32(info + MB1_CMDLINE), bi->cmdline,
                    sizeof(bi->cmdline), "command line");
        strip_image_name(bi);
    }
    if (flags & MB1_FLAG_MODS)
        parse_modules(bi, m, bootinfo_rd32(info + MB1_MODS_COUNT),
                      bootinfo_rd32(info + MB1_MODS_ADDR));
    if (flags & MB1_FLAG_MMAP)
        parse_mmap(bi, m, bootinfo_rd32(info + MB1_MMAP_LENGTH),
                   bootinfo_rd32(info + MB1_MMAP_ADDR));
    return bootinfo_finish(bi, "mb1");
}
