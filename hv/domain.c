/* Domains: ids, accounting, life cycle. A domain's frames are recorded as
 * the extents they were allocated in; frames given back one by one
 * (XENMEM_decrease_reservation, exchange) split their block and change
 * owner, so destruction frees, within those extents, exactly the frames
 * the domain still owns (checked by the free-memory figure before and
 * after). tot_pages and the extent list change under the domain lock. */
#include <keel/domain.h>
#include <keel/hvm.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/grant_table.h>
#include <keel/hypercall.h>
#include <keel/log.h>
#include <keel/m2p.h>
#include <keel/mm.h>
#include <keel/printf.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/xenstore.h>
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
    pv_mm_ctx_init(&d->mm_ctx, d);      /* the hot paths use it as is */
    if (hypercall_stats_init(d))
        log_warn("domain: no memory to count the hypercalls of '%s'\n", name);
    if (evtchn_domain_init(d)) {
        log_err("domain: no memory for the event channels of '%s'\n", name);
        domain_destroy(d);
        return NULL;
    }
    if (grant_table_init(d)) {
        log_err("domain: no memory for the grant table of '%s'\n", name);
        domain_destroy(d);
        return NULL;
    }
    log_info("domain %u: created '%s'%s, up to %lu KiB\n", d->id, d->name,
             privileged ? " (privileged)" : "", max_pages * 4);
    return d;
}

/* Drops extents that hold no frame of d any more (all given back). */
static void compact_extents(struct domain *d)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->nr_extents; i++) {
        struct domain_extent e = d->extents[i];
        bool holds = false;
        for (uint64_t k = 0; k < (1UL << e.order) && !holds; k++)
            holds = frame_table[e.mfn + k].owner == d->id;
        if (holds)
            d->extents[n++] = e;
    }
    d->nr_extents = n;
}

static int grow_array(void **arr, unsigned nr, unsigned *cap, size_t elem)
{
    unsigned c = *cap ? *cap * 2 : 64;
    void *n = kmalloc(c * elem);
    if (!n)
        return -ENOMEM;
    if (*arr)
        memcpy(n, *arr, nr * elem);
    kfree(*arr);
    *arr = n;
    *cap = c;
    return 0;
}

/* Under d's lock. A full list is compacted first: balloon cycles add an
 * extent per populated block and give frames back one by one. */
static int record_extent(struct domain *d, mfn_t mfn, unsigned order)
{
    if (d->nr_extents == d->cap_extents) {
        compact_extents(d);
        if (d->nr_extents >= d->cap_extents / 2 + d->cap_extents / 4 &&
            grow_array((void **)&d->extents, d->nr_extents, &d->cap_extents, sizeof(*d->extents)))
            return -ENOMEM;
    }
    d->extents[d->nr_extents++] = (struct domain_extent){ mfn, order };
    return 0;
}

/* Reserves n pages of d's allowance (or gives them back: n negative). */
static bool account_pages(struct domain *d, int64_t n)
{
    uint64_t f = domain_lock(d);
    bool ok = n < 0 || (d->tot_pages + (uint64_t)n <= d->max_pages && d->tot_pages + (uint64_t)n >= (uint64_t)n);
    if (ok)
        d->tot_pages += (uint64_t)n;
    domain_unlock(d, f);
    return ok;
}

int domain_alloc_frames_below(struct domain *d, unsigned order, mfn_t limit, bool account,
                              mfn_t *mfn)
{
    if (order > FRAME_ORDER_MAX)
        return -EINVAL;
    int64_t n = 1L << order;
    if (account && !account_pages(d, n))
        return -ENOMEM;
    int rc = limit ? alloc_frames_below(order, limit, mfn) : alloc_frames(order, mfn);
    if (!rc) {
        memset(mfn_to_virt(*mfn), 0, PAGE_SIZE << order);  /* no stale data reaches a guest */
        uint64_t f = domain_lock(d);
        rc = record_extent(d, *mfn, order);
        for (int64_t i = 0; !rc && i < n; i++) {
            struct frame *fr = &frame_table[*mfn + i];
            fr->count = 0;
            fr->type_info = 0;
            fr->flags = 0;
            fr->owner = d->id;
        }
        domain_unlock(d, f);
        if (rc)
            free_frames(*mfn, order);
    }
    if (rc && account)
        account_pages(d, -n);
    return rc ? -ENOMEM : 0;
}

int domain_alloc_frames(struct domain *d, unsigned order, mfn_t *mfn)
{
    return domain_alloc_frames_below(d, order, 0, true, mfn);
}

static int note_given_back(struct domain *d, mfn_t mfn)
{
    if (d->nr_given_back == d->cap_given_back &&
        grow_array((void **)&d->given_back, d->nr_given_back, &d->cap_given_back,
                   sizeof(*d->given_back)))
        return -ENOMEM;
    d->given_back[d->nr_given_back++] = mfn;
    frame_table[mfn].flags |= FRAME_FLAG_GIVEN_BACK;
    return 0;
}

/* Keel never frees a frame something still references: a referenced frame
 * given back is deferred (as Xen, which drops only the allocation
 * reference and frees the page with its last reference), and freed by
 * domain_reap_given_back once unreferenced. */
int domain_take_frame(struct domain *d, mfn_t mfn, bool defer)
{
    struct pv_mm_ctx *ctx = &d->mm_ctx;
    if (mfn >= ctx->nr_frames || !frames_entry_backed(mfn))
        return -EINVAL;
    if (!pv_frame_owned(ctx, mfn))
        return -ENXIO;
    struct frame *fr = &frame_table[mfn];
    if (mfn == d->shared_info_mfn || (fr->flags & FRAME_FLAG_GRANT))
        return -EBUSY;
    if (fr->flags & FRAME_FLAG_GIVEN_BACK)
        return defer ? DOMAIN_DEFERRED : -EINVAL;
    if (!pv_frame_unreferenced(ctx, mfn)) {
        if (!defer)
            return -EINVAL;
        return note_given_back(d, mfn) ? -ENOMEM : DOMAIN_DEFERRED;
    }
    fr->owner = FRAME_OWNER_HV;
    d->tot_pages--;
    return DOMAIN_TAKEN;
}

int domain_hold_frame(struct domain *d, mfn_t mfn)
{
    struct pv_mm_ctx *ctx = &d->mm_ctx;
    uint64_t f = domain_lock(d);
    int rc = pv_frame_owned(ctx, mfn) ? pv_get_type(ctx, mfn, PV_TYPE_WRITABLE) : -EINVAL;
    domain_unlock(d, f);
    return rc ? -EINVAL : 0;
}

void domain_release_frame(struct domain *d, mfn_t mfn)
{
    uint64_t f = domain_lock(d);
    pv_put_type(&d->mm_ctx, mfn);
    domain_unlock(d, f);
}

void domain_untake_frame(struct domain *d, mfn_t mfn)
{
    frame_table[mfn].owner = d->id;
    d->tot_pages++;
}

void domain_free_taken(struct domain *d, const mfn_t *firsts, unsigned n, unsigned order)
{
    if (!n)
        return;
    if (d->type == DOMAIN_PVH)
        hvm_flush_domain_sync(d);       /* nested TLBs: the frames left its p2m */
    else
        pv_flush_domain_tlbs(d, NULL, true, 0);
    for (unsigned i = 0; i < n; i++) {
        for (uint64_t k = 0; k < (1UL << order); k++) {
            mfn_t m = firsts[i] + k;
            struct frame *fr = &frame_table[m];
            memset(mfn_to_virt(m), 0, PAGE_SIZE);      /* the next owner sees zeroes */
            m2p_set(m, M2P_INVALID);
            fr->count = 0;
            fr->type_info = 0;
            fr->flags = 0;
            free_frames(m, 0);
        }
    }
}

void domain_reap_given_back(struct domain *d)
{
    mfn_t batch[32];
    unsigned n;

    struct pv_mm_ctx *ctx = &d->mm_ctx;
    do {
        n = 0;
        uint64_t f = domain_lock(d);
        for (unsigned i = 0; i < d->nr_given_back && n < ARRAY_SIZE(batch);) {
            mfn_t m = d->given_back[i];
            struct frame *fr = &frame_table[m];
            bool mine = fr->owner == d->id && (fr->flags & FRAME_FLAG_GIVEN_BACK);
            if (mine && !pv_frame_unreferenced(ctx, m)) {
                i++;
                continue;
            }
            if (mine) {
                fr->owner = FRAME_OWNER_HV;
                d->tot_pages--;
                batch[n++] = m;
            }
            d->given_back[i] = d->given_back[--d->nr_given_back];
        }
        domain_unlock(d, f);
        domain_free_taken(d, batch, n, 0);
    } while (n == ARRAY_SIZE(batch));
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

/* Frees the frames of d in [first, first + count): whole allocated blocks
 * where a block of d lies inside, single frames elsewhere (a frame whose
 * block was split or reaches past the range). Frames of other owners are
 * skipped: extents may overlap (a frame given back and populated again). */
static uint64_t free_owned_in(struct domain *d, mfn_t first, uint64_t count)
{
    uint64_t freed = 0;
    for (uint64_t k = 0; k < count;) {
        mfn_t m = first + k;
        struct frame *fr = &frame_table[m];
        if (fr->owner != d->id) {
            k++;
            continue;
        }
        unsigned order = fr->state == FRAME_ALLOCATED && k + (1UL << fr->order) <= count ? fr->order : 0;
        for (uint64_t i = 0; i < (1UL << order); i++) {
            struct frame *t = &frame_table[m + i];
            t->owner = FRAME_OWNER_HV;
            t->flags = 0;
            m2p_set(m + i, M2P_INVALID);
        }
        /* Scrub: the next owner must not see this domain's data. */
        memset(mfn_to_virt(m), 0, PAGE_SIZE << order);
        free_frames(m, order);
        freed += 1UL << order;
        k += 1UL << order;
    }
    return freed;
}

/* Destruction starts here (idempotent): no new reference is handed out,
 * and references already out are waited for (they last one hypercall or
 * one console operation; cross-CPU calls are served meanwhile, in case a
 * holder waits for this CPU). The id stays taken until the frames are
 * freed: they are found by owner id. */
static void domain_unpublish(struct domain *d)
{
    uint64_t f = spin_lock_irqsave(&domains_lock);
    d->dying = true;
    spin_unlock_irqrestore(&domains_lock, f);
    while (__atomic_load_n(&d->refs, __ATOMIC_ACQUIRE)) {
        smp_serve_calls();
        cpu_relax();
    }
}

struct domain *domain_get(uint16_t id)
{
    if (id >= MAX_DOMAINS)
        return NULL;
    uint64_t f = spin_lock_irqsave(&domains_lock);
    struct domain *d = domains[id];
    if (d && !d->dying)
        __atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQUIRE);
    else
        d = NULL;
    spin_unlock_irqrestore(&domains_lock, f);
    return d;
}

void domain_put(struct domain *d)
{
    if (d)
        __atomic_sub_fetch(&d->refs, 1, __ATOMIC_RELEASE);
}

/* Domains between the start of domain_destroy and its last kfree: still
 * counted by domain_count, so that no one compares free memory while a
 * destruction is half done. */
static unsigned domains_destroying;

void domain_destroy(struct domain *d)
{
    uint64_t freed = 0;
    __atomic_add_fetch(&domains_destroying, 1, __ATOMIC_SEQ_CST);
    domain_unpublish(d);
    console_ring_detach(d);             /* (all done already if it ever ran) */
    xenstore_detach(d);
    evtchn_domain_destroy(d);
    hvm_domain_destroy(d);              /* PVH: nested tables and p2m (not its frames) */
    grant_table_relinquish(d);
    pv_mm_relinquish(d);
    grant_table_destroy(d);             /* not counted in tot_pages; no table maps them now */
    for (unsigned i = 0; i < d->nr_extents; i++)
        freed += free_owned_in(d, d->extents[i].mfn, 1UL << d->extents[i].order);
    if (freed != d->tot_pages)
        log_err("domain %u: %lu frames freed, tot_pages said %lu\n", d->id, freed, d->tot_pages);
    hypercall_stats_report(d);
    uint64_t f = spin_lock_irqsave(&domains_lock);
    domains[d->id] = NULL;
    spin_unlock_irqrestore(&domains_lock, f);
    log_info("domain %u ('%s'): destroyed, %lu KiB returned\n", d->id, d->name, freed * 4);
    d->state = DOMAIN_DEAD;
    kfree(d->extents);
    kfree(d->given_back);
    kfree(d);
    __atomic_sub_fetch(&domains_destroying, 1, __ATOMIC_SEQ_CST);
}

/* The scheduler saw the last active vCPU of the stopped domain d go off. */
void domain_teardown(struct domain *d)
{
    if (!__atomic_exchange_n(&d->torn_down, true, __ATOMIC_SEQ_CST))
        domain_teardown_now(d);
}

static void domain_teardown_now(struct domain *d)
{
    domain_unpublish(d);                /* no one else looks at d from here */
    if (d->console_len)
        log_info("(d%u) %.*s\n", d->id, (int)d->console_len, d->console_line);
    console_ring_detach(d);             /* before its frames go */
    xenstore_detach(d);
    evtchn_domain_destroy(d);           /* peers unbound, poll timers stopped: before the vCPUs go */
    sched_latency_report(d);
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

unsigned domain_count(unsigned *stopping)
{
    unsigned n = 0, s = 0;
    uint64_t f = spin_lock_irqsave(&domains_lock);
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        const struct domain *d = domains[i];
        if (!d)
            continue;
        n++;
        s += d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED;
    }
    spin_unlock_irqrestore(&domains_lock, f);
    unsigned dying = __atomic_load_n(&domains_destroying, __ATOMIC_SEQ_CST);
    if (stopping)
        *stopping = s + dying;
    return n + dying;
}

/* fn(d, arg) for each domain, under the domain table's lock: no domain
 * is freed meanwhile (debug keys; fn must not create or destroy domains). */
void domain_foreach(void (*fn)(struct domain *, void *), void *arg)
{
    uint64_t f = spin_lock_irqsave(&domains_lock);
    for (unsigned i = 0; i < MAX_DOMAINS; i++)
        if (domains[i])
            fn(domains[i], arg);
    spin_unlock_irqrestore(&domains_lock, f);
}

static void list_one(struct domain *d, void *arg)
{
    (void)arg;
    log_info("domain %u '%s': %s, %lu/%lu KiB, %u vCPUs\n", d->id, d->name,
             domain_state_name(d->state), d->tot_pages * 4, d->max_pages * 4, d->nr_vcpus);
}

void domain_list(void)
{
    domain_foreach(list_one, NULL);
}

static void debug_key_domains(char key)
{
    (void)key;
    domain_list();
}
debug_key('d', "list domains", debug_key_domains);
