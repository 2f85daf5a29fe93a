/* The store ring of boot-module domUs, answered by Keel (the store itself
 * and why: include/keel/xs_store.h).
 *
 * The ring page (start_info store_mfn) is guest memory: indices are read
 * once and checked (at most a ring's worth outstanding; else the ring is
 * marked XENSTORE_ERROR_PROTO and ignored, as xenstored drops such a
 * connection), a request longer than XS_PAYLOAD_MAX is a protocol error
 * too. Requests are gathered byte by byte into the connection's buffer and
 * answered when whole; replies and watch events wait in an output queue
 * until the guest makes room in `rsp` (it notifies the port when it has
 * consumed them). One lock for all connections, taken before a domain's
 * event-channel lock (waiting serves cross-CPU calls, as console_ring.c). */
#include <keel/xenstore.h>
#include <keel/alloc.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/printf.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/x86.h>
#include <keel/xs_store.h>
#include <public/io_xenstore.h>

#define CONNS       16
#define OUTQ_SIZE   (16 * 1024)

struct xs_conn {
    uint16_t domid;
    uint32_t port;
    mfn_t mfn;                          /* held (domain_hold_frame) while attached */
    struct xenstore_domain_interface *ring;
    bool broken;                        /* protocol error: ignored from now on */
    bool lost_warned;
    uint32_t in_len;                    /* bytes of the request gathered */
    uint8_t in[sizeof(struct xsd_sockmsg) + XS_PAYLOAD_MAX];
    uint32_t out_head, out_len;         /* queued output (a byte ring) */
    uint8_t out[OUTQ_SIZE];
    struct xs_store store;
};

static struct xs_conn *conns[CONNS];
static spinlock_t xs_lock = SPINLOCK_INIT;

static uint64_t lock_conns(void)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(&xs_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

static void unlock_conns(uint64_t flags)
{
    spin_unlock_irqrestore(&xs_lock, flags);
}

static struct xs_conn **find(uint16_t domid)
{
    for (unsigned i = 0; i < CONNS; i++)
        if (conns[i] && conns[i]->domid == domid)
            return &conns[i];
    return NULL;
}

/* xs_emit_fn: a whole message into the output queue, or lost. */
static bool queue_msg(void *ctx, const struct xsd_sockmsg *h, const void *body)
{
    struct xs_conn *c = ctx;
    uint32_t total = (uint32_t)sizeof(*h) + h->len;
    if (OUTQ_SIZE - c->out_len < total) {
        if (!c->lost_warned)
            log_warn("domain %u: xenstore replies not read: output lost\n", c->domid);
        c->lost_warned = true;
        return false;
    }
    for (uint32_t i = 0; i < total; i++) {
        uint8_t b = i < sizeof(*h) ? ((const uint8_t *)h)[i] : ((const uint8_t *)body)[i - sizeof(*h)];
        c->out[(c->out_head + c->out_len + i) % OUTQ_SIZE] = b;
    }
    c->out_len += total;
    return true;
}

static void protocol_error(struct xs_conn *c, const char *why)
{
    log_warn("domain %u: xenstore ring: %s: ignored from now on\n", c->domid, why);
    c->broken = true;
    __atomic_store_n(&c->ring->error, XENSTORE_ERROR_PROTO, __ATOMIC_RELEASE);
}

/* Takes request bytes from `req`, answering each whole request. True if
 * any byte was taken. */
static bool take_requests(struct xs_conn *c)
{
    struct xenstore_domain_interface *r = c->ring;
    xenstore_ring_idx_t cons = __atomic_load_n(&r->req_cons, __ATOMIC_RELAXED);
    xenstore_ring_idx_t prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
    bool took = cons != prod;
    if (prod - cons > XENSTORE_RING_SIZE) {
        protocol_error(c, "request indices out of range");
        return false;
    }
    for (; cons != prod && !c->broken; cons++) {
        c->in[c->in_len++] = (uint8_t)__atomic_load_n(&r->req[cons % XENSTORE_RING_SIZE], __ATOMIC_RELAXED);
        if (c->in_len < sizeof(struct xsd_sockmsg))
            continue;
        struct xsd_sockmsg h;
        memcpy(&h, c->in, sizeof(h));
        if (h.len > XS_PAYLOAD_MAX) {
            protocol_error(c, "request longer than 4096 bytes");
            break;
        }
        if (c->in_len < sizeof(h) + h.len)
            continue;
        xs_store_request(&c->store, &h, (const char *)c->in + sizeof(h));
        c->in_len = 0;
    }
    __atomic_store_n(&r->req_cons, cons, __ATOMIC_RELEASE);
    return took;
}

/* Moves queued output into `rsp` as far as it has room. True if any. */
static bool give_replies(struct xs_conn *c)
{
    struct xenstore_domain_interface *r = c->ring;
    xenstore_ring_idx_t cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
    xenstore_ring_idx_t prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_RELAXED);
    if (prod - cons > XENSTORE_RING_SIZE) {
        protocol_error(c, "reply indices out of range");
        return false;
    }
    uint32_t room = XENSTORE_RING_SIZE - (prod - cons), n = MIN(room, c->out_len);
    for (uint32_t i = 0; i < n; i++)
        __atomic_store_n(&r->rsp[(prod + i) % XENSTORE_RING_SIZE], c->out[(c->out_head + i) % OUTQ_SIZE],
                         __ATOMIC_RELAXED);
    __atomic_store_n(&r->rsp_prod, prod + n, __ATOMIC_RELEASE);
    c->out_head = (c->out_head + n) % OUTQ_SIZE;
    c->out_len -= n;
    return n > 0;
}

/* Under xs_lock, d alive (its connection is attached). */
static void serve(struct domain *d, struct xs_conn *c)
{
    if (c->broken)
        return;
    bool progress = take_requests(c);
    progress |= give_replies(c);
    if (progress)
        evtchn_hv_notify(d, c->port, EVTCHN_HV_STORE);
}

static void put_key(struct xs_store *s, const char *path, const char *fmt, unsigned long v)
{
    char val[32];
    keel_snprintf(val, sizeof(val), fmt, v);
    if (xs_store_write(s, path, val))
        log_err("domain %u: xenstore: cannot write %s\n", s->domid, path);
}

int xenstore_attach(struct domain *d, mfn_t ring_mfn, uint64_t mem_kib, unsigned nr_vcpus)
{
    struct xs_conn *c = kzalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    if (domain_hold_frame(d, ring_mfn)) {
        kfree(c);
        return -EINVAL;
    }
    int port = evtchn_alloc_hv_port(d, EVTCHN_HV_STORE);
    if (port < 0) {
        domain_release_frame(d, ring_mfn);
        kfree(c);
        return port;
    }
    c->domid = d->id;
    c->port = (uint32_t)port;
    c->mfn = ring_mfn;
    c->ring = mfn_to_virt(ring_mfn);
    xs_store_init(&c->store, d->id, queue_msg, c);
    /* What a toolstack writes for a new domain (libxl: name, domid,
     * memory, cpu availability, the empty directories the guest fills). */
    if (xs_store_write(&c->store, "name", d->name))
        log_err("domain %u: xenstore: cannot write name\n", d->id);
    put_key(&c->store, "domid", "%lu", d->id);
    put_key(&c->store, "memory/target", "%lu", mem_kib);
    put_key(&c->store, "memory/static-max", "%lu", mem_kib);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        char path[32];
        keel_snprintf(path, sizeof(path), "cpu/%u/availability", i);
        if (xs_store_write(&c->store, path, "online"))
            log_err("domain %u: xenstore: cannot write %s\n", d->id, path);
    }
    static const char *const dirs[] = { "control/shutdown", "control/sysrq", "device", "data" };
    for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (xs_store_write(&c->store, dirs[i], ""))
            log_err("domain %u: xenstore: cannot write %s\n", d->id, dirs[i]);
    c->out_len = 0;                     /* no watches yet: nothing queued */
    uint64_t f = lock_conns();
    struct xs_conn **slot = NULL;
    for (unsigned i = 0; i < CONNS && !slot; i++)
        if (!conns[i])
            slot = &conns[i];
    if (slot)
        *slot = c;
    unlock_conns(f);
    if (!slot) {
        evtchn_close(d, (uint32_t)port);
        domain_release_frame(d, ring_mfn);
        kfree(c);
        return -ENOSPC;
    }
    return port;
}

void xenstore_detach(struct domain *d)
{
    uint64_t f = lock_conns();
    struct xs_conn **slot = find(d->id), *c = slot ? *slot : NULL;
    if (slot)
        *slot = NULL;
    unlock_conns(f);
    if (c)              /* no one writes the ring now: the guest's frame again */
        domain_release_frame(d, c->mfn);
    kfree(c);
}

void xenstore_ring_kick(struct domain *d)
{
    uint64_t f = lock_conns();
    struct xs_conn **slot = find(d->id);
    if (slot)
        serve(d, *slot);
    unlock_conns(f);
}

int xenstore_write(uint16_t domid, const char *path, const char *value)
{
    uint64_t f = lock_conns();
    struct xs_conn **slot = find(domid);
    struct domain *d = domain_get(domid);
    int rc = -ESRCH;
    if (slot && d) {
        rc = xs_store_write(&(*slot)->store, path, value);
        serve(d, *slot);
    }
    unlock_conns(f);
    domain_put(d);
    return rc;
}

/* Debug key: every served store, node by node. */
static void debug_key_xenstore(char key)
{
    (void)key;
    uint64_t f = lock_conns();
    for (unsigned i = 0; i < CONNS; i++) {
        const struct xs_conn *c = conns[i];
        if (!c)
            continue;
        log_info("xenstore of domain %u (port %u%s):\n", c->domid, c->port, c->broken ? ", broken" : "");
        for (unsigned n = 0; n < XS_NODES; n++) {
            const struct xs_node *x = &c->store.nodes[n];
            if (x->used)
                log_info("  %s = \"%.*s\"\n", x->path, (int)x->vlen, x->value);
        }
        for (unsigned w = 0; w < XS_WATCHES; w++)
            if (c->store.watches[w].used)
                log_info("  watch %s (token %s)\n", c->store.watches[w].path, c->store.watches[w].token);
    }
    unlock_conns(f);
}
debug_key('x', "dump the xenstore Keel serves to boot-module domUs", debug_key_xenstore);

/* Debug key: asks every domU with a served store to power off, as `xl
 * shutdown` does: control/shutdown = "poweroff"; the guest's watch fires
 * and it shuts down in order (Linux: orderly_poweroff). */
static void debug_key_shutdown(char key)
{
    (void)key;
    uint16_t ids[CONNS];
    unsigned n = 0;
    uint64_t f = lock_conns();
    for (unsigned i = 0; i < CONNS; i++)
        if (conns[i])
            ids[n++] = conns[i]->domid;
    unlock_conns(f);
    for (unsigned i = 0; i < n; i++) {
        int rc = xenstore_write(ids[i], "control/shutdown", "poweroff");
        log_info("xenstore: domain %u asked to power off%s\n", ids[i], rc ? " (failed)" : "");
    }
    if (!n)
        log_info("xenstore: no domain to ask\n");
}
debug_key('p', "ask the boot-module domUs to power off (xenstore control/shutdown)", debug_key_shutdown);
