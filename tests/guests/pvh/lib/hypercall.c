/* Hypercalls from a PVH kernel (ring 0): number in RAX, arguments in RDI,
 * RSI, RDX, R10, R8, result in RAX (public/arch-x86/xen-x86_64.h, the same
 * registers as 64-bit PV), made by VMCALL on Intel and VMMCALL on AMD (as
 * Linux's xen_hypercall_* picks by vendor), or through the hypercall page
 * Xen writes when the guest writes the page's GPA to the MSR CPUID leaf
 * base+2 EBX names (public/arch-x86/cpuid.h). */
#include "pvh.h"

enum hcall_path hcall_path = HCALL_INLINE;
uint32_t xen_cpuid_base;
bool cpu_is_amd;
__attribute__((aligned(4096))) char hypercall_page[4096];

long hypercall5_via(enum hcall_path path, unsigned nr, uint64_t a1, uint64_t a2,
                    uint64_t a3, uint64_t a4, uint64_t a5)
{
    register uint64_t r1 __asm__("rdi") = a1;
    register uint64_t r2 __asm__("rsi") = a2;
    register uint64_t r3 __asm__("rdx") = a3;
    register uint64_t r4 __asm__("r10") = a4;
    register uint64_t r5 __asm__("r8") = a5;
    long ret = nr;

    if (path == HCALL_INLINE)
        path = cpu_is_amd ? HCALL_VMMCALL : HCALL_VMCALL;
    switch (path) {
    case HCALL_VMMCALL:
        __asm__ __volatile__("vmmcall"
            : "+a"(ret), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
            :: "memory", "rcx", "r11", "r9", "cc");
        break;
    case HCALL_PAGE: {
        uint64_t target = (uint64_t)hypercall_page + nr * 32;
        __asm__ __volatile__("call *%[t]"
            : "+a"(ret), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
            : [t] "r"(target) : "memory", "rcx", "r11", "r9", "cc");
        break;
    }
    default:
        __asm__ __volatile__("vmcall"
            : "+a"(ret), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
            :: "memory", "rcx", "r11", "r9", "cc");
        break;
    }
    return ret;
}

long hypercall5(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    return hypercall5_via(hcall_path, nr, a1, a2, a3, a4, a5);
}

uint32_t hypercall_page_init(void)
{
    uint32_t msr = cpuid(xen_cpuid_base + 2, 0).b;

    /* GPA | page index (0); identity-mapped, so VA = GPA. */
    wrmsr(msr, (uint64_t)hypercall_page);
    return msr;
}

long hvm_param_set(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = value };
    return HYPERVISOR_hvm_op(HVMOP_set_param, &p);
}

long hvm_param_get(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = HYPERVISOR_hvm_op(HVMOP_get_param, &p);
    *value = p.value;
    return rc;
}
