/* A minimal local APIC for PVH vCPUs, in xAPIC mode at reset as Xen's
 * (APIC_BASE = 0xFEE00000 | EN (| BSP), xen/arch/x86/hvm/vlapic.c
 * vlapic_reset), reached through the MMIO page (hvm_mmio.c: nested page
 * faults on it, the instruction decoded and emulated), and in x2APIC mode
 * once the guest sets APIC_BASE.EXTD, through MSRs 0x800-0x83F. One
 * register set behind both, named by xAPIC offset (x2APIC MSR = 0x800 +
 * offset / 16). Modes and transitions as Intel SDM vol. 3 §11.12.5 and
 * Xen 4.17's guest_wrmsr_apic_base: disabled (EN=0) <-> xAPIC <-> x2APIC,
 * x2APIC -> disabled; x2APIC -> xAPIC and EN=0 with EXTD are #GP; enabling
 * resets the registers; the xAPIC page cannot move (#GP, as Xen). In
 * xAPIC mode the x2APIC MSRs #GP; in x2APIC mode the page is not the
 * LAPIC (an access there is outside the domain's memory). Registers:
 * SDM vol. 3 §11.4-11.6, §11.8, §11.12 (x2APIC MSR map).
 *
 * What it does: ID (pvh_lapic_id; bits 31:24 in xAPIC mode, read-only),
 * version 0x00050014 (Xen's), TPR, PPR, SVR, LDR (x2APIC: cluster, from
 * the ID; xAPIC: written by the guest, with DFR flat or cluster), LVTs
 * and the timer registers (stored: Linux's PVH clock is Xen's, the LAPIC
 * timer never runs), ESR, IRR/ISR/EOI for vectors sent by IPI, and the
 * ICR (x2APIC: one MSR; xAPIC: ICR_HI then a write to ICR_LO sends): fixed
 * IPIs (physical, logical, shorthands) set the target's IRR, NMI is
 * injected, INIT puts an AP into wait-for-SIPI and STARTUP starts it
 * in real mode at vector << 8 : 0. The event callback vector (CALLBACK_IRQ
 * type vector) does not go through IRR/ISR: Xen injects it while
 * upcall_pending is set and the guest does not EOI it (hvm_events.c). */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include <keel/types.h>

struct vcpu;

struct vlapic {
    uint32_t id;                /* x2APIC id (xAPIC: bits 31:24 of register 0x20) */
    uint32_t ldr, dfr;          /* xAPIC mode's logical destination (x2APIC: from id) */
    uint32_t icr_lo, icr_hi;    /* xAPIC mode's ICR halves */
    uint32_t tpr, svr, esr;
    uint32_t lvt[7];            /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint32_t timer_initial, timer_divide;
    uint64_t apic_base;         /* MSR 0x1B as the guest sees it */
    uint64_t irr[4];            /* set by any CPU (atomics), taken by the owner */
    uint64_t isr[4];            /* the owner's only */
    bool sipi_wait;             /* INIT received: the next STARTUP starts it */
    volatile bool nmi_pending;
};

enum vlapic_mode { VLAPIC_OFF, VLAPIC_XAPIC, VLAPIC_X2APIC };

/* Power-on state (xAPIC mode); vlapic_init keeps APIC_BASE (INIT IPI). */
void vlapic_reset(struct vcpu *v);
void vlapic_init(struct vcpu *v);
enum vlapic_mode vlapic_mode(const struct vcpu *v);
/* One log line: mode, SVR, TPR, highest IRR/ISR vector, event vectors. */
void hvm_dump_vcpu_lapic(const struct vcpu *v);
/* The guest-physical page of the xAPIC registers while in xAPIC mode, else ~0. */
uint64_t vlapic_mmio_page(const struct vcpu *v);
/* A 4-byte-or-less access at offset `off` of the xAPIC page (xAPIC mode
 * only): reads of write-only/reserved registers are 0, writes to them
 * are dropped; an access crossing the 4 bytes of a register too (Xen). */
uint32_t vlapic_mmio_read(struct vcpu *v, unsigned off, unsigned size);
void vlapic_mmio_write(struct vcpu *v, unsigned off, unsigned size, uint32_t val);
/* RDMSR/WRMSR of 0x1B and 0x800-0x83F: true if handled (*val read); false
 * for an index that is not the LAPIC's; *gp: the access is a #GP. */
bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp);
bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp);
/* The highest IRR vector above the processor priority, 0 if none. */
uint8_t vlapic_pending_vector(struct vcpu *v);
/* That vector is being injected: IRR -> ISR. */
void vlapic_accept(struct vcpu *v, uint8_t vector);
/* A vector or an NMI waits (wakes a HLT). */
bool vlapic_has_pending(struct vcpu *v);
/* Fixed interrupt `vector` to v (any CPU): IRR set, v kicked. */
void vlapic_set_irq(struct vcpu *v, uint8_t vector);
/* The vCPU's own CPU: vector into IRR unless it is in service (no kick). */
void vlapic_reassert(struct vcpu *v, uint8_t vector);
/* NMI to v (any CPU). */
void vlapic_send_nmi(struct vcpu *v);
/* ICR write (vlapic_icr.c): x2APIC's 64-bit value, or in xAPIC mode
 * (xapic) ICR_LO with the 8-bit destination of ICR_HI in bits 39:32. */
void vlapic_icr_write(struct vcpu *src, uint64_t icr, bool xapic);

#endif
