/* The wall clock at boot from the CMOS RTC (MC146818: index port 0x70,
 * data 0x71; status A bit 7 = update in progress). Read once, handed to
 * hv/wallclock.c, which keeps the wall time at system time 0 for every
 * domain's shared_info (ref/xen-pv-abi.md 6.3); dom0 may set it later
 * (platform_op settime). */
#include <keel/calendar.h>
#include <keel/acpi.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/timer.h>
#include <keel/x86.h>
#include <keel/wallclock.h>

#define RTC_INDEX       0x70
#define RTC_DATA        0x71
#define RTC_SEC         0x00
#define RTC_MIN         0x02
#define RTC_HOUR        0x04
#define RTC_DAY         0x07
#define RTC_MON         0x08
#define RTC_YEAR        0x09
#define RTC_STATUS_A    0x0a
#define RTC_STATUS_B    0x0b
#define RTC_A_UIP       0x80


static uint8_t cmos_read(uint8_t index)
{
    outb(RTC_INDEX, index);
    return inb(RTC_DATA);
}

static bool rtc_read_once(struct rtc_fields *f)
{
    for (unsigned spins = 0; cmos_read(RTC_STATUS_A) & RTC_A_UIP; spins++)
        if (spins > 1000000)
            return false;               /* stuck updating: no usable RTC */
    f->sec = cmos_read(RTC_SEC);
    f->min = cmos_read(RTC_MIN);
    f->hour = cmos_read(RTC_HOUR);
    f->day = cmos_read(RTC_DAY);
    f->mon = cmos_read(RTC_MON);
    f->year = cmos_read(RTC_YEAR);
    f->century = acpi_info.rtc_century_index ? cmos_read(acpi_info.rtc_century_index) : 0;
    f->status_b = cmos_read(RTC_STATUS_B);
    return true;
}

/* Two equal reads in a row: no update slipped in between. The RTC counts
 * whole seconds; Keel does not wait for the next second boundary (up to a
 * second of boot time) to learn the fraction: the wall clock may be behind
 * by under a second, as the RTC itself is. */
void rtc_init_wallclock(void)
{
    struct rtc_fields a, b;
    int64_t secs = -1;
    for (unsigned tries = 0; tries < 5 && secs < 0; tries++) {
        if (!rtc_read_once(&a) || !rtc_read_once(&b))
            break;
        if (!memcmp(&a, &b, sizeof(a)))
            secs = rtc_fields_to_epoch(&a);
    }
    if (secs < 0) {
        log_warn("rtc: no valid time in the CMOS RTC; the wall clock starts at 1970\n");
        return;
    }
    wallclock_set((uint64_t)secs, 0, now_ns());
    log_info("rtc: wall clock %ld s since 1970 (UTC, from the CMOS RTC%s)\n", (long)secs,
             acpi_info.rtc_century_index ? " and its century register" : "");
}
