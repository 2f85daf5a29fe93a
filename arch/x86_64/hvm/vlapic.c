/* The PVH vCPU's local APIC registers in x2APIC mode (keel/vlapic.h):
 * MSR 0x1B (APIC_BASE) and 0x800-0x83F, IRR/ISR/EOI and priorities.
 * MSR numbers: Intel SDM vol. 3 Table 11-6; version value: Xen 4.17
 * xen/arch/x86/hvm/vlapic.c (VLAPIC_VERSION, 6 LVT entries). */
#include <keel/vlapic.h>
#include <keel/vlapic_logic.h>
#include <keel/domain.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/pvh_acpi.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/vcpu.h>

#define APIC_BASE_BSP       (1UL << 8)
#define APIC_BASE_EXTD      (1UL << 10)
#define APIC_BASE_EN        (1UL << 11)
#define X2APIC_FIRST        0x800
#define X2APIC_LAST         0x83f
#define LAPIC_VERSION       0x00050014u     /* version 0x14, max LVT index 5 */
#define LVT_MASKED          (1u << 16)
#define SVR_ENABLED         (1u << 8)

/* One log line per kind of thing the guest asks and Keel does not do. */
#define warn_once(...) do { static bool done_; if (!done_) { done_ = true; log_warn(__VA_ARGS__); } } while (0)

enum {
    R_ID = 0x802, R_VER = 0x803, R_TPR = 0x808, R_PPR = 0x80a, R_EOI = 0x80b, R_LDR = 0x80d,
    R_SVR = 0x80f, R_ISR0 = 0x810, R_TMR0 = 0x818, R_IRR0 = 0x820, R_ESR = 0x828,
    R_LVT_CMCI = 0x82f, R_ICR = 0x830, R_LVT_TIMER = 0x832, R_LVT_ERROR = 0x837,
    R_TMICT = 0x838, R_TMCCT = 0x839, R_TDCR = 0x83e, R_SELF_IPI = 0x83f,
};

static struct vlapic *lapic(struct vcpu *v)
{
    return &v->hvm->lapic;
}

void vlapic_reset(struct vcpu *v)
{
    struct vlapic *l = lapic(v);
    memset(l, 0, sizeof(*l));
    l->id = pvh_lapic_id(v->id);
    l->svr = 0xff;
    for (unsigned i = 0; i < ARRAY_SIZE(l->lvt); i++)
        l->lvt[i] = LVT_MASKED;
    l->apic_base = PVH_LAPIC_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | (v->id ? 0 : APIC_BASE_BSP);
}

uint8_t vlapic_pending_vector(struct vcpu *v)
{
    const struct vlapic *l = lapic(v);
    return vlapic_deliverable(l->irr, l->isr, l->tpr, l->svr);
}

void vlapic_accept(struct vcpu *v, uint8_t vector)
{
    struct vlapic *l = lapic(v);
    __atomic_fetch_and(&l->irr[vector / 64], ~(1UL << (vector % 64)), __ATOMIC_ACQ_REL);
    l->isr[vector / 64] |= 1UL << (vector % 64);
}

bool vlapic_has_pending(struct vcpu *v)
{
    return v->hvm && (v->hvm->lapic.nmi_pending || vlapic_pending_vector(v));
}

/* As Xen's vcpu_kick: a halted target wakes, one running elsewhere
 * re-enters the guest (and so takes the interrupt) soon. */
static void kick(struct vcpu *v)
{
    sched_unblock(v);
    if (__atomic_load_n(&v->sched_state, __ATOMIC_SEQ_CST) == VCPU_RUNNING &&
        __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) != smp_processor_id())
        sched_kick(v);
}

void vlapic_set_irq(struct vcpu *v, uint8_t vector)
{
    if (!v->hvm || vector < 16)
        return;
    __atomic_fetch_or(&v->hvm->lapic.irr[vector / 64], 1UL << (vector % 64), __ATOMIC_ACQ_REL);
    kick(v);
}

void vlapic_send_nmi(struct vcpu *v)
{
    if (!v->hvm)
        return;
    v->hvm->lapic.nmi_pending = true;
    kick(v);
}

static uint32_t *lvt_reg(struct vlapic *l, uint32_t msr)
{
    if (msr == R_LVT_CMCI)
        return &l->lvt[0];
    if (msr >= R_LVT_TIMER && msr <= R_LVT_ERROR)
        return &l->lvt[1 + msr - R_LVT_TIMER];
    return NULL;
}

bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp)
{
    struct vlapic *l = lapic(v);
    *gp = false;
    if (msr == MSR_APIC_BASE) {
        *val = l->apic_base;
        return true;
    }
    if (msr < X2APIC_FIRST || msr > X2APIC_LAST)
        return false;
    uint32_t *lvt = lvt_reg(l, msr);
    if (lvt) {
        *val = *lvt;
        return true;
    }
    switch (msr) {
    case R_ID: *val = l->id; break;
    case R_VER: *val = LAPIC_VERSION; break;
    case R_TPR: *val = l->tpr; break;
    case R_PPR: *val = vlapic_ppr(l->tpr, l->isr); break;
    case R_LDR: *val = vlapic_ldr(l->id); break;
    case R_SVR: *val = l->svr; break;
    case R_ESR: *val = l->esr; break;
    case R_ICR: *val = 0; break;        /* x2APIC: no delivery status to wait for */
    case R_TMICT: *val = l->timer_initial; break;
    case R_TMCCT: *val = 0; break;      /* the timer never counts */
    case R_TDCR: *val = l->timer_divide; break;
    default:
        if (msr >= R_ISR0 && msr < R_ISR0 + 8)
            *val = (uint32_t)(l->isr[(msr - R_ISR0) / 2] >> (32 * ((msr - R_ISR0) & 1)));
        else if (msr >= R_IRR0 && msr < R_IRR0 + 8)
            *val = (uint32_t)(__atomic_load_n(&l->irr[(msr - R_IRR0) / 2], __ATOMIC_ACQUIRE)
                              >> (32 * ((msr - R_IRR0) & 1)));
        else if (msr >= R_TMR0 && msr < R_TMR0 + 8)
            *val = 0;                   /* every vector edge-triggered */
        else
            *gp = true;                 /* write-only or reserved */
    }
    return true;
}

static void eoi(struct vlapic *l)
{
    int v = vlapic_highest(l->isr);
    if (v >= 0)
        l->isr[v / 64] &= ~(1UL << (v % 64));
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp)
{
    struct vlapic *l = lapic(v);
    *gp = false;
    if (msr == MSR_APIC_BASE) {
        /* Only the x2APIC mode it starts in is emulated: leaving it (or
         * moving the base) is refused. */
        *gp = (val & ~APIC_BASE_BSP) != (l->apic_base & ~APIC_BASE_BSP);
        if (*gp)
            warn_once("domain %u: APIC_BASE write %#lx refused (x2APIC mode only)\n",
                          v->d->id, val);
        return true;
    }
    if (msr < X2APIC_FIRST || msr > X2APIC_LAST)
        return false;
    if (msr != R_ICR && (val >> 32)) {
        *gp = true;
        return true;
    }
    uint32_t *lvt = lvt_reg(l, msr);
    if (lvt) {
        *lvt = (uint32_t)val;
        if (msr == R_LVT_TIMER && !(val & LVT_MASKED))
            warn_once("domain %u: LAPIC timer unmasked: it is not emulated (Xen's timer is the clock)\n",
                          v->d->id);
        return true;
    }
    switch (msr) {
    case R_TPR: l->tpr = val & 0xff; break;
    case R_EOI: *gp = val != 0; if (!*gp) eoi(l); break;
    case R_SVR: l->svr = val & 0x11ff; break;
    case R_ESR: *gp = val != 0; l->esr = 0; break;
    case R_ICR: vlapic_icr_write(v, val); break;
    case R_TMICT: l->timer_initial = (uint32_t)val; break;
    case R_TDCR: l->timer_divide = val & 0xb; break;
    case R_SELF_IPI: vlapic_set_irq(v, (uint8_t)val); break;
    default: *gp = true; break;         /* read-only or reserved */
    }
    return true;
}
