/* Unit tests for mm/memmap.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <keel/memmap.h>
#include <keel/string.h>
#include <keel/errno.h>
#include "host_log.h"

#define R(b, l, t) ((struct mem_range){ (b), (l), (t) })

static void assert_range(const struct mem_range *r, uint64_t base, uint64_t len, uint32_t type)
{
    assert_true(r->base == base);
    assert_true(r->len == len);
    assert_int_equal(r->type, type);
}

static void unsorted_adjacent_ranges_merge(void **state)
{
    struct mem_range r[8] = {
        R(0x200000, 0x100000, MEM_USABLE),
        R(0x0, 0x100000, MEM_USABLE),
        R(0x100000, 0x100000, MEM_USABLE),      /* touches both: one range */
        R(0x400000, 0x1000, MEM_RESERVED),
        R(0x300000, 0x100000, MEM_ACPI),        /* touches usable, other type */
    };
    unsigned nr = 5;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 8), 0);
    assert_int_equal(nr, 3);
    assert_range(&r[0], 0, 0x300000, MEM_USABLE);
    assert_range(&r[1], 0x300000, 0x100000, MEM_ACPI);
    assert_range(&r[2], 0x400000, 0x1000, MEM_RESERVED);
}

static void firmware_ram_ranks_between_nvs_and_reserved(void **state)
{
    struct mem_range r[8] = {
        R(0x0, 0x300000, MEM_USABLE),
        R(0x100000, 0x100000, MEM_FIRMWARE),    /* wins over usable */
        R(0x180000, 0x10000, MEM_RESERVED),     /* wins over firmware */
        R(0x200000, 0x10000, MEM_NVS),          /* loses to firmware */
        R(0x1f0000, 0x20000, MEM_FIRMWARE),
    };
    unsigned nr = 5;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 8), 0);
    assert_int_equal(nr, 5);
    assert_range(&r[0], 0, 0x100000, MEM_USABLE);
    assert_range(&r[1], 0x100000, 0x80000, MEM_FIRMWARE);
    assert_range(&r[2], 0x180000, 0x10000, MEM_RESERVED);
    assert_range(&r[3], 0x190000, 0x80000, MEM_FIRMWARE);
    assert_range(&r[4], 0x210000, 0xf0000, MEM_USABLE);
    assert_true(memmap_total(r, nr, MEM_FIRMWARE) == 0x100000);
}

static void overlap_stronger_type_wins(void **state)
{
    struct mem_range r[8] = {
        R(0x0, 0x1000000, MEM_USABLE),
        R(0x100000, 0x1000, MEM_RESERVED),      /* hole in the middle: split */
        R(0xff0000, 0x20000, MEM_NVS),          /* overlaps the end */
        R(0x800000, 0x10000, MEM_BAD),
        R(0x800000, 0x20000, MEM_ACPI),         /* BAD beats ACPI where both */
    };
    unsigned nr = 5;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 8), 0);
    assert_int_equal(nr, 7);
    assert_range(&r[0], 0, 0x100000, MEM_USABLE);
    assert_range(&r[1], 0x100000, 0x1000, MEM_RESERVED);
    assert_range(&r[2], 0x101000, 0x800000 - 0x101000, MEM_USABLE);
    assert_range(&r[3], 0x800000, 0x10000, MEM_BAD);
    assert_range(&r[4], 0x810000, 0x10000, MEM_ACPI);
    assert_range(&r[5], 0x820000, 0xff0000 - 0x820000, MEM_USABLE);
    assert_range(&r[6], 0xff0000, 0x20000, MEM_NVS);
}

static void weaker_range_inside_stronger_vanishes(void **state)
{
    struct mem_range r[4] = {
        R(0x1000, 0x1000, MEM_USABLE),
        R(0x0, 0x10000, MEM_RESERVED),
        R(0x2000, 0x1000, 99),                  /* unknown type: reserved */
    };
    unsigned nr = 3;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 3), 0);
    assert_int_equal(nr, 1);
    assert_range(&r[0], 0, 0x10000, MEM_RESERVED);
}

static void wrapping_and_empty_ranges(void **state)
{
    struct mem_range r[4] = {
        R(0xfffffffffffff000, 0x2000, MEM_RESERVED),    /* wraps past 2^64 */
        R(0x1000, 0, MEM_USABLE),
        R(0x0, 0x1000, MEM_USABLE),
        R(UINT64_MAX, UINT64_MAX, MEM_USABLE),          /* wraps, clipped to empty */
    };
    unsigned nr = 4;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 4), 0);
    assert_int_equal(nr, 2);
    assert_range(&r[0], 0, 0x1000, MEM_USABLE);
    assert_range(&r[1], 0xfffffffffffff000, 0xfff, MEM_RESERVED);

    nr = 0;
    assert_int_equal(memmap_sanitize(r, &nr, 4), 0);
    assert_int_equal(nr, 0);
}

static void capacity_overflow_is_enospc(void **state)
{
    /* Three holes in one usable range need 7 entries. */
    struct mem_range r[7] = {
        R(0x0, 0x100000, MEM_USABLE),
        R(0x10000, 0x1000, MEM_RESERVED),
        R(0x20000, 0x1000, MEM_RESERVED),
        R(0x30000, 0x1000, MEM_RESERVED),
    };
    struct mem_range copy[7];
    unsigned nr = 4;
    (void)state;
    memcpy(copy, r, sizeof(r));
    assert_int_equal(memmap_sanitize(r, &nr, 6), -ENOSPC);
    nr = 4;
    assert_int_equal(memmap_sanitize(copy, &nr, 7), 0);
    assert_int_equal(nr, 7);
    nr = 8;
    assert_int_equal(memmap_sanitize(copy, &nr, 7), -EINVAL);
}

static void duplicates_do_not_need_extra_room(void **state)
{
    /* Final map is 3 entries; duplicates must not make it need more. */
    struct mem_range r[4] = {
        R(0x0, 0x100000, MEM_USABLE),
        R(0x0, 0x100000, MEM_USABLE),
        R(0x50000, 0x1000, MEM_RESERVED),
        R(0x0, 0x100000, MEM_USABLE),
    };
    unsigned nr = 4;
    (void)state;
    assert_int_equal(memmap_sanitize(r, &nr, 4), 0);
    assert_int_equal(nr, 3);
}

/* The strongest type covering addr in the original list (0: none). */
static uint32_t reference_type(const struct mem_range *r, unsigned nr, uint64_t addr)
{
    static const unsigned rank[] = { 0, 1, 4, 2, 3, 5 };
    uint32_t best = 0;
    for (unsigned i = 0; i < nr; i++) {
        uint64_t len = r[i].len > UINT64_MAX - r[i].base ? UINT64_MAX - r[i].base : r[i].len;
        if (addr >= r[i].base && addr - r[i].base < len && rank[r[i].type] > rank[best])
            best = r[i].type;
    }
    return best;
}

static uint32_t result_type(const struct mem_range *r, unsigned nr, uint64_t addr)
{
    for (unsigned i = 0; i < nr; i++)
        if (addr >= r[i].base && addr - r[i].base < r[i].len)
            return r[i].type;
    return 0;
}

static void random_maps_match_reference(void **state)
{
    uint64_t seed = 12345;
    (void)state;
    for (unsigned round = 0; round < 2000; round++) {
        struct mem_range in[12], out[40];
        unsigned n = 1 + round % 12;
        for (unsigned i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            in[i] = R((seed >> 33) % 64 * 0x1000, (seed >> 20) % 24 * 0x1000,
                      1 + (uint32_t)((seed >> 45) % 5));
        }
        memcpy(out, in, sizeof(in));
        unsigned nr = n;
        assert_int_equal(memmap_sanitize(out, &nr, ARRAY_SIZE(out)), 0);
        for (unsigned i = 0; i < nr; i++) {
            assert_true(out[i].len > 0);
            if (i) {
                assert_true(out[i - 1].base + out[i - 1].len <= out[i].base);
                assert_false(out[i - 1].base + out[i - 1].len == out[i].base &&
                             out[i - 1].type == out[i].type);
            }
        }
        for (uint64_t a = 0; a < 96 * 0x1000; a += 0x800)
            assert_int_equal(result_type(out, nr, a), reference_type(in, n, a));
    }
}

static void remove_carves_usable_only(void **state)
{
    struct mem_range r[6] = {
        R(0x0, 0x9f000, MEM_USABLE),
        R(0x9f000, 0x61000, MEM_RESERVED),
        R(0x100000, 0x3ff00000, MEM_USABLE),
    };
    unsigned nr = 3;
    (void)state;
    memmap_remove(r, &nr, 6, 0x200000, 0x300000);       /* the image: split */
    assert_int_equal(nr, 4);
    assert_range(&r[2], 0x100000, 0x100000, MEM_USABLE);
    assert_range(&r[3], 0x500000, 0x3fb00000, MEM_USABLE);
    memmap_remove(r, &nr, 6, 0x90000, 0x80000);         /* over a reserved range */
    assert_int_equal(nr, 4);
    assert_range(&r[0], 0, 0x90000, MEM_USABLE);
    assert_range(&r[1], 0x9f000, 0x61000, MEM_RESERVED);
    assert_range(&r[2], 0x110000, 0xf0000, MEM_USABLE);
    memmap_remove(r, &nr, 6, 0x0, 0x90000);             /* whole range */
    assert_int_equal(nr, 3);
    assert_range(&r[0], 0x9f000, 0x61000, MEM_RESERVED);
    memmap_remove(r, &nr, 6, 0xfffffffffffff000, UINT64_MAX);   /* wraps: clipped */
    assert_int_equal(nr, 3);
    assert_true(memmap_total(r, nr, MEM_USABLE) == 0xf0000 + 0x3fb00000);
}

static void remove_without_room_gives_up_smaller_side(void **state)
{
    struct mem_range r[1] = { R(0x0, 0x100000, MEM_USABLE) };
    unsigned nr = 1;
    (void)state;
    host_log_clear();
    memmap_remove(r, &nr, 1, 0x1000, 0x1000);
    assert_int_equal(nr, 1);
    assert_range(&r[0], 0x2000, 0xfe000, MEM_USABLE);
    assert_true(host_log_contains("memmap: no slot to split"));
}

static void total_saturates(void **state)
{
    struct mem_range r[3] = {
        R(0x0, UINT64_MAX - 10, MEM_USABLE),
        R(0x0, 100, MEM_USABLE),
        R(0x0, 100, MEM_ACPI),
    };
    (void)state;
    assert_true(memmap_total(r, 3, MEM_USABLE) == UINT64_MAX);
    assert_true(memmap_total(r, 3, MEM_ACPI) == 100);
    assert_true(memmap_total(r, 3, MEM_BAD) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsorted_adjacent_ranges_merge),
        cmocka_unit_test(overlap_stronger_type_wins),
        cmocka_unit_test(firmware_ram_ranks_between_nvs_and_reserved),
        cmocka_unit_test(weaker_range_inside_stronger_vanishes),
        cmocka_unit_test(wrapping_and_empty_ranges),
        cmocka_unit_test(capacity_overflow_is_enospc),
        cmocka_unit_test(duplicates_do_not_need_extra_room),
        cmocka_unit_test(random_maps_match_reference),
        cmocka_unit_test(remove_carves_usable_only),
        cmocka_unit_test(remove_without_room_gives_up_smaller_side),
        cmocka_unit_test(total_saturates),
    };
    return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
