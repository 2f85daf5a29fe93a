/* The CPUID a PVH guest sees: the PV policy's view of the host (what Keel
 * does not virtualize hidden, hypervisor bit set: arch/x86_64/pv_cpuid.c)
 * with the HVM differences of Xen 4.17 (xen/arch/x86/traps.c
 * cpuid_hypervisor_leaves; public/arch-x86/cpuid.h): leaf 0x40000002 has no
 * PV feature bits, leaf 0x40000004 is the HVM leaf (vCPU id in EBX, domain
 * id in ECX), leaf 0x40000005 (PV only) is empty. Leaf 1 shows the
 * vLAPIC (APIC while APIC_BASE.EN, x2APIC capable, APIC id = pvh_lapic_id
 * as in the MADT); SME/SEV (0x8000001F) hidden; RDTSCP and RDPID are hidden
 * (they are not intercepted and would show the host's TSC_AUX). */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/pv_emulate.h>
#include <keel/pvh_acpi.h>
#include <keel/traps.h>
#include <keel/vcpu.h>

#define HVM_CPUID_IOMMU_MAPPINGS    (1U << 2)
#define HVM_CPUID_VCPU_ID_PRESENT   (1U << 3)
#define HVM_CPUID_DOMID_PRESENT     (1U << 4)
#define HVM_CPUID_UPCALL_VECTOR     (1U << 6)

static void hvm_cpuid_policy(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    pv_cpuid(v, leaf, sub, r);
    switch (leaf) {
    case 1:
        /* APIC: the vLAPIC while APIC_BASE.EN (as a CPU's), x2APIC
         * capable (vlapic.c; it starts in xAPIC mode, as Xen's). */
        r[3] = (r[3] & ~(1U << 9)) | (vlapic_mode(v) != VLAPIC_OFF) << 9;
        r[2] |= 1U << 21;
        r[2] &= ~(1U << 24);            /* no TSC-deadline timer */
        r[1] = (r[1] & 0x00ffffff) | pvh_lapic_id(v->id) << 24;
        r[2] &= ~(1U << 3);             /* MONITOR/MWAIT: intercepted, #UD */
        r[2] &= ~(1U << 27);            /* OSXSAVE: follows the guest's CR4 */
        if (hvm_vendor->get_reg(v, HVM_REG_CR4) & (1UL << 18))
            r[2] |= (r[2] & (1U << 26)) << 1;
        break;
    case 7:
        if (sub == 0)
            r[2] &= ~(1U << 22);        /* RDPID: would read the host's TSC_AUX */
        break;
    case 0xb:
        r[3] = pvh_lapic_id(v->id);     /* x2APIC id (EBX 0: no topology) */
        break;
    case 0x80000001:
        r[3] &= ~(1U << 27);            /* RDTSCP: likewise */
        r[2] &= ~(1U << 29);            /* MONITORX/MWAITX: intercepted as MONITOR/
                                         * MWAIT (APM vol. 2 15.9), #UD; Linux 6.1
                                         * would use them in udelay */
        break;
    case 0x8000000a:                    /* SVM features: no nested SVM (Xen: empty) */
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    case 0x8000001f:
        r[0] = r[1] = r[2] = r[3] = 0;  /* no SME/SEV: Linux would touch MSR
                                         * 0xc0010131 before it has an IDT */
        break;
    case 0x40000002:
        r[2] = 0;                       /* MMU_PT_UPDATE_PRESERVE_AD is PV's */
        break;
    case 0x40000004:
        if (sub == 0) {
            /* As Xen 4.17 (eax 0x5c, public/arch-x86/cpuid.h): with bit 6
             * Linux >= 6.0 asks for a per-vCPU upcall vector through the
             * local APIC (HVMOP_set_evtchn_upcall_vector, in the LAPIC's
             * IRR/ISR until its EOI; xen_init_setup_upcall_vector) instead
             * of the domain-wide CALLBACK_IRQ vector (hvm_events.c). */
            r[0] = HVM_CPUID_IOMMU_MAPPINGS | HVM_CPUID_VCPU_ID_PRESENT |
                   HVM_CPUID_DOMID_PRESENT | HVM_CPUID_UPCALL_VECTOR;
            r[1] = v->id;
            r[2] = v->d->id;
        }
        break;
    case 0x40000005:
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    default:
        break;
    }
}

bool hvm_cpuid(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    uint32_t r[4];
    hvm_cpuid_policy(v, (uint32_t)regs->rax, (uint32_t)regs->rcx, r);
    regs->rax = r[0];
    regs->rbx = r[1];
    regs->rcx = r[2];
    regs->rdx = r[3];
    hvm_skip_insn(regs, e, 2);          /* 0f a2 */
    return true;
}
