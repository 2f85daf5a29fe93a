/* The x2APIC ICR of a PVH vCPU (keel/vlapic.h): one 64-bit WRMSR 0x830,
 * destination in bits 63:32 (SDM vol. 3 §11.12.9). Fixed (and lowest-
 * priority, taken as fixed) IPIs set the targets' IRR; NMI is injected;
 * INIT and STARTUP bring an AP up as Xen 4.17 does (hvm/vlapic.c
 * vlapic_accept_irq -> vlapic_init_sipi_one: INIT makes the vCPU wait,
 * STARTUP resets it to real mode at CS = vector << 8, IP = 0, as
 * hvm_vcpu_reset_state). Linux sends INIT, INIT deassert, then STARTUP
 * twice: the second STARTUP finds the AP running and is ignored, as on
 * hardware. SMI and ExtINT are logged and dropped. */
#include <keel/vlapic.h>
#include <keel/domain.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/vcpu.h>

#define ICR_DM_SHIFT        8
#define ICR_DM_FIXED        0
#define ICR_DM_LOWEST       1
#define ICR_DM_SMI          2
#define ICR_DM_NMI          4
#define ICR_DM_INIT         5
#define ICR_DM_STARTUP      6
#define ICR_LOGICAL         (1UL << 11)
#define ICR_LEVEL_ASSERT    (1UL << 14)
#define ICR_SHORTHAND_SHIFT 18
#define SH_NONE 0
#define SH_SELF 1
#define SH_ALL  2
#define SH_ALL_BUT_SELF 3
#define BROADCAST           0xffffffffu

#define warn_once(...) do { static bool done_; if (!done_) { done_ = true; log_warn(__VA_ARGS__); } } while (0)

static bool matches(struct vcpu *t, uint32_t dest, bool logical)
{
    const struct vlapic *l = &t->hvm->lapic;
    if (dest == BROADCAST)
        return true;
    if (!logical)
        return l->id == dest;
    uint32_t ldr = (l->id >> 4) << 16 | 1u << (l->id & 0xf);
    return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff);
}

/* STARTUP: the AP begins in real mode at vector:0000, paging and
 * protection off, as after RESET then INIT (SDM vol. 3 §9.1.1). */
static void start_ap(struct vcpu *t, uint8_t vector)
{
    const struct hvm_vendor_ops *o = hvm_vendor;
    struct hvm_seg cs = { (uint16_t)(vector << 8), 0x9b, 0xffff, (uint64_t)vector << 12 };
    struct hvm_seg data = { 0, 0x93, 0xffff, 0 };
    o->set_seg(t, HVM_SEG_CS, &cs);
    o->set_seg(t, HVM_SEG_DS, &data);
    o->set_seg(t, HVM_SEG_ES, &data);
    o->set_seg(t, HVM_SEG_FS, &data);
    o->set_seg(t, HVM_SEG_GS, &data);
    o->set_seg(t, HVM_SEG_SS, &data);
    o->set_seg(t, HVM_SEG_TR, &(struct hvm_seg){ 0, 0x8b, 0xffff, 0 });
    o->set_seg(t, HVM_SEG_LDTR, &(struct hvm_seg){ 0, 0x82, 0xffff, 0 });
    o->set_seg(t, HVM_SEG_GDTR, &(struct hvm_seg){ 0, 0, 0xffff, 0 });
    o->set_seg(t, HVM_SEG_IDTR, &(struct hvm_seg){ 0, 0, 0xffff, 0 });
    o->set_reg(t, HVM_REG_CR0, 0x10);   /* ET */
    o->set_reg(t, HVM_REG_CR3, 0);
    o->set_reg(t, HVM_REG_CR4, 0);
    o->set_reg(t, HVM_REG_EFER, 0);
    t->regs = (struct cpu_regs){ .rip = 0, .rflags = 2 };
    t->hvm->lapic.sipi_wait = false;
    t->initialised = true;
    log_info("domain %u: vCPU %u started by STARTUP IPI at %04x:0000\n", t->d->id, t->id,
             vector << 8);
    vcpu_start(t);
}

static void deliver(struct vcpu *src, struct vcpu *t, unsigned dm, uint8_t vector, bool assert)
{
    switch (dm) {
    case ICR_DM_FIXED:
    case ICR_DM_LOWEST:
        vlapic_set_irq(t, vector);
        break;
    case ICR_DM_NMI:
        vlapic_send_nmi(t);
        break;
    case ICR_DM_INIT:
        if (!assert)
            break;                      /* INIT level de-assert: nothing to do */
        if (t->online) {
            warn_once("domain %u: INIT IPI to running vCPU %u ignored\n", t->d->id, t->id);
            break;
        }
        vlapic_reset(t);
        t->hvm->lapic.sipi_wait = true;
        break;
    case ICR_DM_STARTUP:
        if (!t->online && t->hvm->lapic.sipi_wait)
            start_ap(t, vector);
        break;
    default:
        warn_once("domain %u vcpu %u: IPI delivery mode %u not emulated (dropped)\n",
                  src->d->id, src->id, dm);
        break;
    }
}

void vlapic_icr_write(struct vcpu *src, uint64_t icr)
{
    struct domain *d = src->d;
    unsigned dm = (icr >> ICR_DM_SHIFT) & 7;
    unsigned sh = (icr >> ICR_SHORTHAND_SHIFT) & 3;
    uint8_t vector = (uint8_t)icr;
    uint32_t dest = (uint32_t)(icr >> 32);
    bool assert = icr & ICR_LEVEL_ASSERT;
    if ((dm == ICR_DM_FIXED || dm == ICR_DM_LOWEST) && vector < 16) {
        src->hvm->lapic.esr |= 1u << 5;     /* send illegal vector */
        return;
    }
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *t = d->vcpu[i];
        if (!t || !t->hvm)
            continue;
        bool hit;
        switch (sh) {
        case SH_SELF: hit = t == src; break;
        case SH_ALL: hit = true; break;
        case SH_ALL_BUT_SELF: hit = t != src; break;
        default: hit = matches(t, dest, icr & ICR_LOGICAL); break;
        }
        if (hit)
            deliver(src, t, dm, vector, assert);
    }
}
