/* Calendar arithmetic for the wall clock: CMOS RTC fields (BCD or binary,
 * 12- or 24-hour) to seconds since the Unix epoch. Pure, host-tested. */
#include <keel/calendar.h>

static unsigned from_bcd(unsigned v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t calendar_to_epoch(unsigned year, unsigned month, unsigned day,
                          unsigned hour, unsigned min, unsigned sec)
{
    static const uint16_t before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour > 23 || min > 59 || sec > 60)
        return -1;
    /* Whole years since 1970: 365 days each plus the leap days before `year`. */
    int64_t days = (int64_t)(year - 1970) * 365;
    days += (year - 1 - 1968) / 4 - (year - 1 - 1900) / 100 + (year - 1 - 1600) / 400;
    days += before_month[month - 1] + (day - 1);
    if (month > 2 && leap(year))
        days++;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

int64_t rtc_fields_to_epoch(const struct rtc_fields *f)
{
    bool bcd = !(f->status_b & RTC_B_BINARY);
    unsigned sec = f->sec, min = f->min, hour = f->hour & 0x7f, day = f->day;
    unsigned mon = f->mon, year = f->year, century = f->century;
    bool pm = f->hour & 0x80;                   /* 12-hour mode's PM bit */
    if (bcd) {
        sec = from_bcd(sec), min = from_bcd(min), hour = from_bcd(hour);
        day = from_bcd(day), mon = from_bcd(mon), year = from_bcd(year);
        century = from_bcd(century);
    }
    if (!(f->status_b & RTC_B_24H)) {           /* 12-hour: 12 AM is 0, 12 PM is 12 */
        hour %= 12;
        if (pm)
            hour += 12;
    }
    if (year > 99)
        return -1;
    /* Without a century register, a two-digit year is 1970-2069. */
    unsigned full = century ? century * 100 + year : (year >= 70 ? 1900 : 2000) + year;
    return calendar_to_epoch(full, mon, day, hour, min, sec);
}
