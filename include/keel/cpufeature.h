/* CPU features Keel detects at boot (CPUID). */
#ifndef KEEL_CPUFEATURE_H
#define KEEL_CPUFEATURE_H

#include <keel/types.h>

struct cpu_features {
    char vendor[13];
    char brand[49];
    char hv_vendor[13];             /* CPUID 0x40000000 under a hypervisor, else "" */
    uint32_t family, model, stepping;
    uint32_t max_leaf, max_ext_leaf;
    bool vmx, svm, npt, ept, smep, smap, pcid, invpcid, xsave, x2apic, pdpe1gb,
         invtsc, tsc_deadline, nx, fsgsbase, hypervisor, apic, pge, pat, nrips,
         vpid, unrestricted_guest;
    bool qemu_tcg;                  /* QEMU's emulator (hv_vendor "TCGTCGTCGTCG") */
    uint32_t svm_asids;
    uint32_t phys_addr_bits, virt_addr_bits;
    uint64_t tsc_hz_cpuid;          /* from leaf 0x15 (crystal-based), 0 if unknown */
};

extern struct cpu_features boot_cpu;

void cpu_features_detect(struct cpu_features *f);
void cpu_features_print(const struct cpu_features *f);

#endif
