/* CPUID and MSR policy a PVH domain sees: the Xen leaves (public/
 * arch-x86/cpuid.h), the hypervisor bit, VMX and SVM hidden (no nested
 * virtualisation), and which MSRs read or raise #GP (Xen 4.17 gives #GP
 * for MSRs it does not know: msr_relaxed off, arch/x86/msr.c). The values
 * Xen 4.17 returns (tests/guests/pvh/run-xen.sh pvh_cpuid) are noted. */
#include "pvh.h"

GUEST_TEST("pvh_cpuid");

void test_main(void)
{
    struct cpuid r = cpuid(xen_cpuid_base, 0);
    printk("xen leaves at %#x, max %#x\n", xen_cpuid_base, r.a);
    check_eq("Xen CPUID base", xen_cpuid_base, 0x40000000);      /* no Viridian */
    check(r.a >= xen_cpuid_base + 4, "max Xen leaf %#x", r.a);   /* Xen 4.17: base+5 */

    /* base+1: version, the same as XENVER_version. */
    long ver = HYPERVISOR_xen_version(XENVER_version, NULL);
    r = cpuid(xen_cpuid_base + 1, 0);
    printk("base+1 eax %#x, xen_version %#lx\n", r.a, ver);
    check_eq("CPUID base+1 = XENVER_version", r.a, ver);

    /* base+2: one hypercall page, its MSR (0x40000000 without Viridian). */
    r = cpuid(xen_cpuid_base + 2, 0);
    printk("base+2 eax %#x ebx %#x\n", r.a, r.b);
    check_eq("hypercall pages", r.a, 1);
    check_eq("hypercall MSR", r.b, 0x40000000);

    /* Leaf 1: hypervisor bit set, VMX hidden; 0x80000001: SVM hidden.
     * MONITOR/MWAIT and MONITORX/MWAITX hidden (Xen exposes neither,
     * cpufeatureset.h; Keel intercepts them to #UD). */
    r = cpuid(1, 0);
    check(r.c & (1u << 31), "hypervisor bit clear (ecx %#x)", r.c);
    check(!(r.c & (1u << 5)), "VMX visible (ecx %#x)", r.c);
    check(!(r.c & (1u << 3)), "MONITOR visible (ecx %#x)", r.c);
    r = cpuid(0x80000001, 0);
    check(!(r.c & (1u << 2)), "SVM visible (0x80000001 ecx %#x)", r.c);
    check(!(r.c & (1u << 29)), "MONITORX visible (0x80000001 ecx %#x)", r.c);
    /* The SVM leaf, where the extended range reaches it (an Intel CPU
     * answers leaves past its maximum with its highest basic leaf: Bochs'
     * Skylake-X gave leaf 0x16's MHz figures there). */
    if (cpuid(0x80000000, 0).a >= 0x8000000a) {
        r = cpuid(0x8000000a, 0);
        printk("0x8000000a: %#x %#x %#x %#x\n", r.a, r.b, r.c, r.d);
        check(r.a == 0 && r.b == 0 && r.d == 0, "SVM leaf 0x8000000a not empty");
    }

    /* MSRs that read: EFER (LME|LMA, no SVME), APIC base, TSC. */
    uint64_t v;
    check_eq("rdmsr EFER", rdmsr_probe(0xc0000080, &v), -1);
    printk("EFER %#lx\n", v);
    check((v & 0x500) == 0x500, "EFER %#lx: LME/LMA not set", v);
    check(!(v & (1 << 12)), "EFER %#lx: SVME set", v);
    check_eq("rdmsr TSC", rdmsr_probe(0x10, &v), -1);
    check_eq("rdmsr APIC_BASE", rdmsr_probe(0x1b, &v), -1);
    printk("APIC base %#lx\n", v);

    /* MSRs of hardware virtualisation. The VMX MSRs #GP without nested
     * virtualisation on either vendor. AMD (Xen 4.17 svm.c svm_msr_read/
     * write_intercept, run-xen.sh pvh_cpuid): VM_CR reads 0 and ignores
     * writes; VM_HSAVE_PA is a per-vCPU shadow even without nested
     * virtualisation (#GP if not page-aligned or above 0xfd00000000).
     * Intel: both are unknown MSRs, #GP (Xen 4.17 vmx.c has no case for
     * them; from the source, no Intel rig runs Xen here). */
    check_eq("rdmsr VMX_BASIC", rdmsr_probe(0x480, &v), 13);
    if (cpu_is_amd) {
        check_eq("rdmsr VM_CR", rdmsr_probe(0xc0010114, &v), -1);
        check_eq("VM_CR value", v, 0);
        check_eq("wrmsr VM_CR", wrmsr_probe(0xc0010114, 0x10), -1);
        check_eq("rdmsr VM_CR after a write", rdmsr_probe(0xc0010114, &v), -1);
        check_eq("VM_CR after a write", v, 0);
        check_eq("rdmsr VM_HSAVE_PA", rdmsr_probe(0xc0010117, &v), -1);
        check_eq("VM_HSAVE_PA at start", v, 0);
        check_eq("wrmsr VM_HSAVE_PA 0x1000", wrmsr_probe(0xc0010117, 0x1000), -1);
        check_eq("rdmsr VM_HSAVE_PA again", rdmsr_probe(0xc0010117, &v), -1);
        check_eq("VM_HSAVE_PA read back", v, 0x1000);
        check_eq("wrmsr VM_HSAVE_PA 0x1001", wrmsr_probe(0xc0010117, 0x1001), 13);
        check_eq("wrmsr VM_HSAVE_PA above 0xfd00000000", wrmsr_probe(0xc0010117, 0xfe00000000UL), 13);
        wrmsr_probe(0xc0010117, 0);
    } else {
        check_eq("rdmsr VM_CR (Intel)", rdmsr_probe(0xc0010114, &v), 13);
        check_eq("rdmsr VM_HSAVE_PA (Intel)", rdmsr_probe(0xc0010117, &v), 13);
        check_eq("wrmsr VM_HSAVE_PA (Intel)", wrmsr_probe(0xc0010117, 0x1000), 13);
    }
    /* EFER.SVME cannot be set (Xen logs "Invalid EFER update ... SVME
     * without nested virt"). */
    uint64_t efer = rdmsr(0xc0000080);
    check_eq("wrmsr EFER|SVME", wrmsr_probe(0xc0000080, efer | (1 << 12)), 13);
    check_eq("EFER unchanged", rdmsr(0xc0000080), efer);
    /* Unknown MSRs: #GP both ways. */
    check_eq("rdmsr unknown 0x12345", rdmsr_probe(0x12345, &v), 13);
    check_eq("wrmsr unknown 0x12345", wrmsr_probe(0x12345, 1), 13);
    check_eq("rdmsr unknown 0xc0011234", rdmsr_probe(0xc0011234, &v), 13);
}
