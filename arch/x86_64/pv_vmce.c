/* Virtual machine-check MSRs of a PV vCPU, as Xen 4.17's vMCE
 * (xen/arch/x86/cpu/mcheck/vmce.c): CPUID shows MCE and MCA, so Linux
 * reads MCG_CAP and polls the banks at boot; a #GP there is fatal to it
 * ("MCA architectural violation"). Two banks that never report an error;
 * Keel does not inject machine checks. */
#include <keel/pv_emulate.h>
#include <keel/cpufeature.h>
#include <keel/string.h>
#include <keel/vcpu.h>

#define MSR_MCG_CAP         0x179
#define MSR_MCG_STATUS      0x17a
#define MSR_MCG_CTL         0x17b
#define MSR_MC0_CTL         0x400
#define MSR_MC0_CTL2        0x280           /* Intel: MCi_CTL2 at 0x280 + i */

#define VMCE_BANKS          2               /* Xen's GUEST_MC_BANK_NUM */
#define MCG_CMCI_P          (1UL << 10)
#define MCG_TES_P           (1UL << 11)
#define MCG_SER_P           (1UL << 24)

static bool intel(void)
{
    return !memcmp(boot_cpu.vendor, "GenuineIntel", 12);
}

static uint64_t mcg_cap(void)
{
    return intel() ? MCG_SER_P | MCG_TES_P | MCG_CMCI_P | VMCE_BANKS : VMCE_BANKS;
}

static bool bank_msr(uint32_t msr)
{
    return (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * VMCE_BANKS) ||
           (intel() && msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + VMCE_BANKS);
}

int pv_vmce_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_MCG_CAP:    *val = mcg_cap(); return 1;
    case MSR_MCG_STATUS: *val = v->vmce_mcg_status; return 1;
    case MSR_MCG_CTL:    *val = 0; return 1;       /* no MCG_CTL_P */
    }
    if (!bank_msr(msr))
        return 0;
    /* MCi_CTL reads all ones; STATUS, ADDR, MISC and CTL2: no error. */
    *val = (msr >= MSR_MC0_CTL && (msr & 3) == 0) ? ~0UL : 0;
    return 1;
}

int pv_vmce_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_MCG_CAP:                           /* read-only: write ignored */
    case MSR_MCG_CTL:
        return 1;
    case MSR_MCG_STATUS:
        v->vmce_mcg_status = val;
        return 1;
    }
    if (!bank_msr(msr))
        return 0;
    if (msr < MSR_MC0_CTL || (msr & 3) == 0)
        return 1;                               /* MCi_CTL, MCi_CTL2: ignored */
    return val ? -1 : 1;                        /* STATUS/ADDR/MISC: only 0 (Xen) */
}
