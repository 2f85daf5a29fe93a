/* Emulation of the instructions a PV kernel may execute in ring 3 that
 * fault (ref/xen-pv-abi.md 8): the guest CPUID policy, MSRs, control
 * registers, port I/O, software interrupts. */
#ifndef KEEL_PV_EMULATE_H
#define KEEL_PV_EMULATE_H

#include <keel/types.h>
#include <keel/traps.h>

struct vcpu;

/* The CPUID leaf/sub-leaf a PV guest sees. */
void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);
/* On #GP / #UD from the guest: true if the instruction was emulated (or
 * turned into a software interrupt bounce) and RIP moved on. */
bool pv_emulate_gp(struct vcpu *v, struct cpu_regs *regs);
bool pv_emulate_ud(struct vcpu *v, struct cpu_regs *regs);
/* On #PF from the guest: true if it was a write to one of its L1 page
 * tables that was emulated (writable page tables, arch/x86_64/pv_ptwr.c). */
bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint64_t error);
/* Virtual machine-check MSRs (arch/x86_64/pv_vmce.c): 1 done, -1 #GP,
 * 0 not a machine-check MSR. */
int pv_vmce_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
int pv_vmce_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);
/* The PAT value of the PV ABI (ref 8.2). */
#define PV_ABI_PAT  0x0000050100070406UL

#endif
