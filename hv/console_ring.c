/* The PV console of boot-module domUs, served by Keel.
 *
 * Under Xen a domU's console is a ring page (start_info console.domU.mfn)
 * and an event channel (console.domU.evtchn) served by xenconsoled in dom0.
 * Boot-module domUs here have no such backend, so Keel serves the ring
 * itself, as xenconsoled would: what the guest writes is printed on
 * Keel's console line by line with the domain's prefix "(dN) " (a
 * partial line, such as a shell prompt, at once while serial input goes
 * to the domain, so that one can type at it; otherwise lines of several
 * domains would mix), and serial input switched to the domain (Ctrl-A three times cycles dom0,
 * the domUs with a ring, Keel) goes into the ring's `in` half. Linux's
 * hvc_xen driver (console=hvc0) talks to it unchanged.
 *
 * The ring page is guest memory the guest may scribble on at any time:
 * indices are read once, checked (at most a ring's worth outstanding),
 * and every offset taken modulo the ring size. A slot lives from the
 * build until the domain's teardown (console_ring_detach), under
 * rings_lock; input from the UART interrupt holds it while it writes the
 * page and raises the port, so the domain cannot go away meanwhile. */
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/x86.h>
#include <public/io_console.h>

#define RING_SLOTS  16
#define LINE_MAX    160

struct ring_slot {
    bool used;
    uint16_t domid;
    uint32_t port;
    mfn_t mfn;                          /* held (domain_hold_frame) while attached */
    struct xencons_interface *ring;     /* direct map of the ring frame */
    char line[LINE_MAX];                /* output until a newline */
    unsigned len;
    bool midline;                       /* a partial line was printed */
    bool corrupt_warned;
};

static struct ring_slot slots[RING_SLOTS];
static spinlock_t rings_lock = SPINLOCK_INIT;

/* Taken before a domain's event-channel lock. While waiting with
 * interrupts off, cross-CPU calls are served (as evtchn_lock does): the
 * holder may be waiting for a CPU that a kick is waiting for. */
static uint64_t lock_rings(void)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(&rings_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

static struct ring_slot *find(uint16_t domid)
{
    for (unsigned i = 0; i < RING_SLOTS; i++)
        if (slots[i].used && slots[i].domid == domid)
            return &slots[i];
    return NULL;
}

/* A whole line gets the prefix (unless its start was printed already);
 * a partial one (a shell prompt, an echoed key) printed at once is
 * followed by the rest of its line unprefixed. */
static void flush_line(struct ring_slot *s, bool newline)
{
    if (s->midline)
        log_info("%.*s%s", (int)s->len, s->line, newline ? "\n" : "");
    else
        log_info("(d%u) %.*s%s", s->domid, (int)s->len, s->line, newline ? "\n" : "");
    s->midline = !newline;
    s->len = 0;
}

static void put_char(struct ring_slot *s, char c)
{
    if (c == '\n') {
        flush_line(s, true);
        return;
    }
    if (c == '\r' || c == '\0')
        return;
    if ((unsigned char)c < 0x20 && c != '\t')
        c = '?';                        /* no terminal control from guests */
    s->line[s->len++] = c;
    if (s->len == sizeof(s->line))
        flush_line(s, true);
}

int console_ring_attach(struct domain *d, mfn_t ring_mfn)
{
    if (domain_hold_frame(d, ring_mfn))
        return -EINVAL;
    int port = evtchn_alloc_hv_port(d, EVTCHN_HV_CONSOLE);
    if (port < 0) {
        domain_release_frame(d, ring_mfn);
        return port;
    }
    uint64_t f = lock_rings();
    struct ring_slot *s = NULL;
    for (unsigned i = 0; i < RING_SLOTS && !s; i++)
        if (!slots[i].used)
            s = &slots[i];
    if (s)
        *s = (struct ring_slot){ .used = true, .domid = d->id, .port = (uint32_t)port,
                                 .mfn = ring_mfn, .ring = mfn_to_virt(ring_mfn) };
    spin_unlock_irqrestore(&rings_lock, f);
    if (!s) {
        evtchn_close(d, (uint32_t)port);
        domain_release_frame(d, ring_mfn);
        return -ENOSPC;
    }
    return port;
}

void console_ring_detach(struct domain *d)
{
    uint64_t f = lock_rings();
    struct ring_slot *s = find(d->id);
    mfn_t held = 0;
    if (s) {
        if (s->len || s->midline)
            flush_line(s, true);
        s->used = false;
        held = s->mfn;
    }
    spin_unlock_irqrestore(&rings_lock, f);
    if (held)           /* no one writes the ring now: the guest's frame again */
        domain_release_frame(d, held);
}

/* The guest notified its console port: print what it wrote. */
void console_ring_kick(struct domain *d)
{
    uint64_t f = lock_rings();
    struct ring_slot *s = find(d->id);
    bool consumed = false;
    if (s) {
        struct xencons_interface *r = s->ring;
        xencons_ring_idx_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
        xencons_ring_idx_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
        if (prod - cons > sizeof(r->out)) {
            if (!s->corrupt_warned)
                log_warn("domain %u: console ring indices out of range (cons %u prod %u): output dropped\n",
                         d->id, cons, prod);
            s->corrupt_warned = true;
            cons = prod;
        }
        for (; cons != prod; cons++)
            put_char(s, __atomic_load_n(&r->out[cons & (sizeof(r->out) - 1)], __ATOMIC_RELAXED));
        if (s->len && console_input_owner() == (int)s->domid)
            flush_line(s, false);       /* typing to it: show the prompt now */
        consumed = cons != __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
        __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
        if (consumed)
            evtchn_hv_notify(d, s->port, EVTCHN_HV_CONSOLE);
    }
    spin_unlock_irqrestore(&rings_lock, f);
}

static void unlock_rings(uint64_t flags)
{
    spin_unlock_irqrestore(&rings_lock, flags);
}

void console_ring_show_partial(uint16_t domid)
{
    uint64_t f = lock_rings();
    struct ring_slot *s = find(domid);
    if (s && s->len)
        flush_line(s, false);
    unlock_rings(f);
}

bool console_ring_input(uint16_t domid, char c)
{
    uint64_t f = lock_rings();
    struct ring_slot *s = find(domid);
    struct domain *d = domain_get(domid);
    if (s && d) {
        struct xencons_interface *r = s->ring;
        xencons_ring_idx_t cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
        xencons_ring_idx_t prod = __atomic_load_n(&r->in_prod, __ATOMIC_RELAXED);
        if (prod - cons < sizeof(r->in)) {      /* else full (or garbage): dropped */
            __atomic_store_n(&r->in[prod & (sizeof(r->in) - 1)], c, __ATOMIC_RELAXED);
            __atomic_store_n(&r->in_prod, prod + 1, __ATOMIC_RELEASE);
        }
        evtchn_hv_notify(d, s->port, EVTCHN_HV_CONSOLE);
    }
    spin_unlock_irqrestore(&rings_lock, f);
    domain_put(d);
    return s && d;
}

int console_ring_next(int after)
{
    int best = -1;
    uint64_t f = lock_rings();
    for (unsigned i = 0; i < RING_SLOTS; i++)
        if (slots[i].used && (int)slots[i].domid > after && (best < 0 || slots[i].domid < best))
            best = slots[i].domid;
    spin_unlock_irqrestore(&rings_lock, f);
    return best;
}
