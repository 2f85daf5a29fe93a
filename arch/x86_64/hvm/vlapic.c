/* The PVH vCPU's local APIC registers (keel/vlapic.h): APIC_BASE (MSR
 * 0x1B) and its modes, the register set by xAPIC offset, the x2APIC MSR
 * view of it and IRR/ISR/EOI and priorities; the xAPIC MMIO view is
 * vlapic_mmio_read/write below, reached from hvm_mmio.c. MSR numbers:
 * Intel SDM vol. 3 Table 11-6; version value: Xen 4.17
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
#define APIC_BASE_ADDR      0x000ffffffffff000UL
#define X2APIC_FIRST        0x800
#define X2APIC_LAST         0x83f
#define LAPIC_VERSION       0x00050014u     /* version 0x14, max LVT index 5 */
#define LVT_MASKED          (1u << 16)
#define SVR_ENABLED         (1u << 8)

/* One log line per kind of thing the guest asks and Keel does not do. */
#define warn_once(...) do { static bool done_; if (!done_) { done_ = true; log_warn(__VA_ARGS__); } } while (0)

/* Registers by xAPIC offset (SDM vol. 3 Table 11-1); x2APIC MSR 0x800 + off / 16. */
enum {
    R_ID = 0x20, R_VER = 0x30, R_TPR = 0x80, R_APR = 0x90, R_PPR = 0xa0, R_EOI = 0xb0,
    R_LDR = 0xd0, R_DFR = 0xe0, R_SVR = 0xf0, R_ISR0 = 0x100, R_TMR0 = 0x180, R_IRR0 = 0x200,
    R_ESR = 0x280, R_LVT_CMCI = 0x2f0, R_ICR = 0x300, R_ICR_HI = 0x310, R_LVT_TIMER = 0x320,
    R_LVT_ERROR = 0x370, R_TMICT = 0x380, R_TMCCT = 0x390, R_TDCR = 0x3e0, R_SELF_IPI = 0x3f0,
};

static struct vlapic *lapic(struct vcpu *v)
{
    return &v->hvm->lapic;
}

/* The registers' reset values (SDM vol. 3 §11.4.7.1), APIC_BASE kept. */
static void reset_regs(struct vcpu *v)
{
    struct vlapic *l = lapic(v);
    uint64_t base = l->apic_base;
    memset(l, 0, sizeof(*l));
    l->apic_base = base;
    l->id = pvh_lapic_id(v->id);
    l->svr = 0xff;
    l->dfr = 0xffffffff;
    for (unsigned i = 0; i < ARRAY_SIZE(l->lvt); i++)
        l->lvt[i] = LVT_MASKED;
}

void vlapic_reset(struct vcpu *v)
{
    lapic(v)->apic_base = PVH_LAPIC_ADDR | APIC_BASE_EN | (v->id ? 0 : APIC_BASE_BSP);
    reset_regs(v);
}

void vlapic_init(struct vcpu *v)
{
    reset_regs(v);
}

enum vlapic_mode vlapic_mode(const struct vcpu *v)
{
    uint64_t b = v->hvm->lapic.apic_base;
    if (!(b & APIC_BASE_EN))
        return VLAPIC_OFF;
    return (b & APIC_BASE_EXTD) ? VLAPIC_X2APIC : VLAPIC_XAPIC;
}

uint64_t vlapic_mmio_page(const struct vcpu *v)
{
    return vlapic_mode(v) == VLAPIC_XAPIC ? v->hvm->lapic.apic_base & APIC_BASE_ADDR : ~0UL;
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

void vlapic_reassert(struct vcpu *v, uint8_t vector)
{
    struct vlapic *l = lapic(v);
    uint64_t bit = 1UL << (vector % 64);
    if (!(l->isr[vector / 64] & bit))
        __atomic_fetch_or(&l->irr[vector / 64], bit, __ATOMIC_ACQ_REL);
}

void vlapic_send_nmi(struct vcpu *v)
{
    if (!v->hvm)
        return;
    v->hvm->lapic.nmi_pending = true;
    kick(v);
}


static uint32_t *lvt_reg(struct vlapic *l, unsigned off)
{
    if (off == R_LVT_CMCI)
        return &l->lvt[0];
    if (off >= R_LVT_TIMER && off <= R_LVT_ERROR)
        return &l->lvt[1 + (off - R_LVT_TIMER) / 16];
    return NULL;
}

static uint32_t bank32(const uint64_t bits[4], unsigned idx)
{
    return (uint32_t)(__atomic_load_n(&bits[idx / 2], __ATOMIC_ACQUIRE) >> (32 * (idx & 1)));
}

/* The register at xAPIC offset `off` (16-byte aligned) in mode x2 or not;
 * false: none there to read (x2APIC: #GP; xAPIC: reads 0). The 64-bit
 * x2APIC ICR is the caller's. */
static bool reg_read(struct vlapic *l, unsigned off, bool x2, uint32_t *val)
{
    uint32_t *lvt = lvt_reg(l, off);
    if (lvt) {
        *val = *lvt;
        return true;
    }
    switch (off) {
    case R_ID: *val = x2 ? l->id : l->id << 24; return true;
    case R_VER: *val = LAPIC_VERSION; return true;
    case R_TPR: *val = l->tpr; return true;
    case R_PPR: *val = vlapic_ppr(l->tpr, l->isr); return true;
    case R_LDR: *val = x2 ? vlapic_ldr(l->id) : l->ldr; return true;
    case R_SVR: *val = l->svr; return true;
    case R_ESR: *val = l->esr; return true;
    case R_ICR: *val = l->icr_lo; return !x2;     /* delivery status always idle */
    case R_TMICT: *val = l->timer_initial; return true;
    case R_TMCCT: *val = 0; return true;          /* the timer never counts */
    case R_TDCR: *val = l->timer_divide; return true;
    }
    *val = 0;
    if (!x2 && (off == R_ICR_HI || off == R_DFR)) {
        *val = off == R_ICR_HI ? l->icr_hi : l->dfr;
        return true;
    }
    if (off >= R_ISR0 && off < R_ISR0 + 0x80)
        *val = bank32(l->isr, (off - R_ISR0) / 16);
    else if (off >= R_IRR0 && off < R_IRR0 + 0x80)
        *val = bank32(l->irr, (off - R_IRR0) / 16);
    else if (off >= R_TMR0 && off < R_TMR0 + 0x80)
        *val = 0;                       /* every vector edge-triggered */
    else
        return false;                   /* write-only (EOI, SELF_IPI), APR, reserved */
    return true;
}

static void eoi(struct vlapic *l)
{
    int v = vlapic_highest(l->isr);
    if (v >= 0)
        l->isr[v / 64] &= ~(1UL << (v % 64));
}

/* A write of the register at `off`; false: not writable in this mode
 * (x2APIC: #GP; xAPIC: dropped). The 64-bit x2APIC ICR is the caller's. */
static bool reg_write(struct vcpu *v, unsigned off, uint32_t val, bool x2)
{
    struct vlapic *l = lapic(v);
    uint32_t *lvt = lvt_reg(l, off);
    if (lvt) {
        *lvt = val;
        if (off == R_LVT_TIMER && !(val & LVT_MASKED))
            warn_once("domain %u: LAPIC timer unmasked: it is not emulated (Xen's timer is the clock)\n",
                      v->d->id);
        return true;
    }
    switch (off) {
    case R_TPR: l->tpr = val & 0xff; return true;
    case R_EOI: if (x2 && val) return false; eoi(l); return true;
    case R_SVR: l->svr = val & 0x11ff; return true;
    case R_ESR: l->esr = 0; return !(x2 && val);
    case R_TMICT: l->timer_initial = val; return true;
    case R_TDCR: l->timer_divide = val & 0xb; return true;
    case R_SELF_IPI: if (!x2) return false; vlapic_set_irq(v, (uint8_t)val); return true;
    }
    if (x2)
        return false;                   /* ID, LDR read-only; the rest reserved */
    switch (off) {
    case R_LDR: l->ldr = val & 0xff000000u; return true;
    case R_DFR: l->dfr = val | 0x0fffffffu; return true;   /* model in 31:28 */
    case R_ICR_HI: l->icr_hi = val & 0xff000000u; return true;
    case R_ICR:
        l->icr_lo = val & ~(1u << 12);  /* sent at once: never "send pending" */
        vlapic_icr_write(v, (uint64_t)(l->icr_hi >> 24) << 32 | l->icr_lo, true);
        return true;
    }
    return false;                       /* ID (Keel keeps it fixed), read-only, reserved */
}

/* APIC_BASE, as Xen 4.17's guest_wrmsr_apic_base (hvm/vlapic.c), which
 * follows the SDM's transitions (vol. 3 §11.12.5): false is a #GP. */
static bool apic_base_write(struct vcpu *v, uint64_t val)
{
    struct vlapic *l = lapic(v);
    if (val & ~(APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP))
        return false;
    if ((val & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EXTD)
        return false;                   /* the invalid state (the SDM; Xen takes it as disabled) */
    /* The xAPIC page stays at 0xFEE00000 (Xen: moving it is #GP). */
    if ((val & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN &&
        (val & APIC_BASE_ADDR) != PVH_LAPIC_ADDR) {
        warn_once("domain %u: APIC_BASE %#lx: the xAPIC page cannot move (#GP)\n", v->d->id, val);
        return false;
    }
    if ((l->apic_base ^ val) & APIC_BASE_EN) {
        if ((val & APIC_BASE_EN) && (val & APIC_BASE_EXTD))
            return false;               /* disabled -> x2APIC: through xAPIC only */
        if (val & APIC_BASE_EN)
            reset_regs(v);
        else
            l->svr &= ~SVR_ENABLED;     /* delivers nothing (unseen: no register is
                                         * reachable while disabled; enabling resets) */
    } else if (((l->apic_base ^ val) & APIC_BASE_EXTD) && vlapic_mode(v) != VLAPIC_XAPIC) {
        return false;                   /* x2APIC -> xAPIC, or EXTD while disabled */
    }
    l->apic_base = (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
    return true;
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
    unsigned off = (msr - X2APIC_FIRST) * 16;
    uint32_t r;
    if (vlapic_mode(v) != VLAPIC_X2APIC)
        *gp = true;                     /* not in x2APIC mode (SDM §11.12.1.2) */
    else if (off == R_ICR)
        *val = (uint64_t)l->icr_hi << 32 | l->icr_lo;
    else if (reg_read(l, off, true, &r))
        *val = r;
    else
        *gp = true;
    return true;
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp)
{
    *gp = false;
    if (msr == MSR_APIC_BASE) {
        *gp = !apic_base_write(v, val);
        return true;
    }
    if (msr < X2APIC_FIRST || msr > X2APIC_LAST)
        return false;
    unsigned off = (msr - X2APIC_FIRST) * 16;
    if (vlapic_mode(v) != VLAPIC_X2APIC)
        *gp = true;
    else if (off == R_ICR) {
        struct vlapic *l = lapic(v);
        l->icr_lo = (uint32_t)val & ~(1u << 12);
        l->icr_hi = (uint32_t)(val >> 32);
        vlapic_icr_write(v, (uint64_t)l->icr_hi << 32 | l->icr_lo, false);
    }
    else
        *gp = (val >> 32) || !reg_write(v, off, (uint32_t)val, true);
    return true;
}

/* Xen 4.17 (vlapic_mmio_read/write) takes any access inside one
 * register's low 4 bytes, narrower ones as part of the 32-bit register. */
uint32_t vlapic_mmio_read(struct vcpu *v, unsigned off, unsigned size)
{
    unsigned shift = (off & 0xf) * 8;
    uint32_t r = 0;
    if ((off & 0xf) + size > 4)
        return 0;
    reg_read(lapic(v), off & ~0xfu, false, &r);
    r >>= shift;
    return size == 4 ? r : r & ((1u << (8 * size)) - 1);
}

void vlapic_mmio_write(struct vcpu *v, unsigned off, unsigned size, uint32_t val)
{
    if ((off & 0xf) + size > 4)
        return;
    unsigned reg = off & ~0xfu, shift = (off & 0xf) * 8;
    if (size < 4) {
        uint32_t old = 0, mask = ((1u << (8 * size)) - 1) << shift;
        reg_read(lapic(v), reg, false, &old);
        val = (old & ~mask) | ((val << shift) & mask);
    }
    reg_write(v, reg, val, false);
}

/* For the vCPU dump (debug key q, and the Linux tests' stall report). */
static int highest_bit(const uint64_t w[4])
{
    for (int i = 3; i >= 0; i--) {
        uint64_t x = __atomic_load_n(&w[i], __ATOMIC_RELAXED);
        if (x)
            return i * 64 + 63 - __builtin_clzll(x);
    }
    return -1;
}

void hvm_dump_vcpu_lapic(const struct vcpu *v)
{
    const struct vlapic *l = &v->hvm->lapic;
    static const char *const modes[] = { "off", "xAPIC", "x2APIC" };
    /* -1: none */
    log_info("    lapic %s, svr %#x, tpr %#x, irr top %d, isr top %d, upcall vector %#x, "
             "callback vector %#x%s\n", modes[vlapic_mode(v)], l->svr, l->tpr,
             highest_bit(l->irr), highest_bit(l->isr), v->hvm->upcall_vector,
             v->d->hvm ? v->d->hvm->callback_vector : 0, l->nmi_pending ? ", NMI pending" : "");
}
