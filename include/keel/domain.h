/* Domains and vCPUs: identity, memory accounting and life cycle. */
#ifndef KEEL_DOMAIN_H
#define KEEL_DOMAIN_H

#include <keel/types.h>
#include <keel/spinlock.h>
#include <keel/smp.h>
#include <keel/sched_policy.h>
#include <keel/pv_mm.h>

#define DOMID_FIRST_RESERVED    0x7ff0      /* DOMID_SELF and up are not domains */
#define MAX_DOMAINS             256
#define MAX_VCPUS_PER_DOMAIN    64
#define DOMAIN_NAME_MAX         32

enum domain_state {
    DOMAIN_BUILDING,        /* memory being populated, never ran */
    DOMAIN_RUNNING,
    DOMAIN_PAUSED,
    DOMAIN_SHUTDOWN,        /* the guest asked (reason in shutdown_code) */
    DOMAIN_CRASHED,         /* Keel stopped it (reason logged) */
    DOMAIN_DEAD,            /* destroyed: memory returned, id free */
};

/* A run of frames a domain owns, as allocated (freed as one block). */
struct domain_extent {
    mfn_t mfn;
    unsigned order;
};

struct vcpu;
struct evtchn_domain;
struct hvm_domain;
struct grant_table;

/* How the domain's vCPUs run: paravirtualized (ring 3, validated page
 * tables) or PVH (hardware-assisted, nested paging: keel/hvm.h). */
enum domain_type {
    DOMAIN_PV,
    DOMAIN_PVH,
};

struct domain {
    uint16_t id;
    bool privileged;
    enum domain_type type;
    struct hvm_domain *hvm;             /* PVH: p2m, nested tables, params (keel/hvm.h) */
    uint32_t pci_cf8;                   /* dom0's latched port 0xcf8 (arch/x86_64/pci.c) */
    char name[DOMAIN_NAME_MAX];
    enum domain_state state;
    unsigned shutdown_code;             /* SHUTDOWN_* reason from the guest */
    uint64_t vm_assist;                 /* VMASST_TYPE_* bits: per domain (ref 5.14) */
    spinlock_t lock;
    struct pv_mm_ctx mm_ctx;            /* its PV memory context (built once, read-only) */

    uint64_t tot_pages;                 /* frames it owns now */
    uint64_t max_pages;                 /* limit on tot_pages */
    struct domain_extent *extents;      /* allocations that may still hold its
                                         * frames (see domain_destroy) */
    unsigned nr_extents, cap_extents;
    mfn_t *given_back;                  /* frames released while still referenced */
    unsigned nr_given_back, cap_given_back;

    struct vcpu *vcpu[MAX_VCPUS_PER_DOMAIN];
    unsigned nr_vcpus;
    unsigned nr_active;                 /* vCPUs queued or running (sched/runqueue.c) */
    unsigned sched_weight;              /* proportional share, 0 = default 256 */
    unsigned sched_cap;                 /* percent of one CPU, 0 = no cap */
    spinlock_t cap_lock;                /* cap_budget (capped domains only) */
    struct sched_cap cap_budget;
    bool torn_down;                     /* teardown started (exactly once) */
    bool dying;                         /* destruction started: domain_get refuses it */
    uint32_t refs;                      /* domain_get references in flight */
    bool ptwr_warned;                   /* a page-table write was not emulated (logged once) */
    uint64_t enosys_logged[2];          /* hypercall numbers already reported */
    struct hypercall_stats *hc_stats;   /* counts (hypercall/stats.c), NULL if none */
    char console_line[160];             /* console_io output until a newline */
    unsigned console_len;
    void *shared_info;                  /* hypervisor mapping of its shared_info page */
    mfn_t shared_info_mfn;
    spinlock_t evtchn_lock;             /* event channels (hv/evtchn_internal.h) */
    struct evtchn_domain *evtchn;       /* its port table; NULL once destroyed */
    struct grant_table *grant_table;    /* hv/grant_table.c; NULL once destroyed */
    /* Called after destruction (e.g. a self-test's verdict). */
    void (*on_destroy)(uint16_t id, enum domain_state state, unsigned shutdown_code);
};

/* The domain lock (page tables, descriptor frames) is taken with
 * interrupts off and may be held across a TLB shootdown; while waiting
 * for it a CPU serves cross-CPU calls, so the holder's shootdown to this
 * CPU completes (no lock/IPI deadlock). */
static inline uint64_t domain_lock(struct domain *d)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(&d->lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

static inline void domain_unlock(struct domain *d, uint64_t flags)
{
    spin_unlock_irqrestore(&d->lock, flags);
}

/* Creates a domain with the next free id (or `id` for dom0). */
struct domain *domain_create(int id, const char *name, bool privileged, uint64_t max_pages);
/* Allocates 2^order frames owned by d (accounted against max_pages). */
int domain_alloc_frames(struct domain *d, unsigned order, mfn_t *mfn);
/* ---- reservation changes (XENMEM_*, hypercall/memory_reservation.c) ----
 * A domain's frames are allocated blocks of the frame allocator whose every
 * frame has owner == d->id; a frame given back alone splits its block
 * (mm/buddy.c frees any aligned piece of an allocated block). */

/* frame.flags bit: the guest gave the frame back while something still
 * referenced it; it stays d's (and counted in tot_pages, as in Xen) until
 * domain_reap_given_back finds it unreferenced. */
#define FRAME_FLAG_GIVEN_BACK   0x0001

/* Allocates 2^order zeroed frames lying below machine frame `limit` (0: no
 * limit) for d; counted against max_pages if `account` (XENMEM_exchange
 * swaps frames without changing the count). -ENOMEM, -EINVAL (order). */
int domain_alloc_frames_below(struct domain *d, unsigned order, mfn_t limit, bool account,
                              mfn_t *mfn);
/* Outcome of domain_take_frame. */
enum domain_take {
    DOMAIN_TAKEN,           /* no longer d's: pass it to domain_free_taken */
    DOMAIN_DEFERRED,        /* still referenced: marked given back (or was) */
};
/* Takes frame mfn from d (caller holds d's lock). Unreferenced: owner
 * becomes the hypervisor, tot_pages drops, DOMAIN_TAKEN. Referenced (mapped,
 * typed, pinned, a base pointer, a descriptor page ...): if `defer`, marked
 * given back and DOMAIN_DEFERRED, else -EINVAL. -EINVAL: no such frame;
 * -ENXIO: not d's; -EBUSY: a frame Keel itself maps for d (shared_info,
 * grant frames). */
int domain_take_frame(struct domain *d, mfn_t mfn, bool defer);
/* A frame of d that Keel itself writes for as long as it serves d (the
 * console and store rings of boot-module domUs): a writable-type reference,
 * as a backend's mapping holds under Xen, so the guest can neither turn it
 * into a page table or descriptor page nor have it freed under Keel (given
 * back, it is only deferred). -EINVAL if it is not d's or has another type. */
int domain_hold_frame(struct domain *d, mfn_t mfn);
void domain_release_frame(struct domain *d, mfn_t mfn);
/* Undoes a DOMAIN_TAKEN that was not freed yet (caller holds d's lock). */
void domain_untake_frame(struct domain *d, mfn_t mfn);
/* Frames taken from d, n runs of 2^order from firsts[i]: flushes d's TLBs
 * (no stale translation may survive), scrubs the frames, invalidates
 * their M2P entries and frees them. */
void domain_free_taken(struct domain *d, const mfn_t *firsts, unsigned n, unsigned order);
/* Frees the given-back frames of d nothing references any more. */
void domain_reap_given_back(struct domain *d);

/* Returns every frame and frees the domain object; its id becomes free. */
void domain_destroy(struct domain *d);
void domain_shutdown(struct domain *d, unsigned reason);
/* Stops a misbehaving domain with a log line saying why. */
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A reference to domain `id` (NULL if none, or it is being destroyed):
 * the domain is not torn down until it is dropped with domain_put. Held
 * only for the length of one operation (destruction waits for it). */
struct domain *domain_get(uint16_t id);
void domain_put(struct domain *d);
/* fn(d, arg) for every domain, none freed meanwhile (debug keys). */
void domain_foreach(void (*fn)(struct domain *, void *), void *arg);
/* Domains that exist or are being destroyed; *stopping: of them, shut
 * down, crashed or being destroyed (on their way out). */
unsigned domain_count(unsigned *stopping);
const char *domain_state_name(enum domain_state s);
void domain_list(void);     /* debug key */
/* No vCPU of the stopped domain d runs or is queued any more: its vCPUs
 * and then the domain are destroyed (once). */
void domain_teardown(struct domain *d);
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);

#endif
