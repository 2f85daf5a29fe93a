/* The MSRs a PVH guest sees. The syscall/sysenter MSRs and the FS/GS bases
 * are the guest's own (not intercepted; the backend switches them with the
 * rest of the guest state). EFER and PAT are kept in the guest state with
 * their reserved bits refused; MSR 0x40000000 (CPUID 0x40000002's MSR base)
 * writes the hypercall page; TSC_AUX is kept per vCPU (RDTSCP and RDPID,
 * which would read the host's, are hidden); APIC_BASE and the x2APIC
 * range 0x800-0x83F are the vCPU's local APIC (vlapic.c). IA32_MISC_ENABLE
 * reads as the PV guests' (an Intel kernel reads it in verify_cpu, before
 * it has an IDT); writes that keep it are accepted. AMD's VM_CR and
 * VM_HSAVE_PA are as Xen gives them without nested SVM. Any other MSR is #GP, as Xen 4.17 gives an
 * HVM guest for MSRs it does not know. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/traps.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <public/xen.h>

#define MSR_TSC             0x10
#define MSR_SYSENTER_CS     0x174
#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_PAT_            0x277
#define MSR_MISC_ENABLE     0x1a0
#define MSR_STAR_           0xc0000081
#define MSR_LSTAR_          0xc0000082
#define MSR_CSTAR_          0xc0000083
#define MSR_SFMASK_         0xc0000084
#define MSR_FS_BASE_        0xc0000100
#define MSR_GS_BASE_        0xc0000101
#define MSR_KERNEL_GS_BASE_ 0xc0000102
#define MSR_HYPERCALL_PAGE  0x40000000
#define MSR_TSC_AUX_        0xc0000103
#define MSR_VM_CR_          0xc0010114
#define MSR_VM_HSAVE_PA_    0xc0010117
#define HSAVE_PA_MAX        0xfd00000000UL      /* Xen 4.17 svm.c: above is #GP */

#define EFER_GUEST_BITS     ((1UL << 0) | (1UL << 8) | (1UL << 10) | (1UL << 11))  /* SCE LME LMA NXE */

static const uint32_t passthrough[] = {
    MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_STAR_, MSR_LSTAR_, MSR_CSTAR_,
    MSR_SFMASK_, MSR_FS_BASE_, MSR_GS_BASE_, MSR_KERNEL_GS_BASE_,
};

void hvm_msr_setup(struct vcpu *v)
{
    for (unsigned i = 0; i < ARRAY_SIZE(passthrough); i++)
        hvm_vendor->set_msr_intercept(v, passthrough[i], false, false);
}

static bool pat_valid(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/* Hypercall page for an HVM guest: slot n = mov $n, %eax; vmmcall (SVM) or
 * vmcall (VMX); ret. The iret slot stays int3 (no HVM iret hypercall). */
static int write_hypercall_page(struct vcpu *v, uint64_t gpa)
{
    static const uint8_t svm_call[3] = { 0x0f, 0x01, 0xd9 }, vmx_call[3] = { 0x0f, 0x01, 0xc1 };
    const uint8_t *call = hvm_vendor->npt_format == HVM_NPT_EPT ? vmx_call : svm_call;
    uint8_t *page = alloc_pages(0);
    if (!page)
        return -1;
    memset(page, 0xcc, PAGE_SIZE);
    for (uint32_t n = 0; n < PAGE_SIZE / 32; n++) {
        if (n == __HYPERVISOR_iret) {           /* PV's iret has no HVM form: ud2 (as Xen) */
            page[n * 32] = 0x0f;
            page[n * 32 + 1] = 0x0b;
            continue;
        }
        uint8_t *s = page + n * 32;
        s[0] = 0xb8;
        memcpy(s + 1, &n, 4);
        memcpy(s + 5, call, 3);
        s[8] = 0xc3;
    }
    int rc = hvm_copy_to_gpa(v->d, gpa, page, PAGE_SIZE);
    free_pages(page, 0);
    return rc;
}

/* AMD's SVM MSRs, as Xen 4.17 gives them to an HVM guest without nested
 * virtualisation (svm.c svm_msr_read/write_intercept): VM_CR reads 0 and
 * ignores writes, VM_HSAVE_PA is a per-vCPU value the guest may set. On
 * Intel they do not exist (#GP). */
static bool svm_msrs_exist(void)
{
    return hvm_vendor->npt_format == HVM_NPT_X86_64;   /* the SVM backend */
}

/* The host's value without perfmon and MONITOR, BTS/PEBS unavailable, xTPR
 * off: what PV guests read too (pv_emulate.c), and Xen's adjustment. */
static uint64_t misc_enable(void)
{
    uint64_t val;
    if (rdmsr_safe(MSR_MISC_ENABLE, &val))
        val = 0;
    return (val & ~((1UL << 7) | (1UL << 18))) | (1UL << 11) | (1UL << 12) | (1UL << 23);
}

bool hvm_msr_read(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    uint64_t val;
    switch (e->msr.index) {
    case MSR_EFER:
        val = hvm_vendor->get_reg(v, HVM_REG_EFER);
        break;
    case MSR_PAT_:
        val = hvm_vendor->get_reg(v, HVM_REG_PAT);
        break;
    case MSR_TSC:
        val = rdtsc();                  /* TSC offset 0 (hvm_vcpu_init) */
        break;
    case MSR_HYPERCALL_PAGE:
        val = v->hvm->hypercall_page_gpa;
        break;
    case MSR_TSC_AUX_:
        val = v->hvm->tsc_aux;
        break;
    case MSR_VM_CR_:
    case MSR_VM_HSAVE_PA_:
        if (!svm_msrs_exist()) {
            hvm_inject_exception(v, VEC_GP, true, 0);
            return true;
        }
        val = e->msr.index == MSR_VM_CR_ ? 0 : v->hvm->vm_hsave_pa;
        break;
    case MSR_MISC_ENABLE:
        val = misc_enable();
        break;
    default: {
        bool gp = true;
        if (!vlapic_msr_read(v, e->msr.index, &val, &gp) || gp) {
            hvm_inject_exception(v, VEC_GP, true, 0);
            return true;
        }
        break;
    }
    }
    regs->rax = (uint32_t)val;
    regs->rdx = val >> 32;
    hvm_skip_insn(regs, e, 2);
    return true;
}

bool hvm_msr_write(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    uint64_t val = (regs->rdx << 32) | (uint32_t)regs->rax;
    bool ok = true;
    switch (e->msr.index) {
    case MSR_EFER:
        ok = !(val & ~EFER_GUEST_BITS);
        if (ok)
            hvm_vendor->set_reg(v, HVM_REG_EFER, val);
        break;
    case MSR_PAT_:
        ok = pat_valid(val);
        if (ok)
            hvm_vendor->set_reg(v, HVM_REG_PAT, val);
        break;
    case MSR_HYPERCALL_PAGE:
        ok = (val & 0xfff) == 0 && !write_hypercall_page(v, val & ~0xfffUL);
        if (ok)
            v->hvm->hypercall_page_gpa = val;
        break;
    case MSR_TSC_AUX_:
        ok = !(val >> 32);
        if (ok)
            v->hvm->tsc_aux = val;      /* kept only: RDTSCP/RDPID are hidden (hvm_cpuid.c) */
        break;
    case MSR_VM_CR_:
        ok = svm_msrs_exist();          /* the write is ignored */
        break;
    case MSR_VM_HSAVE_PA_:
        ok = svm_msrs_exist() && !(val & 0xfff) && val <= HSAVE_PA_MAX;
        if (ok)
            v->hvm->vm_hsave_pa = val;
        break;
    case MSR_MISC_ENABLE:
        ok = val == misc_enable();
        break;
    default: {
        bool gp = true;
        ok = vlapic_msr_write(v, e->msr.index, val, &gp) && !gp;
        break;
    }
    }
    if (!ok) {
        hvm_inject_exception(v, VEC_GP, true, 0);
        return true;
    }
    hvm_skip_insn(regs, e, 2);
    return true;
}
