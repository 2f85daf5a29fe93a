/* Unit tests for hv/bootinfo_{mb2,mb1,common}.c: synthetic Multiboot2 and
 * Multiboot1 structures in a fake physical address space. map() hands out
 * an exactly-sized heap copy of the range asked for, so ASan catches any
 * read beyond what the parser mapped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/bootinfo.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "host_log.h"

#define FAKE_BASE   0x100000ull
#define FAKE_SIZE   0x20000u            /* page multiple: map() chunking */

static uint8_t fake[FAKE_SIZE];
static void *copies[4096];
static unsigned nr_copies;

static const void *fake_map(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (phys < FAKE_BASE || len > FAKE_SIZE || phys - FAKE_BASE > FAKE_SIZE - len)
        return NULL;
    assert_true(nr_copies < ARRAY_SIZE(copies));
    void *c = malloc(len ? len : 1);
    memcpy(c, fake + (phys - FAKE_BASE), len);
    copies[nr_copies++] = c;
    return c;
}

static const struct boot_mem_access mem = { fake_map, NULL };
static struct boot_info bi;

static int setup(void **state)
{
    (void)state;
    memset(fake, 0, sizeof(fake));
    host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    while (nr_copies)
        free(copies[--nr_copies]);
    return 0;
}

static void put32(uint64_t phys, uint32_t v) { memcpy(fake + (phys - FAKE_BASE), &v, 4); }
static void put64(uint64_t phys, uint64_t v) { memcpy(fake + (phys - FAKE_BASE), &v, 8); }
static void putstr(uint64_t phys, const char *s) { memcpy(fake + (phys - FAKE_BASE), s, strlen(s) + 1); }

/* ---- Multiboot2 builder: info at FAKE_BASE ---- */

static uint32_t mb2_off;

static void mb2_begin(void) { mb2_off = 8; }

/* Starts a tag of `size` bytes and returns the physical address of it. */
static uint64_t mb2_tag(uint32_t type, uint32_t size)
{
    mb2_off = ALIGN_UP(mb2_off, 8u);
    uint64_t at = FAKE_BASE + mb2_off;
    put32(at, type);
    put32(at + 4, size);
    mb2_off += size;
    return at;
}

static void mb2_string_tag(uint32_t type, const char *s)
{
    uint64_t at = mb2_tag(type, 8 + (uint32_t)strlen(s) + 1);
    putstr(at + 8, s);
}

static void mb2_module(uint32_t start, uint32_t end, const char *s)
{
    uint64_t at = mb2_tag(3, 16 + (uint32_t)strlen(s) + 1);
    put32(at + 8, start);
    put32(at + 12, end);
    putstr(at + 16, s);
}

static void mb2_basic_mem(uint32_t lower, uint32_t upper)
{
    uint64_t at = mb2_tag(4, 16);
    put32(at + 8, lower);
    put32(at + 12, upper);
}

struct e820 { uint64_t base, len; uint32_t type; };

static void mb2_mmap(const struct e820 *e, unsigned n, uint32_t esize)
{
    uint64_t at = mb2_tag(6, 16 + n * esize);
    put32(at + 8, esize);
    for (unsigned i = 0; i < n; i++) {
        put64(at + 16 + i * esize, e[i].base);
        put64(at + 24 + i * esize, e[i].len);
        put32(at + 32 + i * esize, e[i].type);
    }
}

static uint32_t mb2_end(void)
{
    mb2_tag(0, 8);
    put32(FAKE_BASE, mb2_off);
    return mb2_off;
}

static int parse_mb2(void)
{
    return bootinfo_parse_mb2(FAKE_BASE, &mem, &bi);
}

static void mb2_full_info_parses(void **state)
{
    static const struct e820 map[] = {
        { 0, 0x9fc00, 1 }, { 0xf0000, 0x10000, 2 }, { 0x100000, 0x7ef0000, 1 },
        { 0x7ff0000, 0x10000, 3 }, { 0xfee00000, 0x1000, 4 }, { 0x8000000, 0x1000, 5 },
    };
    (void)state;
    mb2_begin();
    mb2_string_tag(1, "console=com1 loglvl=all");
    mb2_string_tag(2, "GRUB 2.06");
    mb2_module(0x1000000, 0x1400000, "vmlinuz root=/dev/xvda1");
    mb2_module(0x1400000, 0x1800000, "");
    mb2_basic_mem(639, 130048);
    mb2_mmap(map, ARRAY_SIZE(map), 24);
    uint64_t acpi = mb2_tag(14, 8 + 20);
    memcpy(fake + (acpi + 8 - FAKE_BASE), "RSD PTR v1 copy.....", 20);
    uint64_t efi = mb2_tag(12, 16);
    put64(efi + 8, 0x7f000018);
    mb2_end();

    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_errors, 0);
    assert_int_equal(bi.protocol, 2);
    assert_string_equal(bi.cmdline, "console=com1 loglvl=all");
    assert_string_equal(bi.loader, "GRUB 2.06");
    assert_int_equal(bi.nr_mod, 2);
    assert_true(bi.mod[0].start == 0x1000000 && bi.mod[0].end == 0x1400000);
    assert_string_equal(bi.mod[0].cmdline, "vmlinuz root=/dev/xvda1");
    assert_string_equal(bi.mod[1].cmdline, "");
    assert_true(bi.has_basic_mem && bi.mem_lower_kib == 639 && bi.mem_upper_kib == 130048);
    assert_int_equal(bi.nr_mmap, 6);
    assert_false(bi.mmap_from_efi);
    assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
    assert_int_equal(bi.mmap[3].type, MEM_ACPI);
    assert_int_equal(bi.mmap[4].type, MEM_NVS);
    assert_int_equal(bi.mmap[5].type, MEM_BAD);
    assert_true(bi.mmap[2].base == 0x100000 && bi.mmap[2].len == 0x7ef0000);
    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, "RSD PTR v1 copy", 15);
    assert_true(bi.efi && bi.efi_systab == 0x7f000018);
}

static void mb2_acpi_new_wins_over_old_in_any_order(void **state)
{
    (void)state;
    mb2_begin();
    uint64_t n = mb2_tag(15, 8 + 36);
    memset(fake + (n + 8 - FAKE_BASE), 'N', 36);
    uint64_t o = mb2_tag(14, 8 + 20);
    memset(fake + (o + 8 - FAKE_BASE), 'O', 20);
    mb2_basic_mem(640, 1024);
    mb2_end();
    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.rsdp_len, 36);
    assert_int_equal(bi.rsdp[0], 'N');
}

static void put_efi_desc(uint64_t at, uint32_t type, uint64_t start, uint64_t pages, uint64_t attr)
{
    put32(at, type);
    put64(at + 8, start);
    put64(at + 16, 0);
    put64(at + 24, pages);
    put64(at + 32, attr);
}

static void mb2_efi_map_preferred_and_descriptor_size_honoured(void **state)
{
    static const struct e820 map[] = { { 0, 0x1000, 1 } };
    (void)state;
    mb2_begin();
    mb2_mmap(map, 1, 24);                       /* ignored: EFI map wins */
    const uint32_t dsz = 48;                    /* larger than the 40 we read */
    uint64_t t = mb2_tag(17, 16 + 10 * dsz);
    put32(t + 8, dsz);
    put32(t + 12, 1);
    uint64_t d = t + 16;
    put_efi_desc(d + 0 * dsz, 7, 0x0, 0x9f, 0xf);          /* conventional */
    put_efi_desc(d + 1 * dsz, 3, 0x9f000, 0x1, 0xf);       /* BS code: contiguous, merged */
    put_efi_desc(d + 2 * dsz, 9, 0x100000, 0x10, 0xf);     /* ACPI reclaim */
    put_efi_desc(d + 3 * dsz, 10, 0x110000, 0x10, 0xf);    /* ACPI NVS */
    put_efi_desc(d + 4 * dsz, 8, 0x120000, 0x10, 0xf);     /* unusable */
    put_efi_desc(d + 5 * dsz, 11, 0xfec00000, 0x1, 0x1);   /* MMIO */
    put_efi_desc(d + 6 * dsz, 7, 0x200000, 0x100, 0x1);    /* conventional, UC only */
    put_efi_desc(d + 7 * dsz, 6, 0x400000, 0x10, 0x800000000000000fULL); /* runtime data, WB */
    put_efi_desc(d + 8 * dsz, 0, 0x500000, 0x10, 0xf);     /* reserved RAM, WB */
    put_efi_desc(d + 9 * dsz, 0, 0xb0000000, 0x100, 0x1);  /* reserved, UC: device */
    mb2_end();

    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_errors, 0);
    assert_true(bi.mmap_from_efi);
    assert_int_equal(bi.nr_mmap, 9);
    assert_int_equal(bi.mmap[6].type, MEM_FIRMWARE);
    assert_int_equal(bi.mmap[7].type, MEM_FIRMWARE);
    assert_int_equal(bi.mmap[8].type, MEM_RESERVED);
    assert_true(bi.mmap[0].base == 0 && bi.mmap[0].len == 0xa0000);
    assert_int_equal(bi.mmap[0].type, MEM_USABLE);
    assert_int_equal(bi.mmap[1].type, MEM_ACPI);
    assert_int_equal(bi.mmap[2].type, MEM_NVS);
    assert_int_equal(bi.mmap[3].type, MEM_BAD);
    assert_int_equal(bi.mmap[4].type, MEM_RESERVED);
    assert_int_equal(bi.mmap[5].type, MEM_RESERVED);
}

static void mb2_efi_bs_not_terminated_keeps_bs_memory_as_firmware(void **state)
{
    (void)state;
    mb2_begin();
    mb2_tag(18, 8);
    uint64_t t = mb2_tag(17, 16 + 40);
    put32(t + 8, 40);
    put_efi_desc(t + 16, 4, 0x100000, 0x100, 0xf);
    mb2_end();
    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_mmap, 1);
    assert_int_equal(bi.mmap[0].type, MEM_FIRMWARE);
}

static void mb2_truncated_tag_is_reported_and_earlier_tags_kept(void **state)
{
    (void)state;
    mb2_begin();
    mb2_string_tag(1, "noreboot");
    mb2_basic_mem(640, 2048);
    uint64_t bad = mb2_tag(6, 16);
    put32(bad + 4, 0x400);                      /* claims far more than exists */
    mb2_end();

    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_errors, 1);
    assert_true(host_log_contains("mb2: tag 6 at offset 0x30 has size 0x400 beyond total size 0x48: truncated info, stopping"));
    assert_string_equal(bi.cmdline, "noreboot");
    /* no memory map survived: the basic sizes stand in, with a warning */
    assert_true(host_log_contains("no memory map: using basic memory sizes"));
    assert_int_equal(bi.nr_mmap, 2);
    assert_true(bi.mmap[1].base == 0x100000 && bi.mmap[1].len == 2048 * 1024);
}

static void mb2_tag_size_below_8_stops(void **state)
{
    (void)state;
    mb2_begin();
    mb2_basic_mem(640, 2048);
    uint64_t bad = mb2_tag(1, 8);
    put32(bad + 4, 4);
    mb2_end();
    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_errors, 1);
    assert_true(host_log_contains("has size 4 < 8: stopping"));
}

static void mb2_missing_end_tag_is_reported(void **state)
{
    (void)state;
    mb2_begin();
    mb2_basic_mem(640, 2048);
    put32(FAKE_BASE, mb2_off);                  /* total ends right after it */
    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_errors, 1);
    assert_true(host_log_contains("no end tag"));
}

static void mb2_absurd_total_size_rejected(void **state)
{
    (void)state;
    put32(FAKE_BASE, 12);
    assert_int_equal(parse_mb2(), -EINVAL);
    assert_true(host_log_contains("absurd total size 0xc"));
    put32(FAKE_BASE, 0x100001);
    assert_int_equal(parse_mb2(), -EINVAL);
    assert_int_equal(bi.nr_errors, 1);
}

static void mb2_unreadable_info_rejected(void **state)
{
    (void)state;
    assert_int_equal(bootinfo_parse_mb2(0x5000, &mem, &bi), -EFAULT);
    assert_true(host_log_contains("mb2: boot information at 0x5000 is not readable"));
    /* header readable, total size runs past the readable memory */
    put32(FAKE_BASE + FAKE_SIZE - 8, 0x100);
    assert_int_equal(bootinfo_parse_mb2(FAKE_BASE + FAKE_SIZE - 8, &mem, &bi), -EFAULT);
}

static void mb2_short_mmap_entry_size_rejected(void **state)
{
    static const struct e820 map[] = { { 0, 0x100000, 1 } };
    (void)state;
    mb2_begin();
    mb2_mmap(map, 1, 20);
    mb2_end();
    assert_int_equal(parse_mb2(), -ENOENT);
    assert_true(host_log_contains("entry size 20 < 24"));
    assert_true(host_log_contains("no memory map"));
    assert_int_equal(bi.nr_errors, 2);
}

static void mb2_empty_memory_map_is_an_error(void **state)
{
    (void)state;
    mb2_begin();
    mb2_mmap(NULL, 0, 24);
    mb2_end();
    assert_int_equal(parse_mb2(), -ENOENT);
    assert_true(host_log_contains("mb2: memory map at offset 0x8 is empty"));
    assert_true(host_log_contains("no memory map"));
}

static void mb2_no_memory_information_at_all(void **state)
{
    (void)state;
    mb2_begin();
    mb2_string_tag(1, "x");
    mb2_end();
    assert_int_equal(parse_mb2(), -ENOENT);
    assert_true(host_log_contains("mb2: no memory map"));
}

static void mb2_too_many_mmap_entries_keeps_first(void **state)
{
    static struct e820 map[200];
    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(map); i++)
        map[i] = (struct e820){ i * 0x2000ull, 0x1000, 1 };     /* gaps: no merging */
    mb2_begin();
    mb2_mmap(map, ARRAY_SIZE(map), 24);
    mb2_end();
    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_mmap, BOOT_MAX_MMAP);
    assert_true(bi.mmap[BOOT_MAX_MMAP - 1].base == (BOOT_MAX_MMAP - 1) * 0x2000ull);
    assert_true(host_log_contains("more than 160 memory map entries"));
}

static void mb2_module_strings_bounded(void **state)
{
    char longline[700];
    (void)state;
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    mb2_begin();
    mb2_basic_mem(640, 2048);
    mb2_module(0x1000000, 0x1001000, longline);
    uint64_t t = mb2_tag(3, 16 + 4);            /* string without its NUL */
    put32(t + 8, 0x2000000);
    put32(t + 12, 0x2001000);
    memcpy(fake + (t + 16 - FAKE_BASE), "abcd", 4);
    mb2_tag(3, 12);                             /* too short for a module */
    mb2_end();

    assert_int_equal(parse_mb2(), 0);
    assert_int_equal(bi.nr_mod, 2);
    assert_int_equal(strlen(bi.mod[0].cmdline), BOOT_MODLINE_MAX - 1);
    assert_string_equal(bi.mod[1].cmdline, "abcd");
    assert_true(host_log_contains("module string at offset"));
    assert_true(host_log_contains("tag 3 at offset"));
    assert_int_equal(bi.nr_errors, 1);
}

static void mb2_unaligned_info_is_read_safely(void **state)
{
    (void)state;
    /* Build at FAKE_BASE then move it up by 4: all reads are bytewise. */
    mb2_begin();
    mb2_basic_mem(640, 4096);
    uint32_t total = mb2_end();
    memmove(fake + 4, fake, total);
    assert_int_equal(bootinfo_parse_mb2(FAKE_BASE + 4, &mem, &bi), 0);
    assert_int_equal(bi.mem_upper_kib, 4096);
}

/* ---- Multiboot1: info at FAKE_BASE, data behind it ---- */

#define MB1_CMDLINE     (FAKE_BASE + 0x100)
#define MB1_LOADER      (FAKE_BASE + 0x200)
#define MB1_MODS        (FAKE_BASE + 0x300)
#define MB1_MODSTR      (FAKE_BASE + 0x400)
#define MB1_MMAP        (FAKE_BASE + 0x800)

static void mb1_mmap_entry(unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
    uint64_t e = MB1_MMAP + i * 24;
    put32(e, 20);
    put64(e + 4, base);
    put64(e + 12, len);
    put32(e + 20, type);
}

static void mb1_build(void)
{
    put32(FAKE_BASE, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    put32(FAKE_BASE + 4, 639);
    put32(FAKE_BASE + 8, 65536);
    put32(FAKE_BASE + 16, (uint32_t)MB1_CMDLINE);
    putstr(MB1_CMDLINE, " /boot/keel.elf  com1=9600,8n1");
    put32(FAKE_BASE + 20, 2);
    put32(FAKE_BASE + 24, (uint32_t)MB1_MODS);
    put32(MB1_MODS + 0, 0x2000000);
    put32(MB1_MODS + 4, 0x2100000);
    put32(MB1_MODS + 8, (uint32_t)MB1_MODSTR);
    putstr(MB1_MODSTR, "kernel console=hvc0");
    put32(MB1_MODS + 16, 0x2100000);
    put32(MB1_MODS + 20, 0x2200000);
    put32(MB1_MODS + 24, (uint32_t)MB1_MODSTR + 0x40);
    putstr(MB1_MODSTR + 0x40, "initrd");
    put32(FAKE_BASE + 44, 3 * 24);
    put32(FAKE_BASE + 48, (uint32_t)MB1_MMAP);
    mb1_mmap_entry(0, 0, 0x9fc00, 1);
    mb1_mmap_entry(1, 0x9fc00, 0x400, 2);
    mb1_mmap_entry(2, 0x100000, 0x3ff00000, 1);
    put32(FAKE_BASE + 64, (uint32_t)MB1_LOADER);
    putstr(MB1_LOADER, "qemu");
}

static int parse_mb1(void)
{
    return bootinfo_parse_mb1(FAKE_BASE, &mem, &bi);
}

static void mb1_full_info_parses(void **state)
{
    (void)state;
    mb1_build();
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(bi.nr_errors, 0);
    assert_int_equal(bi.protocol, 1);
    assert_string_equal(bi.cmdline, "com1=9600,8n1");
    assert_string_equal(bi.loader, "qemu");
    assert_int_equal(bi.nr_mod, 2);
    assert_string_equal(bi.mod[0].cmdline, "kernel console=hvc0");
    assert_string_equal(bi.mod[1].cmdline, "initrd");
    assert_true(bi.mod[1].start == 0x2100000 && bi.mod[1].end == 0x2200000);
    assert_int_equal(bi.nr_mmap, 3);
    assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
    assert_true(bi.mmap[2].len == 0x3ff00000);
    assert_int_equal(bi.rsdp_len, 0);
}

static void mb1_image_name_kept_only_from_grub2(void **state)
{
    (void)state;
    mb1_build();
    putstr(MB1_LOADER, "GRUB 2.06");
    putstr(MB1_CMDLINE, "loglvl=all noreboot");
    assert_int_equal(parse_mb1(), 0);
    assert_string_equal(bi.cmdline, "loglvl=all noreboot");
    putstr(MB1_LOADER, "qemu");
    putstr(MB1_CMDLINE, "build/keel.elf");
    assert_int_equal(parse_mb1(), 0);
    assert_string_equal(bi.cmdline, "");
}

static void mb1_pointers_to_nowhere_are_reported(void **state)
{
    (void)state;
    mb1_build();
    put32(FAKE_BASE + 16, 0x7000);              /* cmdline: unmapped */
    put32(MB1_MODS + 8, 0xfffffff0);            /* module 0 string: unmapped */
    put32(FAKE_BASE + 64, 0x10);                /* loader name: unmapped */
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(bi.nr_errors, 3);
    assert_true(host_log_contains("mb1: command line at 0x7000 is not readable"));
    assert_true(host_log_contains("mb1: module string at 0xfffffff0 is not readable"));
    assert_string_equal(bi.cmdline, "");
    assert_int_equal(bi.nr_mod, 2);
    assert_string_equal(bi.mod[1].cmdline, "initrd");

    host_log_clear();
    put32(FAKE_BASE + 24, 0x9000);              /* module list: unmapped */
    put32(FAKE_BASE + 48, 0x9000);              /* memory map: unmapped */
    assert_int_equal(parse_mb1(), 0);           /* falls back to mem_lower/upper */
    assert_true(host_log_contains("mb1: module list at 0x9000 (2 modules) is not readable"));
    assert_true(host_log_contains("mb1: memory map at 0x9000 (length 0x48) is not readable"));
    assert_int_equal(bi.nr_mod, 0);
    assert_int_equal(bi.nr_mmap, 2);
}

static void mb1_truncated_mmap_entry_stops(void **state)
{
    (void)state;
    mb1_build();
    put32(MB1_MMAP + 24, 0x100);                /* entry 1 claims 256 bytes */
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(bi.nr_mmap, 1);
    assert_int_equal(bi.nr_errors, 1);
    assert_true(host_log_contains("mb1: memory map entry at offset 0x18 has size 256"));

    host_log_clear();
    mb1_build();
    put32(FAKE_BASE + 44, 3 * 24 - 4);          /* last entry cut off */
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(bi.nr_mmap, 2);
    assert_true(host_log_contains("cut off"));
}

static void mb1_empty_mmap_without_mem_is_an_error(void **state)
{
    (void)state;
    mb1_build();
    put32(FAKE_BASE, (1u << 6));                /* only the (empty) map */
    put32(FAKE_BASE + 44, 0);
    assert_int_equal(parse_mb1(), -ENOENT);
    assert_true(host_log_contains("mb1: memory map at 0x100800 is empty"));
    assert_true(host_log_contains("mb1: no memory map"));
}

static void mb1_unreadable_info_and_unterminated_string(void **state)
{
    (void)state;
    assert_int_equal(bootinfo_parse_mb1(FAKE_BASE + FAKE_SIZE - 16, &mem, &bi), -EFAULT);
    assert_true(host_log_contains("mb1: boot information at"));

    /* A command line running into the end of readable memory. */
    host_log_clear();
    mb1_build();
    putstr(MB1_LOADER, "GRUB 2.06");            /* keep the whole command line */
    uint64_t tail = FAKE_BASE + FAKE_SIZE - 5000;
    memset(fake + (tail - FAKE_BASE), 'x', 5000);
    put32(FAKE_BASE + 16, (uint32_t)tail);
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_true(host_log_contains("mb1: command line at"));

    host_log_clear();
    tail = FAKE_BASE + FAKE_SIZE - 10;
    put32(FAKE_BASE + 16, (uint32_t)tail);
    assert_int_equal(parse_mb1(), 0);
    assert_string_equal(bi.cmdline, "xxxxxxxxxx");
    assert_true(host_log_contains("truncated"));
}

static void mb1_too_many_modules_keeps_first(void **state)
{
    (void)state;
    mb1_build();
    put32(FAKE_BASE + 20, 1000);
    for (unsigned i = 0; i < 32; i++) {
        put32(MB1_MODS + i * 16, 0x3000000 + i * 0x1000);
        put32(MB1_MODS + i * 16 + 4, 0x3000000 + i * 0x1000 + 0x1000);
        put32(MB1_MODS + i * 16 + 8, (uint32_t)MB1_LOADER);
    }
    assert_int_equal(parse_mb1(), 0);
    assert_int_equal(bi.nr_mod, BOOT_MAX_MODULES);
    assert_true(host_log_contains("mb1: 1000 modules: keeping the first 32"));
}

/* ---- dispatch and module checks ---- */

static void parse_dispatches_on_magic(void **state)
{
    (void)state;
    mb1_build();
    assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, FAKE_BASE, &mem, &bi), 0);
    assert_int_equal(bi.protocol, 1);
    assert_int_equal(bootinfo_parse(0x12345678, FAKE_BASE, &mem, &bi), -EINVAL);
    assert_true(host_log_contains("unknown boot loader magic 0x12345678"));
    memset(fake, 0, sizeof(fake));
    mb2_begin();
    mb2_basic_mem(640, 1024);
    mb2_end();
    assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, FAKE_BASE, &mem, &bi), 0);
    assert_int_equal(bi.protocol, 2);
}

static void set_module(unsigned i, uint64_t start, uint64_t end)
{
    bi.mod[i].start = start;
    bi.mod[i].end = end;
    snprintf(bi.mod[i].cmdline, sizeof(bi.mod[i].cmdline), "mod%u", i);
}

static void check_modules_drops_bad_ones(void **state)
{
    (void)state;
    memset(&bi, 0, sizeof(bi));
    set_module(0, 0x1000000, 0x2000000);    /* good */
    set_module(1, 0x0300000, 0x0400000);    /* overlaps the image */
    set_module(2, 0x1800000, 0x2800000);    /* overlaps module 0 */
    set_module(3, 0x3000000, 0x3000000);    /* empty */
    set_module(4, 0x5000000, 0x4000000);    /* ends before start */
    set_module(5, 0x2000000, 0x2100000);    /* touches module 0: fine */
    bi.nr_mod = 6;
    assert_int_equal(bootinfo_check_modules(&bi, 0x200000, 0x400000), 4);
    assert_int_equal(bi.nr_mod, 2);
    assert_string_equal(bi.mod[0].cmdline, "mod0");
    assert_string_equal(bi.mod[1].cmdline, "mod5");
    assert_true(host_log_contains("boot: module 1 (0x300000-0x400000) dropped: overlaps the hypervisor image (0x200000-0x400000)"));
    assert_true(host_log_contains("boot: module 2 (0x1800000-0x2800000) dropped: overlaps an earlier module (0x1000000-0x2000000)"));
    assert_true(host_log_contains("boot: module 3 (0x3000000-0x3000000) dropped: is empty"));
    assert_true(host_log_contains("boot: module 4 (0x5000000-0x4000000) dropped: ends before it starts"));
    assert_int_equal(bi.nr_errors, 4);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(mb2_full_info_parses),
        T(mb2_acpi_new_wins_over_old_in_any_order),
        T(mb2_efi_map_preferred_and_descriptor_size_honoured),
        T(mb2_efi_bs_not_terminated_keeps_bs_memory_as_firmware),
        T(mb2_truncated_tag_is_reported_and_earlier_tags_kept),
        T(mb2_tag_size_below_8_stops),
        T(mb2_missing_end_tag_is_reported),
        T(mb2_absurd_total_size_rejected),
        T(mb2_unreadable_info_rejected),
        T(mb2_short_mmap_entry_size_rejected),
        T(mb2_empty_memory_map_is_an_error),
        T(mb2_no_memory_information_at_all),
        T(mb2_too_many_mmap_entries_keeps_first),
        T(mb2_module_strings_bounded),
        T(mb2_unaligned_info_is_read_safely),
        T(mb1_full_info_parses),
        T(mb1_image_name_kept_only_from_grub2),
        T(mb1_pointers_to_nowhere_are_reported),
        T(mb1_truncated_mmap_entry_stops),
        T(mb1_empty_mmap_without_mem_is_an_error),
        T(mb1_unreadable_info_and_unterminated_string),
        T(mb1_too_many_modules_keeps_first),
        T(parse_dispatches_on_magic),
        T(check_modules_drops_bad_ones),
    };
    return cmocka_run_group_tests_name("bootinfo", tests, NULL, NULL);
}
