/* Unit tests for hv/lib/strutil.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <keel/string.h>

static void strlcpy_truncates_and_terminates(void **state)
{
    char buf[4];
    (void)state;
    assert_int_equal(keel_strlcpy(buf, "abcdef", sizeof(buf)), 6);
    assert_string_equal(buf, "abc");
    assert_int_equal(keel_strlcpy(buf, "ab", sizeof(buf)), 2);
    assert_string_equal(buf, "ab");
}

static void strtou64_parses_bases_and_rejects_overflow(void **state)
{
    uint64_t v;
    const char *end;
    (void)state;
    assert_int_equal(keel_strtou64("115200,8n1", &end, 0, &v), 0);
    assert_int_equal(v, 115200);
    assert_string_equal(end, ",8n1");
    assert_int_equal(keel_strtou64("0x3f8", &end, 0, &v), 0);
    assert_int_equal(v, 0x3f8);
    assert_int_equal(keel_strtou64("18446744073709551615", NULL, 10, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(keel_strtou64("18446744073709551616", NULL, 10, &v), -1);
    assert_int_equal(keel_strtou64("", NULL, 10, &v), -1);
    assert_int_equal(keel_strtou64("x12", NULL, 10, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strlcpy_truncates_and_terminates),
        cmocka_unit_test(strtou64_parses_bases_and_rejects_overflow),
    };
    return cmocka_run_group_tests_name("strutil", tests, NULL, NULL);
}
