/* Vendor-neutral HVM layer (arch/x86_64/hvm/): PVH vCPUs run through the
 * backend of keel/hvm_vendor.h. Generic code: exit dispatch, guest CPUID /
 * MSR / I/O policy, hypercalls through VMMCALL/VMCALL, event delivery
 * through the callback vector, nested page tables. */
#ifndef KEEL_HVM_H
#define KEEL_HVM_H

#include <keel/types.h>
#include <keel/hvm_vendor.h>

struct vcpu;
struct domain;
struct cpu_regs;

/* Generic per-vCPU HVM state (v->hvm). */
struct hvm_vcpu {
    uint64_t exit_counts[HVM_EXIT_NR];  /* per-reason exit counters */
    bool halted;                        /* HLT: blocked until an event */
    uint64_t hypercall_page_gpa;        /* last MSR 0x40000000 write, 0: none */
    uint64_t tsc_offset;
};

/* Is an HVM backend active (probe and cpu_enable succeeded on the boot CPU)? */
static inline bool hvm_available(void)
{
    return hvm_vendor != NULL;
}

/* Per CPU, from cpu_init: the boot CPU picks the backend and prints the
 * `hvm:` feature line; every CPU enables it. */
void hvm_cpu_init(void);

#endif
