/* Names of VM-exit reasons for log lines (SDM vol. 3 appendix C), and a
 * crash dump of a vCPU's VMCS. */
#include <keel/log.h>
#include "vmcs.h"
#include "vmx_internal.h"

static const char *const names[] = {
    [EXIT_EXCEPTION_NMI] = "exception or NMI", [EXIT_EXTERNAL_INTR] = "external interrupt",
    [EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT", [EXIT_SIPI] = "SIPI",
    [EXIT_INTR_WINDOW] = "interrupt window", [EXIT_NMI_WINDOW] = "NMI window",
    [EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
    [EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC",
    [EXIT_RDTSC] = "RDTSC", [EXIT_RSM] = "RSM", [EXIT_VMCALL] = "VMCALL",
    [EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH", [EXIT_VMPTRLD] = "VMPTRLD",
    [EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD", [EXIT_VMRESUME] = "VMRESUME",
    [EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON",
    [EXIT_CR_ACCESS] = "CR access", [EXIT_DR_ACCESS] = "DR access", [EXIT_IO] = "I/O",
    [EXIT_RDMSR] = "RDMSR", [EXIT_WRMSR] = "WRMSR",
    [EXIT_INVALID_GUEST_STATE] = "entry failed: invalid guest state",
    [EXIT_MSR_LOADING] = "entry failed: MSR loading", [EXIT_MWAIT] = "MWAIT",
    [EXIT_MTF] = "monitor trap flag", [EXIT_MONITOR] = "MONITOR", [EXIT_PAUSE] = "PAUSE",
    [EXIT_MACHINE_CHECK] = "entry failed: machine check",
    [EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold", [EXIT_APIC_ACCESS] = "APIC access",
    [EXIT_GDTR_IDTR] = "GDTR/IDTR access", [EXIT_LDTR_TR] = "LDTR/TR access",
    [EXIT_EPT_VIOLATION] = "EPT violation", [EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
    [EXIT_INVEPT] = "INVEPT", [EXIT_RDTSCP] = "RDTSCP",
    [EXIT_PREEMPTION_TIMER] = "preemption timer", [EXIT_INVVPID] = "INVVPID",
    [EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV", [EXIT_RDRAND] = "RDRAND",
    [EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC", [EXIT_RDSEED] = "RDSEED",
    [EXIT_XSAVES] = "XSAVES", [EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_name(uint32_t reason)
{
    return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "unknown";
}

void vmx_vcpu_dump(struct vmx_vcpu *vv)
{
    if (vv->cpu < 0 || vmx_vmptrst() != vv->vmcs_pa)
        return;                 /* only the VMCS current on this CPU can be read */
    log_err("vmx: rip %#lx rsp %#lx rflags %#lx cr0 %#lx (shadow %#lx) cr3 %#lx cr4 %#lx "
            "(shadow %#lx) efer %#lx\n",
            vmcs_readn(VMCS_GUEST_RIP), vmcs_readn(VMCS_GUEST_RSP), vmcs_readn(VMCS_GUEST_RFLAGS),
            vmcs_readn(VMCS_GUEST_CR0), vmcs_readn(VMCS_CR0_SHADOW), vmcs_readn(VMCS_GUEST_CR3),
            vmcs_readn(VMCS_GUEST_CR4), vmcs_readn(VMCS_CR4_SHADOW), vmcs_read64(VMCS_GUEST_EFER));
    log_err("vmx: cs %#x base %#lx ar %#x, ss %#x ar %#x, entry controls %#x\n",
            vmcs_read16(VMCS_GUEST_CS_SEL), vmcs_readn(VMCS_GUEST_CS_BASE),
            vmcs_read32(VMCS_GUEST_CS_AR), vmcs_read16(VMCS_GUEST_SS_SEL),
            vmcs_read32(VMCS_GUEST_SS_AR), vmcs_read32(VMCS_ENTRY_CTLS));
}
