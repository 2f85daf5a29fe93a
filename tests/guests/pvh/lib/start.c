/* Start of day in C: pvh_main(start_info GPA) from head.S. Checks the
 * start_info magic, finds the Xen CPUID leaves and the vendor (for the
 * hypercall instruction), loads the IDT, maps shared_info and registers the
 * callback vector, then runs the test. */
#include "pvh.h"

const struct hvm_start_info *pvh_start_info;
/* A test defines this true to keep the domain-wide callback vector unset. */
__attribute__((weak)) bool pvh_no_callback_irq;
struct shared_info *shared_info;
static __attribute__((aligned(4096))) uint8_t shared_info_page[4096];
__attribute__((aligned(4096))) uint64_t pvh_window_pdpt[512], pvh_window_pd[512];

const char *guest_cmdline(void)
{
    if (!pvh_start_info || !pvh_start_info->cmdline_paddr)
        return "";
    return (const char *)pvh_start_info->cmdline_paddr;
}

static bool find_xen_leaves(void)
{
    /* public/arch-x86/cpuid.h: the leaves may start at 0x40000000 + 0x100 n. */
    for (uint32_t base = XEN_CPUID_FIRST_LEAF; base < XEN_CPUID_FIRST_LEAF + 0x10000; base += 0x100) {
        struct cpuid r = cpuid(base, 0);
        if (r.b == XEN_CPUID_SIGNATURE_EBX && r.c == XEN_CPUID_SIGNATURE_ECX &&
            r.d == XEN_CPUID_SIGNATURE_EDX && r.a - base >= 2) {
            xen_cpuid_base = base;
            return true;
        }
    }
    return false;
}

void *map_window(uint64_t gpa, uint64_t extra_flags)
{
    pvh_pml4[1] = (uint64_t)pvh_window_pdpt | PTE_P | PTE_RW;
    pvh_window_pdpt[0] = (uint64_t)pvh_window_pd | PTE_P | PTE_RW;
    pvh_window_pd[0] = (gpa & ~0x1fffffUL) | PTE_P | PTE_RW | PTE_PS | extra_flags;
    invlpg((void *)PVH_WINDOW_VA);
    return (void *)(PVH_WINDOW_VA + (gpa & 0x1fffff));
}

void pvh_main(uint32_t si_gpa)
{
    pvh_start_info = (const struct hvm_start_info *)(uint64_t)si_gpa;
    wrmsr(0xc0000101, 0);                   /* GS base = vCPU id 0 */
    idt_load();

    struct cpuid v = cpuid(0, 0);
    cpu_is_amd = (v.b == 0x68747541 && v.d == 0x69746e65 && v.c == 0x444d4163) ||  /* AuthenticAMD */
                 (v.b == 0x6f677948 && v.d == 0x6e65476e && v.c == 0x656e6975);    /* HygonGenuine */
    if (!find_xen_leaves()) {
        e9_write("keel-test: pvh: FAIL no Xen CPUID leaves\n");
        for (;;)
            __asm__ __volatile__("cli; hlt");
    }
    if (pvh_start_info->magic != XEN_HVM_START_MAGIC_VALUE)
        guest_abort("start_info magic %#x at %#x", pvh_start_info->magic, si_gpa);

    /* shared_info over one of our own pages (public/memory.h add_to_physmap). */
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0,
        .gpfn = (uint64_t)shared_info_page >> 12,
    };
    long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
    if (rc)
        guest_abort("add_to_physmap(shared_info): %ld", rc);
    shared_info = (struct shared_info *)shared_info_page;

    if (!pvh_no_callback_irq) {
        rc = hvm_param_set(HVM_PARAM_CALLBACK_IRQ,
                           (HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_TYPE_SHIFT) | PVH_EVENT_VECTOR);
        if (rc)
            guest_abort("HVM_PARAM_CALLBACK_IRQ: %ld", rc);
    }

    test_main();
    guest_finish();
}
