/* Xen PV guest ABI: sched_op (hypercall 29). Ref: shared/ref/xen-pv-abi.md
 * §5.16 (numbers and layouts only; no Xen header text). */
#ifndef KEEL_PUBLIC_SCHED_H
#define KEEL_PUBLIC_SCHED_H

#include <public/xen.h>

#define SCHEDOP_yield               0
#define SCHEDOP_block               1
#define SCHEDOP_shutdown            2
#define SCHEDOP_poll                3
#define SCHEDOP_remote_shutdown     4
#define SCHEDOP_shutdown_code       5
#define SCHEDOP_watchdog            6
#define SCHEDOP_pin_override        7

#define SHUTDOWN_poweroff           0
#define SHUTDOWN_reboot             1
#define SHUTDOWN_suspend            2
#define SHUTDOWN_crash              3
#define SHUTDOWN_watchdog           4
#define SHUTDOWN_soft_reset         5
#define SHUTDOWN_MAX                5

#ifndef __ASSEMBLY__
struct sched_shutdown {
    uint32_t reason;            /* SHUTDOWN_* */
};
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown size");

struct sched_poll {
    uint64_t ports;             /* guest VA of evtchn_port_t[] */
    uint32_t nr_ports;
    uint32_t _pad;
    uint64_t timeout;           /* absolute system time in ns; 0 = none */
};
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll size");
_Static_assert(offsetof(struct sched_poll, nr_ports) == 8, "sched_poll.nr_ports");
_Static_assert(offsetof(struct sched_poll, timeout) == 16, "sched_poll.timeout");

struct sched_remote_shutdown {
    domid_t  domain_id;
    uint16_t _pad;
    uint32_t reason;
};
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "sched_remote_shutdown size");
_Static_assert(offsetof(struct sched_remote_shutdown, reason) == 4, "sched_remote_shutdown.reason");

struct sched_watchdog {
    uint32_t id;                /* 0 = allocate a new watchdog */
    uint32_t timeout;           /* seconds; 0 = destroy */
};
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog size");

struct sched_pin_override {
    int32_t pcpu;               /* -1 = remove the override */
};
_Static_assert(sizeof(struct sched_pin_override) == 4, "sched_pin_override size");
#endif

#endif
