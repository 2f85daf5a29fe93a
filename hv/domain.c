/* Domains: ids, accounting, life cycle. A domain's frames are recorded as
 * the extents they were allocated in, so destruction returns exactly what
 * was taken (checked by the free-memory figure before and after). */
#include <keel/domain.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/printf.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/pv_glue.h>
#include <keel/sched.h>

static void domain_teardown_now(struct domain *d);

static struct domain *domains[MAX_DOMAINS];
static spinlock_t domains_lock = SPINLOCK_INIT;

const char *domain_state_name(enum domain_state s)
{
    static const char *const names[] = {
        [DOMAIN_BUILDING] = "building", [DOMAIN_RUNNING] = "running",
        [DOMAIN_PAUSED] = "paused", [DOMAIN_SHUTDOWN] = "shutdown",
        [DOMAIN_CRASHED] = "crashed", [DOMAIN_DEAD] = "dead",
    };
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

struct domain *domain_create(int id, const char *name, bool privileged, uint64_t max_pages)
{
    struct domain *d = kzalloc(sizeof(*d));
    if (!d)
        return NULL;
    uint64_t f = spin_lock_irqsave(&domains_lock);
    int slot = -1;
    if (id >= 0 && id < MAX_DOMAINS && !domains[id])
        slot = id;
    for (int i = 1; slot < 0 && id < 0 && i < MAX_DOMAINS; i++)
        if (!domains[i])
            slot = i;
    if (slot >= 0)
        domains[slot] = d;
    spin_unlock_irqrestore(&domains_lock, f);
    if (slot < 0) {
        log_err("domain: no free domain id for '%s'\n", name);
        kfree(d);
        return NULL;
    }
    d->id = (uint16_t)slot;
    d->privileged = privileged;
    d->state = DOMAIN_BUILDING;
    d->max_pages = max_pages;
    d->lock = (spinlock_t)SPINLOCK_INIT;
    keel_strlcpy(d->name, name, sizeof(d->name));
    log_info("domain %u: created '%s'%s, up to %lu KiB\n", d->id, d->name,
             privileged ? " (privileged)" : "", max_pages * 4);
    return d;
}

static int record_extent(struct domain *d, mfn_t mfn, unsigned order)
{
    if (d->nr_extents == d->cap_extents) {
        unsigned cap = d->cap_extents ? d->cap_extents * 2 : 64;
        struct domain_extent *n = kmalloc(cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        if (d->extents)
            memcpy(n, d->extents, d->nr_extents * sizeof(*n));
        kfree(d->extents);
        d->extents = n;
        d->cap_extents = cap;
    }
    d->extents[d->nr_extents++] = (struct domain_extent){ mfn, order };
    return 0;
}

int domain_alloc_frames(struct domain *d, unsigned order, mfn_t *mfn)
{
    uint64_t n = 1UL << order;
    if (d->tot_pages + n > d->max_pages)
        return -ENOMEM;
    if (alloc_frames(order, mfn))
        return -ENOMEM;
    if (record_extent(d, *mfn, order)) {
        free_frames(*mfn, order);
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++) {
        frame_table[*mfn + i].owner = d->id;
        frame_table[*mfn + i].count = 0;
        frame_table[*mfn + i].type_info = 0;
    }
    memset(mfn_to_virt(*mfn), 0, PAGE_SIZE << order);  /* no stale data reaches a guest */
    d->tot_pages += n;
    return 0;
}

/* Every CPU that runs or queues one of d's vCPUs looks again (the
 * domain stopped or paused); a domain with nothing active is torn down
 * at once. */
static void kick_vcpus(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->sched_state != VCPU_OFF)
            sched_kick(d->vcpu[i]);
}

static void domain_stopping(struct domain *d)
{
    kick_vcpus(d);
    if (__atomic_load_n(&d->nr_active, __ATOMIC_SEQ_CST) == 0 &&
        !__atomic_exchange_n(&d->torn_down, true, __ATOMIC_SEQ_CST))
        domain_teardown_now(d);
}

void domain_shutdown(struct domain *d, unsigned reason)
{
    if (d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED)
        return;
    d->shutdown_code = reason;
    __atomic_store_n(&d->state, DOMAIN_SHUTDOWN, __ATOMIC_SEQ_CST);   /* vs. sched's went_off */
    log_info("domain %u ('%s'): shut down, reason %u\n", d->id, d->name, reason);
    domain_stopping(d);
}

/* Paused: no vCPU of d runs until domain_unpause (life cycle, issue 3). */
void domain_pause(struct domain *d)
{
    if (d->state != DOMAIN_RUNNING)
        return;
    d->state = DOMAIN_PAUSED;
    log_info("domain %u ('%s'): paused\n", d->id, d->name);
    kick_vcpus(d);
}

void domain_unpause(struct domain *d)
{
    if (d->state != DOMAIN_PAUSED)
        return;
    d->state = DOMAIN_RUNNING;
    log_info("domain %u ('%s'): unpaused\n", d->id, d->name);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i])
            sched_wake(d->vcpu[i]);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    keel_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (d->state == DOMAIN_CRASHED)
        return;
    __atomic_store_n(&d->state, DOMAIN_CRASHED, __ATOMIC_SEQ_CST);
    log_err("domain %u ('%s'): crashed: %s\n", d->id, d->name, why);
    domain_stopping(d);
}

void domain_destroy(struct domain *d)
{
    uint64_t freed = 0;
    pv_mm_relinquish(d);
    for (unsigned i = 0; i < d->nr_extents; i++) {
        struct domain_extent *e = &d->extents[i];
        for (uint64_t k = 0; k < (1UL << e->order); k++)
            frame_table[e->mfn + k].owner = FRAME_OWNER_HV;
        /* Scrub: the next owner must not see this domain's data. */
        memset(mfn_to_virt(e->mfn), 0, PAGE_SIZE << e->order);
        free_frames(e->mfn, e->order);
        freed += 1UL << e->order;
    }
    uint64_t f = spin_lock_irqsave(&domains_lock);
    domains[d->id] = NULL;
    spin_unlock_irqrestore(&domains_lock, f);
    log_info("domain %u ('%s'): destroyed, %lu KiB returned\n", d->id, d->name, freed * 4);
    d->state = DOMAIN_DEAD;
    kfree(d->extents);
    kfree(d);
}

/* The scheduler saw the last active vCPU of the stopped domain d go off. */
void domain_teardown(struct domain *d)
{
    if (!__atomic_exchange_n(&d->torn_down, true, __ATOMIC_SEQ_CST))
        domain_teardown_now(d);
}

static void domain_teardown_now(struct domain *d)
{
    if (d->console_len)
        log_info("(d%u) %.*s\n", d->id, (int)d->console_len, d->console_line);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i])
            vcpu_destroy(d->vcpu[i]);
    void (*done)(uint16_t, enum domain_state, unsigned) = d->on_destroy;
    uint16_t id = d->id;
    enum domain_state state = d->state;
    unsigned code = d->shutdown_code;
    domain_destroy(d);
    if (done)
        done(id, state, code);
}

struct domain *domain_by_id(uint16_t id)
{
    return id < MAX_DOMAINS ? domains[id] : NULL;
}

void domain_list(void)
{
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = domains[i];
        if (d)
            log_info("domain %u '%s': %s, %lu/%lu KiB, %u vCPUs\n", d->id, d->name,
                     domain_state_name(d->state), d->tot_pages * 4, d->max_pages * 4, d->nr_vcpus);
    }
}

static void debug_key_domains(char key)
{
    (void)key;
    domain_list();
}
debug_key('d', "list domains", debug_key_domains);
