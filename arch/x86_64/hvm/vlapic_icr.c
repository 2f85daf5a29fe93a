/* The ICR of a PVH vCPU (keel/vlapic.h): x2APIC's one 64-bit WRMSR 0x830,
 * destination in bits 63:32 (SDM vol. 3 §11.12.9), or xAPIC's ICR_LO
 * write with ICR_HI's 8-bit destination (§11.6.1, logical flat/cluster
 * per the target's DFR/LDR, §11.6.2.2). Fixed (and lowest-
 * priority, taken as fixed) IPIs set the targets' IRR; NMI is injected;
 * INIT and STARTUP bring an AP up as Xen 4.17 does (hvm/vlapic.c
 * vlapic_accept_irq -> vlapic_init_sipi_one: INIT makes the vCPU wait,
 * STARTUP resets it to real mode at CS = vector << 8, IP = 0, as
 * hvm_vcpu_reset_state). Linux sends INIT, INIT deassert, then STARTUP
 * twice: the second STARTUP finds the AP running and is ignored, as on
 * hardware. SMI and ExtINT are logged and dropped. */
#include <keel/vlapic.h>
#include <keel/vlapic_logic.h>
#include <keel/domain.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/vcpu.h>

#define warn_once(...) do { static bool done_; if (!done_) { done_ = true; log_warn(__VA_ARGS__); } } while (0)

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

static void deliver(struct vcpu *src, struct vcpu *t, const struct vlapic_icr *c)
{
    switch (c->dm) {
    case VLAPIC_DM_FIXED:
    case VLAPIC_DM_LOWEST:
        vlapic_set_irq(t, c->vector);
        break;
    case VLAPIC_DM_NMI:
        vlapic_send_nmi(t);
        break;
    case VLAPIC_DM_INIT:
        if (!c->assert)
            break;                      /* INIT level de-assert: nothing to do */
        if (t->online) {
            warn_once("domain %u: INIT IPI to running vCPU %u ignored\n", t->d->id, t->id);
            break;
        }
        /* A vCPU that never ran is in its reset state already: its LAPIC
         * keeps what was sent to it meanwhile (Xen 4.17 vlapic_init_sipi_one:
         * "nothing to do if the VCPU is already reset"). Linux sets an AP's
         * upcall vector before the INIT, with upcall_pending already set by
         * register_vcpu_info: the vector in IRR is the AP's only wake-up. */
        if (t->initialised)
            vlapic_init(t);             /* APIC_BASE and its mode kept */
        t->hvm->lapic.sipi_wait = true;
        break;
    case VLAPIC_DM_STARTUP:
        if (!t->online && t->hvm->lapic.sipi_wait)
            start_ap(t, c->vector);
        break;
    default:
        warn_once("domain %u vcpu %u: IPI delivery mode %u not emulated (dropped)\n",
                  src->d->id, src->id, c->dm);
        break;
    }
}

void vlapic_icr_write(struct vcpu *src, uint64_t icr, bool xapic)
{
    struct domain *d = src->d;
    struct vlapic_icr c = vlapic_icr_decode(icr);
    if ((c.dm == VLAPIC_DM_FIXED || c.dm == VLAPIC_DM_LOWEST) && c.vector < 16) {
        src->hvm->lapic.esr |= 1u << 5;     /* send illegal vector */
        return;
    }
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *t = d->vcpu[i];
        if (!t || !t->hvm)
            continue;
        bool hit;
        switch (c.shorthand) {
        case VLAPIC_SH_SELF: hit = t == src; break;
        case VLAPIC_SH_ALL: hit = true; break;
        case VLAPIC_SH_ALL_BUT_SELF: hit = t != src; break;
        default: {
            const struct vlapic *tl = &t->hvm->lapic;
            hit = xapic ? vlapic_xapic_dest_match(tl->id, tl->ldr, tl->dfr, (uint8_t)c.dest, c.logical)
                        : vlapic_dest_match(tl->id, c.dest, c.logical);
            break;
        }
        }
        if (hit)
            deliver(src, t, &c);
    }
}
