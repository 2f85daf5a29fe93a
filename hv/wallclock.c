/* The wall clock of shared_info (include/keel/wallclock.h). One value for
 * every domain, as on Xen; written with the version protocol (odd while
 * changing, ref 6.1). */
#include <keel/wallclock.h>
#include <keel/compiler.h>
#include <keel/domain.h>
#include <keel/spinlock.h>
#include <public/xen.h>

#define NSEC_PER_SEC 1000000000UL

static spinlock_t wc_lock = SPINLOCK_INIT;
static uint64_t wc_base_sec;        /* wall time at system time 0 */
static uint32_t wc_base_nsec;

static void publish_locked(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    if (!s)
        return;
    uint32_t ver = READ_ONCE(s->wc_version);
    WRITE_ONCE(s->wc_version, (ver + 1) | 1);
    barrier();
    s->wc_sec = (uint32_t)wc_base_sec;
    s->wc_sec_hi = (uint32_t)(wc_base_sec >> 32);
    s->wc_nsec = wc_base_nsec;
    barrier();
    WRITE_ONCE(s->wc_version, ((ver + 1) | 1) + 1);
}

static void publish_one(struct domain *d, void *arg)
{
    (void)arg;
    publish_locked(d);
}

void wallclock_set(uint64_t secs, uint32_t nsecs, uint64_t system_time)
{
    /* Wall time at system time 0 = given time - system_time (saturating
     * at the epoch). */
    uint64_t sec = secs, nsec = nsecs % NSEC_PER_SEC;
    uint64_t sys_sec = system_time / NSEC_PER_SEC, sys_nsec = system_time % NSEC_PER_SEC;
    if (nsec < sys_nsec) {
        nsec += NSEC_PER_SEC;
        sys_sec++;
    }
    if (sec < sys_sec)
        sec = sys_sec, nsec = sys_nsec;         /* before the epoch: 0 */
    sec -= sys_sec;
    nsec -= sys_nsec;
    uint64_t f = spin_lock_irqsave(&wc_lock);
    wc_base_sec = sec;
    wc_base_nsec = (uint32_t)nsec;
    domain_foreach(publish_one, NULL);
    spin_unlock_irqrestore(&wc_lock, f);
}

void wallclock_publish(struct domain *d)
{
    uint64_t f = spin_lock_irqsave(&wc_lock);
    publish_locked(d);
    spin_unlock_irqrestore(&wc_lock, f);
}
