/* VMX detection and enabling, on every CPU: IA32_FEATURE_CONTROL, the
 * CR0/CR4 fixed bits, a VMXON region with the VMCS revision id, VMXON.
 * The capability MSRs are read once, on the boot CPU (SDM vol. 3 23.6-23.8,
 * appendix A); secondary CPUs must agree with it (Keel assumes one model). */
#include <keel/vmx.h>
#include <keel/cpufeature.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printf.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/x86.h>
#include "vmcs.h"

#define CR4_VMXE    (1UL << 13)

struct vmx_caps vmx_caps;
unsigned long vmx_write_errors;
static bool qualified;                  /* boot CPU: everything Keel needs */
static bool boot_enabled;               /* the boot CPU is in VMX operation */
static volatile bool cpu_failed;        /* some CPU could not enter VMX operation */
static void *vmxon_region[NR_CPUS];

static int read_caps(struct vmx_caps *c)
{
    bool true_ctls;
    if (rdmsr_safe(MSR_VMX_BASIC, &c->basic))
        return -1;
    true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
    c->pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
    c->proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
    c->exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS);
    c->entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS);
    c->misc = rdmsr(MSR_VMX_MISC);
    c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
    if (c->proc >> 32 & PROC_SECONDARY) {
        c->proc2 = rdmsr(MSR_VMX_PROCBASED_CTLS2);
        /* The EPT/VPID MSR exists only if EPT or VPID may be enabled. */
        if (c->proc2 >> 32 & (PROC2_EPT | PROC2_VPID))
            c->ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
    }
    return 0;
}

static bool may1(uint64_t cap, uint32_t bit) { return cap >> 32 & bit; }

/* Keel's HVM guests need EPT with a 4-level WB walk and unrestricted guest
 * (the PVH entry runs with paging off); VPID is used where present. */
static const char *caps_missing(const struct vmx_caps *c)
{
    const char *missing = NULL;
    if (VMX_BASIC_REGION_SIZE(c->basic) > PAGE_SIZE)
        missing = "a VMCS region of at most 4 KiB";
    else if (!may1(c->proc2, PROC2_EPT))
        missing = "EPT";
    else if (!may1(c->proc2, PROC2_UNRESTRICTED))
        missing = "unrestricted guest";
    else if (!(c->ept_vpid & EPT_CAP_WALK_4) || !(c->ept_vpid & EPT_CAP_WB))
        missing = "4-level write-back EPT";
    else if (!(c->ept_vpid & EPT_CAP_INVEPT))
        missing = "INVEPT";
    else if (!may1(c->exit, EXIT_LOAD_EFER | EXIT_SAVE_EFER) || !may1(c->entry, ENTRY_LOAD_EFER))
        missing = "EFER load/save";
    return missing;
}

bool vmx_vpid_usable(void)
{
    return may1(vmx_caps.proc2, PROC2_VPID) && (vmx_caps.ept_vpid & VPID_CAP_INVVPID) &&
           (vmx_caps.ept_vpid & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
}

/* Boot CPU (hvm_vendor_ops.probe): reads the capability MSRs once and
 * says whether Keel can use VMX here, and with what. */
bool vmx_probe(char *features, size_t len)
{
    if (!boot_cpu.vmx || read_caps(&vmx_caps)) {
        snprintf(features, len, "no VMX capability MSRs");
        return false;
    }
    log_debug("vmx: basic %#lx pin %#lx proc %#lx proc2 %#lx exit %#lx entry %#lx ept/vpid %#lx\n",
              vmx_caps.basic, vmx_caps.pin, vmx_caps.proc, vmx_caps.proc2, vmx_caps.exit,
              vmx_caps.entry, vmx_caps.ept_vpid);
    const char *missing = caps_missing(&vmx_caps);
    if (missing) {
        snprintf(features, len, "the CPU lacks %s", missing);
        return false;
    }
    qualified = true;
    bool preempt = (vmx_caps.pin >> 32) & PIN_PREEMPTION_TIMER;
    snprintf(features, len, "EPT, %sunrestricted guest%s", vmx_vpid_usable() ? "VPID, " : "",
             preempt ? ", preemption timer" : "");
    return true;
}

/* IA32_FEATURE_CONTROL: firmware may have locked it with VMX off; if it
 * is unlocked, Keel enables VMX outside SMX and locks it (SDM 23.7). */
static bool feature_control_ok(void)
{
    uint64_t fc;
    if (rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &fc))
        return false;
    if (fc & FEATURE_CONTROL_LOCK)
        return fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
    return true;
}

static int cpu_enable(unsigned cpu)
{
    if (!feature_control_ok()) {
        log_err("vmx: CPU %u: firmware locked IA32_FEATURE_CONTROL with VMX off\n", cpu);
        return -1;
    }
    /* CR0/CR4 must satisfy the fixed bits in VMX operation (SDM 23.8). */
    uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;
    uint64_t want0 = vmx_cr_fixed(cr0, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1);
    uint64_t want4 = vmx_cr_fixed(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1);
    if (want0 != cr0)
        write_cr0(want0);
    write_cr4(want4);

    if (!vmxon_region[cpu]) {
        void *r = alloc_pages(0);
        if (!r) {
            log_err("vmx: CPU %u: no memory for the VMXON region\n", cpu);
            return -1;
        }
        memset(r, 0, PAGE_SIZE);
        *(uint32_t *)r = VMX_BASIC_REVISION(vmx_caps.basic);
        vmxon_region[cpu] = r;
    }
    if (vmx_vmxon(virt_to_phys(vmxon_region[cpu]))) {
        log_err("vmx: CPU %u: VMXON failed\n", cpu);
        write_cr4(read_cr4() & ~CR4_VMXE);
        return -1;
    }
    return 0;
}

/* Every CPU, boot CPU first (hvm_vendor_ops.cpu_enable). */
int vmx_cpu_enable(void)
{
    unsigned cpu = smp_processor_id();
    struct vmx_caps mine;
    if (!qualified)
        return -1;
    if (cpu != 0 && (read_caps(&mine) || memcmp(&mine, &vmx_caps, sizeof(mine)))) {
        log_err("vmx: CPU %u: VMX capabilities differ from the boot CPU's\n", cpu);
        cpu_failed = true;
        return -1;
    }
    if (cpu_enable(cpu)) {
        cpu_failed = true;
        return -1;
    }
    if (cpu == 0)
        boot_enabled = true;
    return 0;
}

bool vmx_usable(void)
{
    return boot_enabled && !cpu_failed;
}
