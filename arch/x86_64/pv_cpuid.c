/* The CPUID a PV guest sees (ref/xen-pv-abi.md 8.1): the host's leaves
 * with what Keel does not virtualize for PV hidden, the hypervisor bit set,
 * and the Xen leaves at 0x40000000 that let a guest find the ABI. */
#include <keel/pv_emulate.h>
#include <keel/cpufeature.h>
#include <keel/domain.h>
#include <keel/fpu.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

#define BIT(n) (1U << (n))

/* Leaf 1 ECX: MONITOR 3, VMX 5, SMX 6, EIST 7, TM2 8, PCID 17, X2APIC 21,
 * TSC_DEADLINE 24, XSAVE 26, OSXSAVE 27 (XSAVE and OSXSAVE are put back by
 * xsave_leaf1 when Keel switches XSAVE state). EDX: VME 1, PSE 3, MTRR 12,
 * PGE 13, PSE36 17, DS 21, ACPI 22, TM 29, PBE 31. */
static const uint32_t leaf1_ecx_hide = BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(17) |
                                       BIT(21) | BIT(24) | BIT(26) | BIT(27);
/* Features that need the AVX (YMM) state: leaf 1 ECX FMA 12, AVX 28,
 * F16C 29; leaf 7.0 EBX AVX2 5, ECX VAES 9, VPCLMULQDQ 10;
 * 0x80000001 ECX XOP 11, FMA4 16. */
static const uint32_t avx_leaf1_ecx = BIT(12) | BIT(28) | BIT(29);
static const uint32_t avx_leaf7_ebx = BIT(5);
static const uint32_t avx_leaf7_ecx = BIT(9) | BIT(10);
static const uint32_t avx_ext1_ecx = BIT(11) | BIT(16);
static const uint32_t leaf1_edx_hide = BIT(1) | BIT(3) | BIT(12) | BIT(13) | BIT(17) | BIT(21) |
                                       BIT(22) | BIT(29) | BIT(31);
/* Leaf 7.0 EBX: TSC_ADJUST 1, SMEP 7, INVPCID 10, RTM 11, MPX 14, SMAP 20,
 * AVX-512 (16,17,21,26-28,30,31: state Keel does not switch); ECX:
 * AVX512_VBMI 1, UMIP 2, PKU 3, OSPKE 4, VBMI2 6, VNNI 11, BITALG 12,
 * VPOPCNTDQ 14, LA57 16; EDX: everything (speculation controls are Keel's
 * business, AMX and AVX-512 extras are state Keel does not switch). */
static const uint32_t leaf7_ebx_hide = BIT(1) | BIT(7) | BIT(10) | BIT(11) | BIT(14) | BIT(16) |
                                       BIT(17) | BIT(20) | BIT(21) | BIT(26) | BIT(27) |
                                       BIT(28) | BIT(30) | BIT(31);
static const uint32_t leaf7_ecx_hide = BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(6) | BIT(11) |
                                       BIT(12) | BIT(14) | BIT(16);
/* 0x80000001 ECX: SVM 2; EDX: PAGE1GB 26. */

/* Leaf 1 ECX: XSAVE when Keel switches XSAVE state. OSXSAVE as Xen shows it
 * to PV guests: set when the guest's virtual CR4.OSXSAVE is, and always in
 * the guest kernel's emulated CPUID (Keel's real CR4.OSXSAVE is set, and
 * PV Linux relies on seeing it there). Only the emulated path reaches here
 * (native CPUID is not intercepted). */
static uint32_t xsave_leaf1_ecx(const struct vcpu *v, uint32_t ecx)
{
    if (!fpu_xcr0_max())
        return ecx & ~avx_leaf1_ecx;
    if (!(fpu_xcr0_max() & XSTATE_YMM))
        ecx &= ~avx_leaf1_ecx;
    ecx |= BIT(26);
    if (v->kernel_mode || (v->cr4 & CR4_OSXSAVE))
        ecx |= BIT(27);
    return ecx;
}

/* Leaf 0xD: the components Keel enables (sub-leaf 0 EAX/EDX), the area
 * size for the vCPU's XCR0 (EBX) and for all of them (ECX); sub-leaf 1:
 * XSAVEOPT 0, XSAVEC 1, XGETBV1 2 (ring-3 instructions bounded by XCR0),
 * not XSAVES/XFD (supervisor state); sub-leaves 2..62 for enabled
 * components as the hardware describes them. */
static void xsave_leaf_d(const struct vcpu *v, uint32_t sub, uint32_t r[4])
{
    uint64_t max = fpu_xcr0_max();
    if (!max || sub >= 63 || (sub >= 2 && !(max & (1UL << sub)))) {
        r[0] = r[1] = r[2] = r[3] = 0;
        return;
    }
    if (sub == 0) {
        r[0] = (uint32_t)max;
        r[1] = fpu_xstate_size(v->fpu->xcr0);
        r[2] = fpu_xstate_size(max);
        r[3] = (uint32_t)(max >> 32);
    } else if (sub == 1) {
        r[0] &= BIT(0) | BIT(1) | BIT(2);
        if (!(r[0] & BIT(1)))
            r[1] = 0;                   /* EBX: XSAVEC size, for the loaded XCR0 */
        r[2] = r[3] = 0;
    } else {
        r[2] &= BIT(1);                 /* 64-byte alignment when compacted */
        r[3] = 0;
    }
}

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
        r[2] = xsave_leaf1_ecx(v, (r[2] & ~leaf1_ecx_hide) | BIT(31));
        r[3] &= ~leaf1_edx_hide;
        r[1] &= 0x0000ffff;                 /* no APIC id / logical count games */
        r[1] |= (uint32_t)v->id << 24;
        break;
    case 5: case 6:
        r[0] = r[1] = r[2] = r[3] = 0;      /* MWAIT, power: not offered */
        break;
    case 0xd:
        xsave_leaf_d(v, sub, r);
        break;
    case 7:
        if (sub == 0) {
            r[1] &= ~leaf7_ebx_hide;
            r[2] &= ~leaf7_ecx_hide;
            if (!(fpu_xcr0_max() & XSTATE_YMM)) {
                r[1] &= ~avx_leaf7_ebx;
                r[2] &= ~avx_leaf7_ecx;
            }
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
        if (!(fpu_xcr0_max() & XSTATE_YMM))
            r[2] &= ~avx_ext1_ecx;
        r[3] &= ~BIT(26);
        break;
    default:
        if (leaf > 0xd && leaf < 0x80000000)
            r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
}
