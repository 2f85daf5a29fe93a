/* domain_watch: dom0 watching other domains live and die, through
 * memory_op's reservation queries on another domain (ref 5.10; a
 * privileged domain may name any domid; one that does not exist is
 * -ESRCH), with no toolstack.
 * Alone (no command line): its own current/maximum reservation, and
 * -ESRCH for domains that do not exist (Keel and Xen 4.17).
 * With "watch=1:2[ secs=S]" (tests/linux/multi.py: dom0 beside Linux domUs
 * started with domu=; ':' or ',' between domids, but QEMU's -initrd takes a
 * comma as the end of a module): polls each listed domain, yielding between
 * polls, and checks that each is seen alive and then gone within S s
 * (default 240) of system time. It prints when it saw each one, so the
 * runner knows dom0 ran all along, and dom0 ends after the others. */
#include "sched_common.h"
#include <public/memory.h>
#include <public/sched.h>
#include <keel/errno.h>

GUEST_TEST("domain_watch");

#define MAX_WATCH 8

static long reservation(unsigned op, domid_t id)
{
    struct xen_memory_domain d = { id };
    return HYPERVISOR_memory_op(op, &d);
}

static void alone(void)
{
    long cur = reservation(XENMEM_current_reservation, DOMID_SELF);
    long max = reservation(XENMEM_maximum_reservation, DOMID_SELF);
    printk("domain_watch: own reservation %ld pages, maximum %ld, start_info nr_pages %lu\n",
           cur, max, start_info->nr_pages);
    /* Xen 4.17: equal (65536 for 256 MiB); Keel counts dom0's shared_info
     * frame too (one more page), so only "at least" is checked. */
    check(cur > 0 && (unsigned long)cur >= start_info->nr_pages, "current_reservation %ld, nr_pages %lu",
          cur, start_info->nr_pages);
    check(max >= cur, "maximum_reservation %ld below current %ld", max, cur);  /* Xen: 4294967295 (no limit) */
    check_eq("current_reservation of domain 0 by id", reservation(XENMEM_current_reservation, 0), cur);
    check_eq("current_reservation of absent domain 1", reservation(XENMEM_current_reservation, 1), -ESRCH);
    check_eq("maximum_reservation of absent domain 1", reservation(XENMEM_maximum_reservation, 1), -ESRCH);
    check_eq("maximum_reservation of absent domain 1000", reservation(XENMEM_maximum_reservation, 1000),
             -ESRCH);
    check_eq("current_reservation, bad pointer",
             HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)0x10), -EFAULT);
}

/* The domids after "watch=" (':' or ',' between them). */
static unsigned watch_list(domid_t *ids)
{
    const char *p = cmdline_option("watch");
    if (!p)
        return 0;
    unsigned n = 0;
    for (; n < MAX_WATCH && *p >= '0' && *p <= '9';) {
        unsigned v = 0;
        while (*p >= '0' && *p <= '9')
            v = v * 10 + (unsigned)(*p++ - '0');
        ids[n++] = (domid_t)v;
        if (*p != ',' && *p != ':')
            break;
        p++;
    }
    return n;
}

static void watch(const domid_t *ids, unsigned n)
{
    enum { UNSEEN, ALIVE, GONE } state[MAX_WATCH] = { UNSEEN };
    uint64_t t0 = pvclock_ns(), limit = opt_uint("secs", 240) * 1000000000UL, polls = 0;
    unsigned gone = 0;
    while (gone < n && pvclock_ns() - t0 < limit) {
        for (unsigned i = 0; i < n; i++) {
            if (state[i] == GONE)
                continue;
            long max = reservation(XENMEM_maximum_reservation, ids[i]);
            uint64_t ms = (pvclock_ns() - t0) / 1000000;
            if (max > 0 && state[i] == UNSEEN) {
                printk("domain_watch: domain %u alive, %ld KiB maximum, at %lu.%03lu s\n", ids[i],
                       max * 4, ms / 1000, ms % 1000);
                state[i] = ALIVE;
            } else if (max == -ESRCH && state[i] == ALIVE) {
                printk("domain_watch: domain %u gone at %lu.%03lu s\n", ids[i], ms / 1000, ms % 1000);
                state[i] = GONE;
                gone++;
            } else if (max <= 0 && max != -ESRCH) {
                guest_abort("maximum_reservation of domain %u: %ld", ids[i], max);
            }
        }
        polls++;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    printk("domain_watch: %lu polls\n", polls);
    for (unsigned i = 0; i < n; i++)
        check(state[i] == GONE, "domain %u %s after %lu s", ids[i],
              state[i] == UNSEEN ? "never seen" : "still there", limit / 1000000000UL);
}

void test_main(void)
{
    domid_t ids[MAX_WATCH];
    unsigned n = watch_list(ids);
    if (n)
        watch(ids, n);
    else
        alone();
}
