/* memory_op (#12) sub-ops that change a PV domain's memory (ref 5.10):
 * increase_reservation (new frames, their MFNs written to the list),
 * decrease_reservation (the list holds GMFNs = MFNs for PV),
 * populate_physmap (GPFNs in, MFNs out, M2P set) and exchange.
 *
 * Xen 4.17's rules (xen/common/memory.c), checked on both hypervisors by
 * tests/guests/t_memory_reservation.c:
 *  - the three list ops return the number of extents done, counting from
 *    the start extent (cmd >> MEMOP_EXTENT_SHIFT); whatever refuses the
 *    call (unreadable argument, nr_extents above 2^26, unknown or
 *    forbidden domain, extent_order above the limit, address_bits <= 12,
 *    a list outside guest space) returns the start extent, not an error;
 *  - extent_order limit: 9 for an ordinary domain, 18 for the control
 *    domain (Keel's allocator stops at FRAME_ORDER_MAX: larger fails);
 *  - a frame given back while still referenced (mapped, typed, pinned...)
 *    counts as done and is freed when the last reference goes; tot_pages
 *    and its M2P entry change only then (hv/domain.c: deferral);
 *  - a frame not the domain's stops the batch (Xen: -ENXIO inside);
 *  - exchange: all or nothing per chunk, nr_exchanged counts the input
 *    extents of finished chunks; errors are returned (-EPERM order,
 *    -EINVAL sizes/domids/a referenced frame, -EFAULT, -ESRCH, -ENOMEM).
 * A PVH domain's lists hold GFNs (decrease: the p2m entry goes, the frame
 * is freed once no nested TLB can reach it; populate: new frames mapped
 * there, arch/x86_64/hvm/hvm_physmap.c).
 * Long batches continue by re-issuing the hypercall with the start extent
 * (exchange: with nr_exchanged) encoded, as mmu.c does. */
#include <keel/memory_reservation.h>
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/hvm.h>
#include <keel/m2p.h>
#include <keel/mm.h>
#include <keel/vcpu.h>
#include <public/memory.h>

#define MAX_ORDER_DOMU          9
#define MAX_ORDER_CTLDOM        18
#define FRAMES_PER_ENTRY        512     /* work per hypervisor entry before continuing */
#define FRAMES_IN_MULTICALL     8192    /* a multicall entry cannot continue: its cap */
#define MAX_NUMNODES            64
#define NUMA_NO_NODE            0xffu

struct memop {
    struct domain *d;
    uint64_t list;          /* guest VA of xen_pfn_t[] (increase: 0 = none) */
    uint64_t nr;            /* extents */
    unsigned order;
    mfn_t limit;            /* allocate below this frame; 0: anywhere */
    uint64_t done;          /* extents done, from the start extent */
    uint64_t budget;        /* frames this entry may still handle */
    bool preempted;         /* stopped for a continuation */
};

static unsigned max_order(const struct domain *caller)
{
    return caller->privileged ? MAX_ORDER_CTLDOM : MAX_ORDER_DOMU;
}

/* The domain a reservation names: oneself, or any for the privileged
 * domain (Xen: XSM_TARGET). NULL if it does not exist or is forbidden.
 * Another domain comes with a reference: memop_domain_put drops it. */
static struct domain *memop_domain(struct vcpu *v, domid_t id)
{
    if (id == DOMID_SELF || id == v->d->id)
        return v->d;
    return v->d->privileged ? domain_get(id) : NULL;
}

static void memop_domain_put(struct vcpu *v, struct domain *d)
{
    if (d && d != v->d)
        domain_put(d);
}

static unsigned order_of_pages(uint64_t n)
{
    return n <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(n - 1);
}

/* address_bits (mem_flags 7:0): 0, or at least the width of the highest
 * frame, means no limit; 12 bits or fewer are refused. */
static int address_limit(unsigned bits, mfn_t *limit)
{
    *limit = 0;
    if (!bits || bits >= order_of_pages(m2p_max_mfn()) + PAGE_SHIFT)
        return 0;
    if (bits <= PAGE_SHIFT)
        return -EINVAL;
    *limit = 1UL << (bits - PAGE_SHIFT);
    return 0;
}

/* NUMA node requests: one node here; Xen refuses a node index past its
 * table for the privileged domain and an exact-node request from others. */
static int check_node(const struct domain *caller, uint32_t flags)
{
    if (flags & XENMEMF_vnode)
        return 0;                       /* no virtual NUMA: ignored */
    unsigned node = XENMEMF_get_node(flags);
    if (node == NUMA_NO_NODE)
        return 0;
    if (caller->privileged)
        return node >= MAX_NUMNODES ? -EINVAL : 0;
    return flags & XENMEMF_exact_node_request ? -EINVAL : 0;
}

static bool out_of_budget(const struct memop *a, uint64_t start)
{
    return a->done != start && a->budget == 0;
}

static void spend(struct memop *a)
{
    uint64_t n = 1UL << a->order;
    a->budget = a->budget > n ? a->budget - n : 0;
}

static void set_m2p(mfn_t mfn, unsigned order, uint64_t pfn)
{
    for (uint64_t i = 0; i < (1UL << order); i++)
        m2p_set(mfn + i, pfn == M2P_INVALID ? M2P_INVALID : pfn + i);
}

/* increase_reservation: new extents; their MFNs go to the list if any. */
static void increase(struct memop *a, uint64_t start)
{
    for (; a->done < a->nr; a->done++) {
        mfn_t mfn;
        if ((a->preempted = out_of_budget(a, start)))
            return;
        if (domain_alloc_frames_below(a->d, a->order, a->limit, true, &mfn))
            return;
        set_m2p(mfn, a->order, M2P_INVALID);
        if (a->list && copy_to_guest(a->list + a->done * 8, &mfn, 8))
            return;
        spend(a);
    }
}

static void give_back_extent(struct domain *d, mfn_t mfn, unsigned order);

/* populate_physmap: for each GPFN a new extent; PV: M2P pointing at it,
 * its MFN written back; PVH: mapped at the GFN (nothing written back). */
static void populate(struct memop *a, uint64_t start)
{
    bool pvh = a->d->type == DOMAIN_PVH;
    for (; a->done < a->nr; a->done++) {
        uint64_t gpfn;
        mfn_t mfn;
        if ((a->preempted = out_of_budget(a, start)))
            return;
        if (copy_from_guest(&gpfn, a->list + a->done * 8, 8))
            return;
        if (domain_alloc_frames_below(a->d, a->order, a->limit, true, &mfn))
            return;
        if (pvh && hvm_physmap_populate(a->d, gpfn, mfn, a->order)) {
            give_back_extent(a->d, mfn, a->order);
            return;
        }
        if (!pvh) {
            set_m2p(mfn, a->order, gpfn);
            if (copy_to_guest(a->list + a->done * 8, &mfn, 8))
                return;
        }
        spend(a);
    }
}

/* Frames taken, waiting for one TLB flush before they are freed. */
struct taken {
    mfn_t m[64];
    unsigned n;
};

static int take_one(struct domain *d, uint64_t mfn, struct taken *t)
{
    if (t->n == ARRAY_SIZE(t->m)) {
        domain_free_taken(d, t->m, t->n, 0);
        t->n = 0;
    }
    uint64_t f = domain_lock(d);
    int rc = domain_take_frame(d, mfn, true);
    domain_unlock(d, f);
    if (rc == DOMAIN_TAKEN)
        t->m[t->n++] = mfn;
    return rc < 0 ? rc : 0;
}

/* A new extent not handed out after all. */
static void give_back_extent(struct domain *d, mfn_t mfn, unsigned order)
{
    struct taken t = { .n = 0 };
    for (uint64_t k = 0; k < (1UL << order); k++)
        take_one(d, mfn + k, &t);
    domain_free_taken(d, t.m, t.n, 0);
}

/* PVH: what is at gfn leaves the domain's p2m. */
static int take_gfn(struct domain *d, uint64_t gfn, struct taken *t)
{
    if (t->n == ARRAY_SIZE(t->m)) {
        domain_free_taken(d, t->m, t->n, 0);
        t->n = 0;
    }
    mfn_t freed;
    int rc = hvm_physmap_remove(d, gfn, &freed);
    if (!rc && freed)
        t->m[t->n++] = freed;
    return rc;
}

/* decrease_reservation: every frame of each extent is given back (PV: the
 * list holds MFNs, PVH: GFNs); the first refusal stops the batch (that
 * extent is not counted). */
static void decrease(struct memop *a, uint64_t start)
{
    struct taken t = { .n = 0 };
    for (; a->done < a->nr; a->done++) {
        uint64_t gmfn;
        int rc = 0;
        if ((a->preempted = out_of_budget(a, start)))
            break;
        if (copy_from_guest(&gmfn, a->list + a->done * 8, 8))
            break;
        for (uint64_t j = 0; !rc && j < (1UL << a->order); j++)
            rc = gmfn + j < gmfn ? -EINVAL
               : a->d->type == DOMAIN_PVH ? take_gfn(a->d, gmfn + j, &t)
               : take_one(a->d, gmfn + j, &t);
        if (rc)
            break;
        spend(a);
    }
    domain_free_taken(a->d, t.m, t.n, 0);
}

/* The checks Xen makes before any extent; nonzero refuses the call. */
static int memop_setup(struct vcpu *v, const struct xen_memory_reservation *r, unsigned op,
                       struct memop *a)
{
    if (address_limit(XENMEMF_get_address_bits(r->mem_flags), &a->limit) ||
        check_node(v->d, r->mem_flags))
        return -EINVAL;
    if (op == XENMEM_populate_physmap && (r->mem_flags & XENMEMF_populate_on_demand))
        return -EINVAL;                 /* no populate-on-demand for PV */
    if (r->extent_order > max_order(v->d))
        return -EINVAL;
    bool need_list = op != XENMEM_increase_reservation || r->extent_start;
    if (need_list && !guest_range_ok(r->extent_start + a->done * 8, (r->nr_extents - a->done) * 8))
        return -EFAULT;
    return 0;
}

/* Re-issue memory_op(cmd, arg) when the guest resumes (ref 4.1). */
static long continue_later(struct cpu_regs *regs, uint64_t cmd, uint64_t arg)
{
    regs->rip -= 2;
    regs->rax = __HYPERVISOR_memory_op;
    regs->rdi = cmd;
    regs->rsi = arg;
    return HYPERCALL_KEEP_REGS;
}

long memory_reservation_op(struct vcpu *v, struct cpu_regs *regs, unsigned op, uint64_t cmd,
                           uint64_t arg)
{
    uint64_t start = cmd >> MEMOP_EXTENT_SHIFT;
    struct xen_memory_reservation r;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return (long)start;
    if (r.nr_extents > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return (long)start;
    struct memop a = {
        .d = memop_domain(v, r.domid), .list = r.extent_start, .nr = r.nr_extents,
        .order = r.extent_order, .done = start,
        .budget = v->in_multicall ? FRAMES_IN_MULTICALL : FRAMES_PER_ENTRY,
    };
    if (!a.d || memop_setup(v, &r, op, &a)) {
        memop_domain_put(v, a.d);
        return (long)start;
    }
    domain_reap_given_back(a.d);
    if (op == XENMEM_increase_reservation)
        increase(&a, start);
    else if (op == XENMEM_decrease_reservation)
        decrease(&a, start);
    else
        populate(&a, start);
    memop_domain_put(v, a.d);
    if (a.preempted && !v->in_multicall)
        return continue_later(regs, op | (a.done << MEMOP_EXTENT_SHIFT), arg);
    return (long)a.done;
}

/* ---- exchange ---- */

struct exchange {
    struct xen_memory_exchange x;
    struct domain *d;
    unsigned in_chunk, out_chunk;   /* log2 of in/out extents per chunk */
    mfn_t limit;
    uint64_t *gmfns;                /* this chunk's input extents */
    mfn_t *out;                     /* this chunk's new extents */
    uint64_t *gpfns;                /* and where the guest wants them */
};

/* Xen's checks, in Xen's order. */
static long exchange_checks(struct vcpu *v, struct exchange *e)
{
    struct xen_memory_exchange *x = &e->x;
    if (MAX(x->in.extent_order, x->out.extent_order) > max_order(v->d))
        return -EPERM;
    unsigned io = x->in.extent_order, oo = x->out.extent_order;
    if (x->nr_exchanged > x->in.nr_extents || x->in.domid != x->out.domid ||
        (~0UL >> io) < x->in.nr_extents || (~0UL >> oo) < x->out.nr_extents ||
        (x->in.nr_extents << io) != (x->out.nr_extents << oo))
        return -EINVAL;
    if (x->nr_exchanged == x->in.nr_extents)
        return 1;                               /* nothing left: 0, untouched */
    e->in_chunk = io <= oo ? oo - io : 0;
    e->out_chunk = io <= oo ? 0 : io - oo;
    uint64_t out_from = io <= oo ? x->nr_exchanged >> e->in_chunk : x->nr_exchanged << e->out_chunk;
    if (!guest_range_ok(x->in.extent_start + x->nr_exchanged * 8, (x->in.nr_extents - x->nr_exchanged) * 8) ||
        !guest_range_ok(x->out.extent_start + out_from * 8, (x->out.nr_extents - out_from) * 8))
        return -EFAULT;
    if (check_node(v->d, x->out.mem_flags))
        return -EINVAL;
    unsigned bits = XENMEMF_get_address_bits(x->out.mem_flags);
    e->limit = 0;
    if (bits && bits < order_of_pages(m2p_max_mfn()) + PAGE_SHIFT)
        e->limit = bits <= PAGE_SHIFT ? 1 : 1UL << (bits - PAGE_SHIFT);  /* 1: nothing fits */
    if (x->in.domid == DOMID_SELF || x->in.domid == v->d->id)
        e->d = v->d;
    else if (!(e->d = domain_get(x->in.domid)))
        return -ESRCH;
    else if (!v->d->privileged)
        return -EPERM;                  /* (memory_exchange drops the reference) */
    return 0;
}

/* The k-th frame of the chunk's input extents. */
static mfn_t input_frame(const struct exchange *e, uint64_t k)
{
    return e->gmfns[k >> e->x.in.extent_order] + (k & ((1UL << e->x.in.extent_order) - 1));
}

/* Takes every frame of the chunk's input extents, all or none (Xen's
 * steal_page: only an unreferenced frame of the domain, else -EINVAL). */
static long steal_inputs(struct exchange *e, uint64_t n_in)
{
    uint64_t n = n_in << e->x.in.extent_order, k;
    uint64_t f = domain_lock(e->d);
    for (k = 0; k < n; k++) {
        mfn_t m = input_frame(e, k);
        if (m < e->gmfns[k >> e->x.in.extent_order] || domain_take_frame(e->d, m, false) != DOMAIN_TAKEN)
            break;
    }
    bool refused = k < n;
    if (refused)
        while (k-- > 0)
            domain_untake_frame(e->d, input_frame(e, k));
    domain_unlock(e->d, f);
    return refused ? -EINVAL : 0;
}

/* Gives back output extents allocated for a chunk that failed. */
static void drop_outputs(struct exchange *e, uint64_t n)
{
    struct taken t = { .n = 0 };
    for (uint64_t j = 0; j < n; j++)
        for (uint64_t k = 0; k < (1UL << e->x.out.extent_order); k++)
            take_one(e->d, e->out[j] + k, &t);
    domain_free_taken(e->d, t.m, t.n, 0);
}

static long exchange_chunk(struct exchange *e, uint64_t chunk)
{
    struct xen_memory_exchange *x = &e->x;
    uint64_t n_in = 1UL << e->in_chunk, n_out = 1UL << e->out_chunk;
    uint64_t out_first = chunk << e->out_chunk;
    uint64_t j;
    long rc;

    if (copy_from_guest(e->gmfns, x->in.extent_start + (chunk << e->in_chunk) * 8, n_in * 8) ||
        copy_from_guest(e->gpfns, x->out.extent_start + out_first * 8, n_out * 8))
        return -EFAULT;
    if ((rc = steal_inputs(e, n_in)))
        return rc;
    for (j = 0; j < n_out; j++)
        if (domain_alloc_frames_below(e->d, x->out.extent_order, e->limit, true, &e->out[j]))
            break;
    if (j < n_out) {
        drop_outputs(e, j);
        uint64_t f = domain_lock(e->d);
        for (uint64_t k = 0; k < n_in << x->in.extent_order; k++)
            domain_untake_frame(e->d, input_frame(e, k));
        domain_unlock(e->d, f);
        return -ENOMEM;
    }
    domain_free_taken(e->d, e->gmfns, (unsigned)n_in, x->in.extent_order);
    rc = 0;
    for (j = 0; j < n_out; j++) {
        set_m2p(e->out[j], x->out.extent_order, e->gpfns[j]);
        if (copy_to_guest(x->out.extent_start + (out_first + j) * 8, &e->out[j], 8))
            rc = -EFAULT;
    }
    return rc;
}

static long exchange_run(struct vcpu *v, struct cpu_regs *regs, uint64_t arg, struct exchange *e)
{
    struct xen_memory_exchange *x = &e->x;
    uint64_t first = x->nr_exchanged >> e->in_chunk, end = x->in.nr_extents >> e->in_chunk;
    uint64_t chunk_frames = 1UL << (e->in_chunk + x->in.extent_order);
    uint64_t budget = v->in_multicall ? FRAMES_IN_MULTICALL : FRAMES_PER_ENTRY;
    long rc = 0;

    domain_reap_given_back(e->d);
    for (uint64_t c = first; c < end; c++) {
        if (c != first && budget == 0 && v->in_multicall) {
            x->nr_exchanged = c << e->in_chunk;
            return -EAGAIN;                     /* cannot continue inside a multicall */
        }
        if (c != first && budget == 0) {
            x->nr_exchanged = c << e->in_chunk;
            if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
                              &x->nr_exchanged, 8))
                return -EFAULT;
            return continue_later(regs, XENMEM_exchange, arg);
        }
        if ((rc = exchange_chunk(e, c))) {
            x->nr_exchanged = c << e->in_chunk;
            return rc;
        }
        budget = budget > chunk_frames ? budget - chunk_frames : 0;
    }
    x->nr_exchanged = x->in.nr_extents;
    return 0;
}

/* Runs the checked exchange e (rc: exchange_checks' verdict) and writes
 * nr_exchanged back, unless the call continues later. */
static long exchange_with(struct vcpu *v, struct cpu_regs *regs, uint64_t arg,
                          struct exchange *e, long rc)
{
    if (rc == 1)
        return 0;
    if (!rc) {
        e->gmfns = kmalloc((8UL << e->in_chunk) + (16UL << e->out_chunk));
        if (!e->gmfns)
            rc = -ENOMEM;
    }
    if (!rc) {
        e->out = e->gmfns + (1UL << e->in_chunk);
        e->gpfns = e->out + (1UL << e->out_chunk);
        rc = exchange_run(v, regs, arg, e);
        kfree(e->gmfns);
        if (rc == HYPERCALL_KEEP_REGS)
            return rc;
    }
    if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged), &e->x.nr_exchanged, 8))
        rc = -EFAULT;
    return rc;
}

long memory_exchange(struct vcpu *v, struct cpu_regs *regs, uint64_t arg)
{
    struct exchange e = { .gmfns = NULL };
    if (copy_from_guest(&e.x, arg, sizeof(e.x)))
        return -EFAULT;
    long rc = exchange_with(v, regs, arg, &e, exchange_checks(v, &e));
    memop_domain_put(v, e.d);           /* the reference exchange_checks may take */
    return rc;
}
