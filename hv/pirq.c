/* Physical interrupts of the privileged domain (include/keel/pirq.h). One
 * entry per GSI the vectors VEC_IRQ_BASE..VEC_IRQ_LAST can carry; GSI n
 * uses vector VEC_IRQ_BASE + n on the boot CPU. */
#include <keel/pirq.h>
#include <keel/apic.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/log.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/x86.h>
#include <keel/traps.h>
#include <public/physdev.h>

#define PIRQ_MAX_GSIS   (VEC_IRQ_LAST - VEC_IRQ_BASE + 1)

struct pirq_gsi {
    struct domain *d;       /* the domain it is mapped to, or NULL */
    uint32_t port;          /* bound event channel, 0 = none */
    bool level, active_low; /* as set up (setup_gsi, or the MADT's default) */
    bool inflight;          /* level: masked until the guest's EOI */
};

static struct pirq_gsi gsis[PIRQ_MAX_GSIS];
static spinlock_t pirq_lock = SPINLOCK_INIT;

/* Interrupts off; while waiting, this CPU serves cross-CPU calls (the
 * holder may be waiting, through an event-channel lock, for a call to be
 * served here: see hv/evtchn.c). */
static uint64_t pirq_lock_irqsave(void)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(&pirq_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

static unsigned nr_gsis(void)
{
    unsigned n = ioapic_nr_gsis();
    return n < PIRQ_MAX_GSIS ? n : PIRQ_MAX_GSIS;
}

static bool keels(unsigned gsi)
{
    return gsi == 0 || ioapic_gsi_is_keels(gsi);
}

/* The interrupt: the guest's event, and for a level pin, mask it until
 * the guest acknowledges (the local APIC's EOI follows in trap_dispatch). */
static void pirq_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs;
    unsigned gsi = vector - VEC_IRQ_BASE;
    if (gsi >= PIRQ_MAX_GSIS)
        return;
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = &gsis[gsi];
    if (g->level) {
        ioapic_gsi_mask(gsi, true);
        g->inflight = g->d && g->port;
    }
    if (g->d && g->port)
        evtchn_send_pirq(g->d, g->port, gsi);
    spin_unlock_irqrestore(&pirq_lock, f);
}

int pirq_map_gsi(struct domain *d, int gsi, int *pirq)
{
    if (!d->privileged)
        return -EPERM;
    if (gsi < 0 || (unsigned)gsi >= nr_gsis() || (*pirq != -1 && *pirq != gsi))
        return -EINVAL;
    if (keels((unsigned)gsi))
        return -EPERM;
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = &gsis[gsi];
    int rc = 0;
    if (g->d && g->d != d) {
        rc = -EEXIST;
    } else if (!g->d) {
        *g = (struct pirq_gsi){ .d = d };
        ioapic_gsi_default_mode((unsigned)gsi, &g->level, &g->active_low);
        irq_set_handler(VEC_IRQ_BASE + (unsigned)gsi, pirq_irq);
        ioapic_gsi_route((unsigned)gsi, VEC_IRQ_BASE + (unsigned)gsi, g->level, g->active_low, true);
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    if (!rc)
        *pirq = gsi;
    return rc;
}

/* Under the lock: g is d's mapped pirq. */
static struct pirq_gsi *mapped(struct domain *d, uint32_t pirq)
{
    return pirq < PIRQ_MAX_GSIS && gsis[pirq].d == d ? &gsis[pirq] : NULL;
}

int pirq_unmap(struct domain *d, int pirq)
{
    if (pirq_is_msi(pirq))
        return pirq_msi_unmap(d, (uint32_t)pirq);
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = pirq >= 0 ? mapped(d, (uint32_t)pirq) : NULL;
    if (g) {
        ioapic_gsi_mask((unsigned)pirq, true);
        *g = (struct pirq_gsi){ 0 };
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    return g ? 0 : -EINVAL;
}

int pirq_setup_gsi(struct domain *d, int gsi, bool level, bool active_low)
{
    if (!d->privileged)
        return -EPERM;
    if (gsi < 0 || (unsigned)gsi >= nr_gsis())
        return -EINVAL;
    if (keels((unsigned)gsi))
        return -EPERM;
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = &gsis[gsi];
    int rc = 0;
    if (g->d && g->d != d) {
        rc = -EEXIST;
    } else {
        g->level = level;
        g->active_low = active_low;
        g->inflight = false;
        ioapic_gsi_route((unsigned)gsi, VEC_IRQ_BASE + (unsigned)gsi, level, active_low,
                         !(g->d && g->port));
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    return rc;
}

/* As Xen 4.17 (xen/arch/x86/physdev.c): every pirq in range says
 * needs_eoi, edge and MSI ones too, for a PV guest that does not use the
 * pirq_eoi_map; Keel's EOI of an edge or MSI pirq does nothing. */
int pirq_status(struct domain *d, uint32_t pirq, uint32_t *flags)
{
    (void)d;
    if (!pirq_is_msi(pirq) && pirq >= PIRQ_MAX_GSIS)
        return -EINVAL;
    *flags = XENIRQSTAT_needs_eoi;
    return 0;
}

int pirq_eoi(struct domain *d, uint32_t pirq)
{
    if (pirq_is_msi(pirq))
        return pirq_msi_mapped(d, pirq) ? 0 : -EINVAL;
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = mapped(d, pirq);
    if (g && g->inflight) {
        g->inflight = false;
        if (g->port)
            ioapic_gsi_mask(pirq, false);
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    return g ? 0 : -EINVAL;
}

int pirq_bind_check(struct domain *d, uint32_t pirq)
{
    if (pirq_is_msi(pirq))
        return pirq_msi_bind_check(d, pirq);
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = mapped(d, pirq);
    int rc = !g ? -EPERM : g->port ? -EEXIST : 0;      /* Xen: not permitted */
    spin_unlock_irqrestore(&pirq_lock, f);
    return rc;
}

int pirq_bind_port(struct domain *d, uint32_t pirq, uint32_t port)
{
    if (pirq_is_msi(pirq))
        return pirq_msi_bind_port(d, pirq, port);
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = mapped(d, pirq);
    int rc = !g ? -EINVAL : g->port ? -EEXIST : 0;
    if (!rc) {
        g->port = port;
        g->inflight = false;
        ioapic_gsi_route(pirq, VEC_IRQ_BASE + pirq, g->level, g->active_low, false);
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    if (!rc)
        log_debug("pirq: d%u GSI %u (%s, active %s) -> port %u\n", d->id, pirq,
                  g->level ? "level" : "edge", g->active_low ? "low" : "high", port);
    return rc;
}

void pirq_unbind_port(struct domain *d, uint32_t pirq, uint32_t port)
{
    if (pirq_is_msi(pirq)) {
        pirq_msi_unbind_port(d, pirq, port);
        return;
    }
    uint64_t f = pirq_lock_irqsave();
    struct pirq_gsi *g = mapped(d, pirq);
    if (g && g->port == port) {
        ioapic_gsi_mask(pirq, true);
        g->port = 0;
        g->inflight = false;
    }
    spin_unlock_irqrestore(&pirq_lock, f);
}

void pirq_domain_destroy(struct domain *d)
{
    pirq_msi_domain_destroy(d);
    uint64_t f = pirq_lock_irqsave();
    for (unsigned gsi = 0; gsi < PIRQ_MAX_GSIS; gsi++) {
        if (gsis[gsi].d != d)
            continue;
        ioapic_gsi_mask(gsi, true);
        gsis[gsi] = (struct pirq_gsi){ 0 };
    }
    spin_unlock_irqrestore(&pirq_lock, f);
}
