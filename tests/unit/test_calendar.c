/* Unit tests for hv/lib/calendar.c: every day from 1970 to 2199 against
 * the host's timegm(), and the RTC register encodings. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <time.h>
#include <cmocka.h>
#include <keel/calendar.h>

static void every_day_matches_timegm(void **state)
{
    (void)state;
    for (time_t t = 0; t < (time_t)230 * 366 * 86400; t += 86400 - 7) {
        struct tm tm;
        gmtime_r(&t, &tm);
        if (tm.tm_year + 1900 > 2199)
            break;
        int64_t e = calendar_to_epoch(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                      tm.tm_hour, tm.tm_min, tm.tm_sec);
        assert_true(e == (int64_t)t);
    }
}

static void impossible_dates_are_refused(void **state)
{
    (void)state;
    assert_true(calendar_to_epoch(1969, 12, 31, 23, 59, 59) == -1);
    assert_true(calendar_to_epoch(2026, 13, 1, 0, 0, 0) == -1);
    assert_true(calendar_to_epoch(2026, 0, 1, 0, 0, 0) == -1);
    assert_true(calendar_to_epoch(2026, 1, 0, 0, 0, 0) == -1);
    assert_true(calendar_to_epoch(2026, 1, 1, 24, 0, 0) == -1);
    assert_true(calendar_to_epoch(2026, 1, 1, 0, 60, 0) == -1);
}

/* 2026-12-06 04:55:30 UTC = 1796532930 */
static void rtc_bcd_24h_with_century(void **state)
{
    (void)state;
    struct rtc_fields f = { .sec = 0x30, .min = 0x55, .hour = 0x04, .day = 0x06, .mon = 0x12,
                            .year = 0x26, .century = 0x20, .status_b = RTC_B_24H };
    assert_true(rtc_fields_to_epoch(&f) == 1796532930);
}

static void rtc_binary_12h_pm_without_century(void **state)
{
    (void)state;
    /* 16:55:30 in 12-hour mode: 4 with the PM bit. */
    struct rtc_fields f = { .sec = 30, .min = 55, .hour = 0x80 | 4, .day = 6, .mon = 12,
                            .year = 26, .status_b = RTC_B_BINARY };
    assert_true(rtc_fields_to_epoch(&f) == 1796532930 + 12 * 3600);
    f.hour = 12;                /* 12 AM is midnight */
    assert_true(rtc_fields_to_epoch(&f) == 1796532930 - 4 * 3600);
    f.hour = 0x80 | 12;         /* 12 PM is noon */
    assert_true(rtc_fields_to_epoch(&f) == 1796532930 + 8 * 3600);
}

static void rtc_two_digit_year_window_and_garbage(void **state)
{
    (void)state;
    struct rtc_fields f = { .sec = 0, .min = 0, .hour = 0, .day = 1, .mon = 1,
                            .year = 70, .status_b = RTC_B_BINARY | RTC_B_24H };
    assert_true(rtc_fields_to_epoch(&f) == 0);          /* 70 -> 1970 */
    f.year = 69;
    assert_true(rtc_fields_to_epoch(&f) == 3124224000); /* 69 -> 2069 */
    f.year = 0xff;                                      /* a broken RTC */
    assert_true(rtc_fields_to_epoch(&f) == -1);
    f.year = 26, f.mon = 0x45;
    assert_true(rtc_fields_to_epoch(&f) == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_day_matches_timegm),
        cmocka_unit_test(impossible_dates_are_refused),
        cmocka_unit_test(rtc_bcd_24h_with_century),
        cmocka_unit_test(rtc_binary_12h_pm_without_century),
        cmocka_unit_test(rtc_two_digit_year_window_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
