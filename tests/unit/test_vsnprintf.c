/* Unit tests for hv/lib/vsnprintf.c: compared with the C library. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/printf.h>

#define CHECK(...) do {                                                   \
        char a[128], b[128];                                              \
        int na = keel_snprintf(a, sizeof(a), __VA_ARGS__);                \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__);                     \
        assert_string_equal(a, b);                                        \
        assert_int_equal(na, nb);                                         \
    } while (0)

static void matches_libc(void **state)
{
    (void)state;
    CHECK("plain");
    CHECK("%d %i %u", -42, 7, 3000000000u);
    CHECK("%5d|%-5d|%05d|%+d|% d", 42, 42, -42, 5, 5);
    CHECK("%x %X %#x %#o %o", 0xbeef, 0xbeef, 0x1f, 8, 8);
    CHECK("%lx %llu %ld %zu", 0xffff828000200000ul, 18446744073709551615ull, -1l, (size_t)99);
    CHECK("%016lx|%-18lx|", 0x1234ul, 0x1234ul);
    CHECK("%s|%10s|%-10s|%.3s|%.*s", "abc", "abc", "abc", "abcdef", 2, "xyz");
    CHECK("%c%c %5c|%-3c|", 'o', 'k', 'x', 'y');
    CHECK("%hhu %hd %hx", 300, 70000, 0x12345);
    CHECK("%.0d|%.5d|%8.3d", 0, 42, 7);
    CHECK("100%%");
    CHECK("%*d|%-*d|", 6, 1, 4, 2);
}

static void truncates_and_counts(void **state)
{
    char buf[8];
    (void)state;
    assert_int_equal(keel_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
    assert_string_equal(buf, "0123456");
    assert_int_equal(keel_snprintf(NULL, 0, "%d", 12345), 5);
}

static void pointer_format(void **state)
{
    char buf[32];
    (void)state;
    keel_snprintf(buf, sizeof(buf), "%p", (void *)0x1234);
    assert_string_equal(buf, "0x0000000000001234");
    const char *volatile nothing = NULL;
    keel_snprintf(buf, sizeof(buf), "%s", nothing);
    assert_string_equal(buf, "(null)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_libc),
        cmocka_unit_test(truncates_and_counts),
        cmocka_unit_test(pointer_format),
    };
    return cmocka_run_group_tests_name("vsnprintf", tests, NULL, NULL);
}
