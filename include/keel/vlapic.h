/* A minimal local APIC for PVH vCPUs, in x2APIC mode from reset (MSRs
 * 0x800-0x83F only, no MMIO page). Xen gives a PVH domU an xAPIC at reset;
 * Linux 6.1 never switches it to x2APIC itself (no IO-APIC), but takes a
 * pre-enabled one ("x2apic: enabled by BIOS"), which spares Keel decoding
 * MMIO instructions (notes: linux-pvh-needs.md §5). Registers: Intel SDM
 * vol. 3 §11.12 (x2APIC MSR map), §11.6 (ICR), §11.8 (IRR/ISR/EOI).
 *
 * What it does: ID (pvh_lapic_id), version 0x00050014 (Xen's), TPR, PPR,
 * SVR, LDR (cluster mode, derived from the ID), LVTs and the timer
 * registers (stored: Linux's PVH clock is Xen's, the LAPIC timer never
 * runs), ESR, IRR/ISR/EOI for vectors sent by IPI, and the ICR: fixed
 * IPIs (physical, logical cluster, shorthands) set the target's IRR, NMI
 * is injected, INIT puts an AP into wait-for-SIPI and STARTUP starts it
 * in real mode at vector << 8 : 0. The event callback vector (CALLBACK_IRQ
 * type vector) does not go through IRR/ISR: Xen injects it while
 * upcall_pending is set and the guest does not EOI it (hvm_events.c). */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include <keel/types.h>

struct vcpu;

struct vlapic {
    uint32_t id;                /* x2APIC id */
    uint32_t tpr, svr, esr;
    uint32_t lvt[7];            /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint32_t timer_initial, timer_divide;
    uint64_t apic_base;         /* MSR 0x1B as the guest sees it */
    uint64_t irr[4];            /* set by any CPU (atomics), taken by the owner */
    uint64_t isr[4];            /* the owner's only */
    bool sipi_wait;             /* INIT received: the next STARTUP starts it */
    volatile bool nmi_pending;
};

void vlapic_reset(struct vcpu *v);
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
/* NMI to v (any CPU). */
void vlapic_send_nmi(struct vcpu *v);
/* ICR write (vlapic_icr.c). */
void vlapic_icr_write(struct vcpu *src, uint64_t icr);

#endif
