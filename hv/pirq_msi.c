/* MSI and MSI-X interrupts of the privileged domain as pirqs
 * (include/keel/pirq.h): one slot per vector VEC_MSI_BASE + i, pirq
 * PIRQ_MSI_FIRST + i, all on the boot CPU. Edge semantics: the device's
 * message is the interrupt, the local APIC's EOI follows in trap_dispatch,
 * the guest acknowledges nothing (Xen 4.17 irq.c: ACKTYPE_NONE for a
 * maskable MSI). The entry stays masked while no event channel is bound. */
#include <keel/pirq.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/log.h>
#include <keel/msi.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/traps.h>
#include <keel/x86.h>

struct pirq_msi {
    struct domain *d;       /* owner, or NULL */
    bool mapped;            /* false: only reserved (PHYSDEVOP_get_free_pirq) */
    uint32_t port;          /* bound event channel, 0 = none */
    struct msi_hw hw;
};

static struct pirq_msi slots[PIRQ_MSI_COUNT];
static spinlock_t msi_lock = SPINLOCK_INIT;

/* As pirq_lock in hv/pirq.c: serve cross-CPU calls while waiting. */
static uint64_t msi_lock_irqsave(void)
{
    uint64_t flags = irq_save();
    while (!spin_trylock(&msi_lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    return flags;
}

static void msi_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs;
    unsigned i = vector - VEC_MSI_BASE;
    if (i >= PIRQ_MSI_COUNT)
        return;
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = &slots[i];
    if (s->d && s->mapped && s->port)
        evtchn_send_pirq(s->d, s->port, PIRQ_MSI_FIRST + i);
    spin_unlock_irqrestore(&msi_lock, f);
}

/* Under the lock: d's slot for pirq (mapped or only reserved). */
static struct pirq_msi *owned(struct domain *d, uint32_t pirq)
{
    if (pirq < PIRQ_MSI_FIRST || pirq - PIRQ_MSI_FIRST >= PIRQ_MSI_COUNT)
        return NULL;
    struct pirq_msi *s = &slots[pirq - PIRQ_MSI_FIRST];
    return s->d == d ? s : NULL;
}

/* Under the lock: the highest free slot (Xen hands out MSI pirqs from the
 * top of the domain's pirq space down), -1 if none. */
static int free_slot(void)
{
    for (int i = PIRQ_MSI_COUNT - 1; i >= 0; i--)
        if (!slots[i].d)
            return i;
    return -1;
}

int pirq_msi_reserve(struct domain *d)
{
    if (!d->privileged)
        return -EPERM;
    uint64_t f = msi_lock_irqsave();
    int i = free_slot();
    if (i >= 0)
        slots[i] = (struct pirq_msi){ .d = d };
    spin_unlock_irqrestore(&msi_lock, f);
    return i < 0 ? -ENOSPC : (int)PIRQ_MSI_FIRST + i;
}

/* Under the lock: the same function's interrupt already mapped? */
static bool in_use(const struct msi_hw *h, unsigned seg, unsigned bus, unsigned devfn,
                   bool msix, unsigned entry, int *conflict)
{
    (void)seg;
    for (unsigned i = 0; i < PIRQ_MSI_COUNT; i++) {
        const struct pirq_msi *s = &slots[i];
        if (!s->d || !s->mapped || &s->hw == h || s->hw.bus != bus || s->hw.devfn != devfn)
            continue;
        if (s->hw.msix != msix) {
            *conflict = -EBUSY;         /* MSI and MSI-X at once: not on one function */
            return true;
        }
        if (!msix || s->hw.entry == entry) {
            *conflict = -EEXIST;
            return true;
        }
    }
    return false;
}

int pirq_map_msi(struct domain *d, unsigned seg, unsigned bus, unsigned devfn, bool msix,
                 unsigned entry, int *pirq)
{
    if (!d->privileged)
        return -EPERM;
    if (*pirq != -1 && (*pirq < (int)PIRQ_MSI_FIRST || *pirq >= (int)(PIRQ_MSI_FIRST + PIRQ_MSI_COUNT)))
        return -EINVAL;
    uint64_t f = msi_lock_irqsave();
    int rc = 0, i;
    if (*pirq == -1) {
        i = free_slot();
        if (i < 0)
            rc = -ENOSPC;
    } else {
        i = *pirq - (int)PIRQ_MSI_FIRST;
        /* A pirq asked for: free, or reserved by d (get_free_pirq). */
        if (slots[i].d && (slots[i].d != d || slots[i].mapped))
            rc = -EEXIST;
    }
    struct pirq_msi *s = rc ? NULL : &slots[i];
    if (s && in_use(&s->hw, seg, bus, devfn, msix, entry, &rc))
        s = NULL;
    if (s) {
        unsigned vector = VEC_MSI_BASE + (unsigned)i;
        struct msi_hw hw;
        rc = msi_hw_setup(&hw, seg, bus, devfn, msix, entry, cpu_percpu[0]->apic_id, vector);
        if (!rc) {
            irq_set_handler(vector, msi_irq);
            *s = (struct pirq_msi){ .d = d, .mapped = true, .hw = hw };
            *pirq = (int)PIRQ_MSI_FIRST + i;
        }
    }
    spin_unlock_irqrestore(&msi_lock, f);
    if (!rc)
        log_debug("pirq: d%u %02x:%02x.%u %s entry %u -> pirq %d, vector 0x%x\n", d->id, bus,
                  devfn >> 3, devfn & 7, msix ? "MSI-X" : "MSI", entry, *pirq,
                  VEC_MSI_BASE + (unsigned)(*pirq - (int)PIRQ_MSI_FIRST));
    return rc;
}

/* Under the lock. */
static void release(struct pirq_msi *s)
{
    if (s->mapped)
        msi_hw_teardown(&s->hw);
    *s = (struct pirq_msi){ 0 };
}

int pirq_msi_unmap(struct domain *d, uint32_t pirq)
{
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = owned(d, pirq);
    /* Only reserved: not mapped, -EINVAL as Xen (it stays reserved). */
    bool ok = s && s->mapped;
    if (ok)
        release(s);
    spin_unlock_irqrestore(&msi_lock, f);
    return ok ? 0 : -EINVAL;
}

bool pirq_msi_mapped(struct domain *d, uint32_t pirq)
{
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = owned(d, pirq);
    bool r = s && s->mapped;
    spin_unlock_irqrestore(&msi_lock, f);
    return r;
}

int pirq_msi_bind_check(struct domain *d, uint32_t pirq)
{
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = owned(d, pirq);
    int rc = !s || !s->mapped ? -EPERM : s->port ? -EEXIST : 0;
    spin_unlock_irqrestore(&msi_lock, f);
    return rc;
}

int pirq_msi_bind_port(struct domain *d, uint32_t pirq, uint32_t port)
{
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = owned(d, pirq);
    int rc = !s || !s->mapped ? -EINVAL : s->port ? -EEXIST : 0;
    if (!rc) {
        s->port = port;
        msi_hw_mask(&s->hw, false);
    }
    spin_unlock_irqrestore(&msi_lock, f);
    return rc;
}

void pirq_msi_unbind_port(struct domain *d, uint32_t pirq, uint32_t port)
{
    uint64_t f = msi_lock_irqsave();
    struct pirq_msi *s = owned(d, pirq);
    if (s && s->mapped && s->port == port) {
        msi_hw_mask(&s->hw, true);
        s->port = 0;
    }
    spin_unlock_irqrestore(&msi_lock, f);
}

void pirq_msi_domain_destroy(struct domain *d)
{
    uint64_t f = msi_lock_irqsave();
    for (unsigned i = 0; i < PIRQ_MSI_COUNT; i++)
        if (slots[i].d == d)
            release(&slots[i]);
    spin_unlock_irqrestore(&msi_lock, f);
}
