/* The wall clock guests read from shared_info (wc_sec, wc_nsec, wc_sec_hi:
 * the wall time at system time 0, ref/xen-pv-abi.md 6.1). Set at boot
 * from the CMOS RTC (arch/x86_64/rtc.c), later by dom0 (platform_op
 * settime). */
#ifndef KEEL_WALLCLOCK_H
#define KEEL_WALLCLOCK_H

#include <keel/types.h>

struct domain;

/* The wall time was secs.nsecs when the system time was system_time (ns). */
void wallclock_set(uint64_t secs, uint32_t nsecs, uint64_t system_time);
/* Writes the current wall clock into d's shared_info (version protocol). */
void wallclock_publish(struct domain *d);

#endif
