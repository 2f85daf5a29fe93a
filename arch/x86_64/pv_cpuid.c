/* The CPUID a PV guest sees (ref/xen-pv-abi.md 8.1): the host's leaves
 * with what Keel does not virtualize for PV hidden, the hypervisor bit set,
 * and the Xen leaves at 0x40000000 that let a guest find the ABI. */
#include <keel/pv_emulate.h>
#include <keel/cpufeature.h>
#include <keel/domain.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

#define BIT(n) (1U << (n))

/* Leaf 1 ECX: MONITOR 3, VMX 5, SMX 6, EIST 7, TM2 8, PCID 17, X2APIC 21,
 * TSC_DEADLINE 24, XSAVE 26, OSXSAVE 27 (state beyond SSE is not switched
 * yet, so XSAVE is not offered). EDX: VME 1, PSE 3, MTRR 12, PGE 13,
 * PSE36 17, DS 21, ACPI 22, TM 29, PBE 31. */
static const uint32_t leaf1_ecx_hide = BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(17) |
                                       BIT(21) | BIT(24) | BIT(26) | BIT(27);
static const uint32_t leaf1_edx_hide = BIT(1) | BIT(3) | BIT(12) | BIT(13) | BIT(17) | BIT(21) |
                                       BIT(22) | BIT(29) | BIT(31);
/* Leaf 7.0 EBX: TSC_ADJUST 1, SMEP 7, INVPCID 10, RTM 11, AVX512* need XSAVE
 * (16,17,21,26-28,30,31), SMAP 20, AVX2 5; ECX: UMIP 2, PKU 3, OSPKE 4,
 * LA57 16; EDX: everything (speculation controls are Keel's business). */
static const uint32_t leaf7_ebx_hide = BIT(1) | BIT(5) | BIT(7) | BIT(10) | BIT(11) | BIT(16) |
                                       BIT(17) | BIT(20) | BIT(21) | BIT(26) | BIT(27) |
                                       BIT(28) | BIT(30) | BIT(31);
static const uint32_t leaf7_ecx_hide = BIT(2) | BIT(3) | BIT(4) | BIT(16);
/* 0x80000001 ECX: SVM 2; EDX: PAGE1GB 26. */

void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf >= 0x40000000 && leaf < 0x40000100) {
        switch (leaf) {
        case 0x40000000:
            r[0] = 0x40000005;
            r[1] = 0x566e6558;          /* "XenVMMXenVMM" */
            r[2] = 0x65584d4d;
            r[3] = 0x4d4d566e;
            break;
        case 0x40000001:
            r[0] = (4 << 16) | 17;      /* the Xen ABI version Keel serves */
            break;
        case 0x40000002:
            r[0] = 1;                   /* hypercall pages */
            r[1] = 0x40000000;          /* MSR base */
            r[2] = 1;                   /* MMU_PT_UPDATE_PRESERVE_AD */
            break;
        case 0x40000005:
            r[1] = boot_cpu.phys_addr_bits;
            break;
        default:
            break;
        }
        return;
    }
    cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
    switch (leaf) {
    case 0:
        if (r[0] > 0xd)
            r[0] = 0xd;
        break;
    case 1:
        r[2] = (r[2] & ~leaf1_ecx_hide) | BIT(31);
        r[3] &= ~leaf1_edx_hide;
        r[1] &= 0x0000ffff;                 /* no APIC id / logical count games */
        r[1] |= (uint32_t)v->id << 24;
        break;
    case 5: case 6: case 0xd:
        r[0] = r[1] = r[2] = r[3] = 0;      /* MWAIT, power, XSAVE: not offered */
        break;
    case 7:
        if (sub == 0) {
            r[1] &= ~leaf7_ebx_hide;
            r[2] &= ~leaf7_ecx_hide;
            r[3] = 0;
        } else {
            r[0] = r[1] = r[2] = r[3] = 0;
        }
        break;
    case 0xb:
        r[1] = 0;                           /* topology: Linux zeroes it too */
        break;
    case 0x80000001:
        r[2] &= ~BIT(2);
        r[3] &= ~BIT(26);
        break;
    default:
        if (leaf > 0xd && leaf < 0x80000000)
            r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
}
