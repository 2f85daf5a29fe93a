/* Wall-clock calendar arithmetic (hv/lib/calendar.c). */
#ifndef KEEL_CALENDAR_H
#define KEEL_CALENDAR_H
#include <keel/types.h>

/* The CMOS RTC registers as read (MC146818: status B bit 2 = binary,
 * bit 1 = 24-hour). century: the FADT's century register, 0 if none. */
#define RTC_B_24H       0x02
#define RTC_B_BINARY    0x04
struct rtc_fields {
    uint8_t sec, min, hour, day, mon, year, century, status_b;
};

/* Seconds since 1970-01-01 00:00 UTC, or -1 for an impossible date. */
int64_t calendar_to_epoch(unsigned year, unsigned month, unsigned day,
                          unsigned hour, unsigned min, unsigned sec);
int64_t rtc_fields_to_epoch(const struct rtc_fields *f);

#endif
