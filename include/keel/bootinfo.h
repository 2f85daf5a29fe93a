/* Boot information: what the boot loader handed over (Multiboot2 or
 * Multiboot1), turned into one neutral structure. The parsers are pure: they
 * read memory only through a caller-supplied map() callback and treat every
 * length and pointer in the boot information as hostile.
 * Specs: Multiboot2 Specification 2.0 (section 3.6), Multiboot 0.6.96
 * (section 3.3). */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include <keel/types.h>
#include <keel/compiler.h>

#define MB2_BOOT_MAGIC      0x36d76289u     /* in EAX from a Multiboot2 loader */
#define MB1_BOOT_MAGIC      0x2badb002u     /* in EAX from a Multiboot1 loader */

#define BOOT_MAX_MMAP       160
#define BOOT_MAX_MODULES    32
#define BOOT_CMDLINE_MAX    1024
#define BOOT_MODLINE_MAX    512

enum mem_type {
    MEM_USABLE   = 1,
    MEM_RESERVED = 2,
    MEM_ACPI     = 3,   /* ACPI tables, reclaimable once parsed */
    MEM_NVS      = 4,   /* ACPI NVS: firmware keeps it across sleep */
    MEM_BAD      = 5,   /* defective RAM */
    MEM_FIRMWARE = 6,   /* RAM the firmware keeps (UEFI runtime services,
                           reserved RAM): never allocated, but counted as RAM */
};

struct mem_range {
    uint64_t base, len;
    uint32_t type;      /* enum mem_type */
};

struct boot_module {
    uint64_t start, end;                /* physical, end exclusive */
    char cmdline[BOOT_MODLINE_MAX];
};

struct boot_info {
    int protocol;                       /* 1 or 2 */
    char cmdline[BOOT_CMDLINE_MAX];
    char loader[64];
    struct mem_range mmap[BOOT_MAX_MMAP];   /* raw: not yet sanitised */
    unsigned nr_mmap;
    bool mmap_from_efi;
    uint64_t mem_lower_kib, mem_upper_kib;
    bool has_basic_mem;
    struct boot_module mod[BOOT_MAX_MODULES];
    unsigned nr_mod;
    uint8_t rsdp[36];                   /* copy from the MB2 ACPI tag */
    unsigned rsdp_len;                  /* 0 if none (20: v1, 36: v2) */
    bool efi;
    uint64_t efi_systab;
    unsigned nr_errors;                 /* malformed items reported */
};

/* Turns a physical range into a readable pointer, or NULL if the range is
 * not readable. The parsers never touch boot memory any other way. */
struct boot_mem_access {
    const void *(*map)(void *ctx, uint64_t phys, size_t len);
    void *ctx;
};

/* Each fills *bi (cleared first) with whatever is valid, logs one clear
 * log_err line per malformed item (counted in bi->nr_errors) and goes on.
 * Returns 0; -EFAULT if the info itself is unreadable; -EINVAL if its size
 * is absurd or the magic is unknown; -ENOENT if there is no memory
 * information at all. bi->cmdline holds options only: for Multiboot1 from
 * a loader other than GRUB 2 (QEMU -kernel, GRUB legacy) the image path
 * that such loaders put first is removed. Module strings are left as given
 * (with those loaders they start with the module's path, as under Xen). */
int bootinfo_parse_mb2(uint64_t info_phys, const struct boot_mem_access *m,
                       struct boot_info *bi);
int bootinfo_parse_mb1(uint64_t info_phys, const struct boot_mem_access *m,
                       struct boot_info *bi);
int bootinfo_parse(uint32_t magic, uint64_t info_phys,
                   const struct boot_mem_access *m, struct boot_info *bi);

/* Drops modules that are empty, end before they start, overlap the
 * hypervisor image [image_start, image_end) or overlap an earlier module,
 * each with a log_err line; the rest keep their order. Returns the number
 * dropped (the caller decides whether a missing dom0 kernel is fatal). */
int bootinfo_check_modules(struct boot_info *bi, uint64_t image_start,
                           uint64_t image_end);

/* ---- Shared by the MB1 and MB2 parsers (bootinfo_common.c); not an API
 * for other callers. ---- */

/* Logs (log_err) and counts one malformed item. */
void bootinfo_error(struct boot_info *bi, const char *fmt, ...) __printf(2, 3);
/* Copies a string of at most `avail` readable bytes into dst[size]. Returns
 * 0 if a NUL was found and everything fit, 1 if truncated. */
int bootinfo_copy_string(char *dst, size_t size, const char *src, size_t avail);
/* Copies a NUL-terminated string at physical `phys` through m. Returns 0,
 * 1 if truncated, -EFAULT if not even its first byte is readable. */
int bootinfo_copy_phys_string(const struct boot_mem_access *m, uint64_t phys,
                              char *dst, size_t size);
/* Appends a raw range (merging with the previous one when contiguous and of
 * the same type); warns once and drops it when the table is full. */
void bootinfo_add_range(struct boot_info *bi, uint64_t base, uint64_t len,
                        uint32_t type);
/* Appends a module; warns and drops it when the table is full. Returns the
 * new module or NULL. */
struct boot_module *bootinfo_add_module(struct boot_info *bi, uint64_t start,
                                        uint64_t end);
/* Maps an E820-style type (Multiboot mmap entries) to enum mem_type. */
uint32_t bootinfo_e820_type(uint32_t type);
/* Called last by each parser: falls back to the basic memory sizes when no
 * map was given. Returns 0 or -ENOENT. */
int bootinfo_finish(struct boot_info *bi, const char *who);

/* Unaligned little-endian reads of hostile structures. */
static inline uint32_t bootinfo_rd32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static inline uint64_t bootinfo_rd64(const void *p)
{
    return bootinfo_rd32(p) | (uint64_t)bootinfo_rd32((const uint8_t *)p + 4) << 32;
}

#endif
