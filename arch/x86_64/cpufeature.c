/* CPUID feature detection. Leaf and bit numbers: Intel SDM vol. 2A CPUID;
 * AMD APM vol. 3 appendix E. VMX capability MSRs: SDM vol. 3 appendix A. */
#include <keel/cpufeature.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/x86.h>

struct cpu_features boot_cpu;

#define MSR_FEATURE_CONTROL         0x3a
#define MSR_VMX_BASIC               0x480
#define MSR_VMX_PROCBASED_CTLS      0x482
#define MSR_VMX_PROCBASED_CTLS2     0x48b
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48e

static void detect_vmx(struct cpu_features *f)
{
    uint64_t basic, proc, proc2;
    if (rdmsr_safe(MSR_VMX_BASIC, &basic))
        return;
    uint32_t msr = (basic & (1UL << 55)) ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS;
    if (rdmsr_safe(msr, &proc))
        return;
    if (!(proc >> 32 & (1U << 31)))         /* secondary controls may be 1 */
        return;
    if (rdmsr_safe(MSR_VMX_PROCBASED_CTLS2, &proc2))
        return;
    proc2 >>= 32;
    f->ept = proc2 & (1U << 1);
    f->vpid = proc2 & (1U << 5);
    f->unrestricted_guest = proc2 & (1U << 7);
}

void cpu_features_detect(struct cpu_features *f)
{
    uint32_t a, b, c, d;

    memset(f, 0, sizeof(*f));
    cpuid_count(0, 0, &a, &b, &c, &d);
    f->max_leaf = a;
    memcpy(f->vendor, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    cpuid_count(1, 0, &a, &b, &c, &d);
    f->family = (a >> 8) & 0xf;
    f->model = (a >> 4) & 0xf;
    f->stepping = a & 0xf;
    if (f->family == 0xf)
        f->family += (a >> 20) & 0xff;
    if (f->family >= 6)
        f->model |= ((a >> 16) & 0xf) << 4;
    f->vmx = c & (1U << 5);
    f->pcid = c & (1U << 17);
    f->x2apic = c & (1U << 21);
    f->tsc_deadline = c & (1U << 24);
    f->xsave = c & (1U << 26);
    f->hypervisor = c & (1U << 31);
    f->apic = d & (1U << 9);
    f->pge = d & (1U << 13);
    f->pat = d & (1U << 16);
    if (f->max_leaf >= 7) {
        cpuid_count(7, 0, &a, &b, &c, &d);
        f->fsgsbase = b & (1U << 0);
        f->smep = b & (1U << 7);
        f->invpcid = b & (1U << 10);
        f->smap = b & (1U << 20);
    }
    /* Leaf 0x15 states the TSC rate only when it names the crystal
     * frequency (ECX); leaf 0x16's base frequency is not the TSC rate on
     * every part (nor under emulators), so it is not used. */
    if (f->max_leaf >= 0x15) {
        cpuid_count(0x15, 0, &a, &b, &c, &d);
        if (a && b && c)
            f->tsc_hz_cpuid = (uint64_t)c * b / a;
    }
    cpuid_count(0x80000000, 0, &a, &b, &c, &d);
    f->max_ext_leaf = a;
    if (f->max_ext_leaf >= 0x80000001) {
        cpuid_count(0x80000001, 0, &a, &b, &c, &d);
        f->svm = c & (1U << 2);
        f->nx = d & (1U << 20);
        f->pdpe1gb = d & (1U << 26);
    }
    if (f->max_ext_leaf >= 0x80000004) {
        uint32_t *w = (uint32_t *)f->brand;
        for (uint32_t leaf = 0; leaf < 3; leaf++)
            cpuid_count(0x80000002 + leaf, 0, &w[leaf * 4], &w[leaf * 4 + 1],
                        &w[leaf * 4 + 2], &w[leaf * 4 + 3]);
    }
    if (f->max_ext_leaf >= 0x80000007) {
        cpuid_count(0x80000007, 0, &a, &b, &c, &d);
        f->invtsc = d & (1U << 8);
    }
    if (f->max_ext_leaf >= 0x80000008) {
        cpuid_count(0x80000008, 0, &a, &b, &c, &d);
        f->phys_addr_bits = a & 0xff;
        f->virt_addr_bits = (a >> 8) & 0xff;
    } else {
        f->phys_addr_bits = 36;
        f->virt_addr_bits = 48;
    }
    if (f->svm && f->max_ext_leaf >= 0x8000000a) {
        cpuid_count(0x8000000a, 0, &a, &b, &c, &d);
        f->svm_asids = b;
        f->npt = d & (1U << 0);
        f->nrips = d & (1U << 3);
    }
    if (f->hypervisor) {
        /* Hypervisor vendor leaf (QEMU TCG says "TCGTCGTCGTCG", KVM
         * "KVMKVMKVM"). */
        cpuid_count(0x40000000, 0, &a, &b, &c, &d);
        memcpy(f->hv_vendor, &b, 4);
        memcpy(f->hv_vendor + 4, &c, 4);
        memcpy(f->hv_vendor + 8, &d, 4);
        f->hv_vendor[12] = '\0';
        f->qemu_tcg = !memcmp(f->hv_vendor, "TCGTCGTCGTCG", 12);
    }
    if (f->vmx)
        detect_vmx(f);
}

void cpu_features_print(const struct cpu_features *f)
{
    const char *brand = f->brand;
    while (*brand == ' ')
        brand++;
    log_info("cpu: %s family 0x%x model 0x%x stepping %u: %s%s%s\n", f->vendor, f->family,
             f->model, f->stepping, brand, f->hv_vendor[0] ? ", hypervisor " : "", f->hv_vendor);
#define F(x) (f->x ? "+" : "-"), #x
    log_info("cpu: features: %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s %s%s\n",
             F(vmx), F(svm), F(npt), F(ept), F(smep), F(smap), F(pcid), F(xsave),
             F(x2apic), F(pdpe1gb), F(invtsc), F(tsc_deadline), F(nx), F(hypervisor));
#undef F
    log_info("cpu: %u-bit physical, %u-bit virtual addresses\n", f->phys_addr_bits,
             f->virt_addr_bits);
}
