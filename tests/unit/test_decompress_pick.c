/* Unit tests for hv/decompress/pick.c. unxz and unzstd are written
 * elsewhere; this binary links gunzip.c and unlz4.c and defines the other
 * two here, so only the choice of function is under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <keel/decompress.h>

int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
    return -EOPNOTSUPP;
}

int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
    return -EOPNOTSUPP;
}

static void picks_by_magic(void **state)
{
    static const struct {
        uint8_t bytes[8];
        size_t len;
        decompress_fn fn;
        const char *name;
    } cases[] = {
        { { 0x1f, 0x8b, 0x08, 0x00 }, 4, gunzip, "gzip" },
        { { 0x1f, 0x8b }, 2, gunzip, "gzip" },
        { { 0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0 }, 8, unlz4, "lz4" },
        { { 0x04, 0x22, 0x4d, 0x18, 0x64, 0x40 }, 6, unlz4, "lz4" },
        { { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x01 }, 8, unxz, "xz" },
        { { 0x28, 0xb5, 0x2f, 0xfd, 0x24 }, 5, unzstd, "zstd" },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *name = NULL;
        assert_ptr_equal(decompress_pick(cases[i].bytes, cases[i].len, &name), cases[i].fn);
        assert_string_equal(name, cases[i].name);
    }
}

static void unknown_or_short_magic(void **state)
{
    static const uint8_t xz5[] = { 0xfd, 0x37, 0x7a, 0x58, 0x5a };         /* one byte short */
    static const uint8_t lz4_3[] = { 0x02, 0x21, 0x4c };
    static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0 };
    static const uint8_t bzip2[] = { 'B', 'Z', 'h', '9' };
    static const uint8_t gz1[] = { 0x1f };
    const char *name = NULL;
    (void)state;
    assert_null(decompress_pick(xz5, sizeof(xz5), &name));
    assert_string_equal(name, "unknown");
    name = NULL;
    assert_null(decompress_pick(lz4_3, sizeof(lz4_3), &name));
    assert_string_equal(name, "unknown");
    assert_null(decompress_pick(skippable, sizeof(skippable), &name));
    assert_null(decompress_pick(bzip2, sizeof(bzip2), &name));
    assert_null(decompress_pick(gz1, sizeof(gz1), &name));
    assert_null(decompress_pick(gz1, 0, &name));
    assert_string_equal(name, "unknown");
    assert_ptr_equal(decompress_pick((const uint8_t *)"\x1f\x8b", 2, NULL), gunzip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_by_magic),
        cmocka_unit_test(unknown_or_short_magic),
    };
    return cmocka_run_group_tests_name("decompress_pick", tests, NULL, NULL);
}
