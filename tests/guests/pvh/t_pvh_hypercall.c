/* Hypercalls from a PVH kernel: inline VMMCALL (AMD) / VMCALL (Intel), the
 * other vendor's instruction, and the hypercall page written through the
 * MSR (Xen 4.17 svm_init_hypercall_page: "mov $n,%eax; vmmcall; ret" per
 * 32-byte slot, ud2 in the iret slot); xen_version; numbers outside the HVM
 * table -ENOSYS (xen/include/hypercall-defs.c: PV-only calls have no hvm64
 * entry); bad guest pointers -EFAULT (guest virtual addresses: unmapped, or
 * mapped to a GPA that is not RAM); from guest user mode (CPL 3) every
 * hypercall is -EPERM (hvm/hypercall.c hvm_hypercall: hvm_get_cpl). */
#include "pvh.h"

GUEST_TEST("pvh_hypercall");

#define EPERM 1
static volatile long user_inline, user_page, user_console;

static void user_hypercalls(void)
{
    user_inline = hypercall5_via(HCALL_INLINE, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    user_page = hypercall5_via(HCALL_PAGE, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    static const char msg[] = "user mode must not print this\n";
    user_console = hypercall5_via(HCALL_INLINE, __HYPERVISOR_console_io, CONSOLEIO_write,
                                  sizeof(msg) - 1, (uint64_t)msg, 0, 0);
    USER_RETURN();
}

void test_main(void)
{
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    printk("xen_version %ld.%ld by %s\n", v >> 16, v & 0xffff, cpu_is_amd ? "vmmcall" : "vmcall");
    check(v > 0, "xen_version %ld", v);
    check_eq("XENVER_pagesize", HYPERVISOR_xen_version(XENVER_pagesize, NULL), 4096);

    /* Both instructions explicitly: the vendor's works; the other one. */
    enum hcall_path mine = cpu_is_amd ? HCALL_VMMCALL : HCALL_VMCALL;
    enum hcall_path other = cpu_is_amd ? HCALL_VMCALL : HCALL_VMMCALL;
    check_eq("xen_version by the vendor's instruction",
             hypercall5_via(mine, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0), v);
    unsigned before = last_trap.count;
    long o = -1;
    {
        register uint64_t r1 __asm__("rdi") = XENVER_version;
        long ret = __HYPERVISOR_xen_version;
        if (other == HCALL_VMCALL)
            __asm__ __volatile__("leaq 1f(%%rip), %%rcx\n\tmovq %%rcx, trap_resume_rip(%%rip)\n\t"
                                 "vmcall\n1:\n\tmovq $0, trap_resume_rip(%%rip)"
                                 : "+a"(ret), "+r"(r1) :: "rcx", "r11", "rsi", "rdx", "r10", "r8", "memory");
        else
            __asm__ __volatile__("leaq 1f(%%rip), %%rcx\n\tmovq %%rcx, trap_resume_rip(%%rip)\n\t"
                                 "vmmcall\n1:\n\tmovq $0, trap_resume_rip(%%rip)"
                                 : "+a"(ret), "+r"(r1) :: "rcx", "r11", "rsi", "rdx", "r10", "r8", "memory");
        o = ret;
    }
    if (last_trap.count != before)
        printk("other vendor's instruction: vector %lu\n", last_trap.vector);
    else
        printk("other vendor's instruction: returned %ld\n", o);
    /* Xen 4.17 on SVM: #UD for VMCALL (#UD is intercepted only for a
     * cross-vendor guest or hvm_fep, svm.c). */
    check(last_trap.count != before && last_trap.vector == 6,
          "other vendor's hypercall instruction: no #UD (returned %ld)", o);

    /* The hypercall page through the MSR. */
    uint32_t msr = hypercall_page_init();
    const uint8_t *slot = (const uint8_t *)hypercall_page + __HYPERVISOR_xen_version * 32;
    printk("hypercall page via MSR %#x: slot 17 %02x %02x %02x %02x %02x %02x %02x %02x %02x\n", msr,
           slot[0], slot[1], slot[2], slot[3], slot[4], slot[5], slot[6], slot[7], slot[8]);
    check(slot[0] == 0xb8 && slot[1] == __HYPERVISOR_xen_version && slot[2] == 0 && slot[3] == 0 &&
          slot[4] == 0, "slot 17 does not load eax");
    check(slot[5] == 0x0f && slot[6] == 0x01 && slot[7] == (cpu_is_amd ? 0xd9 : 0xc1) && slot[8] == 0xc3,
          "slot 17 is not %s; ret", cpu_is_amd ? "vmmcall" : "vmcall");
    const uint8_t *iret = (const uint8_t *)hypercall_page + __HYPERVISOR_iret * 32;
    check(iret[0] == 0x0f && iret[1] == 0x0b, "iret slot %02x %02x, not ud2", iret[0], iret[1]);
    check_eq("xen_version through the page",
             hypercall5_via(HCALL_PAGE, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0), v);
    hcall_path = HCALL_PAGE;
    printk("console output through the hypercall page\n");
    hcall_path = HCALL_INLINE;

    /* Numbers with no HVM handler. */
    static const unsigned pv_only[] = { 0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 14, 16, 19, 22, 23, 25, 28, 30 };
    for (unsigned i = 0; i < sizeof(pv_only) / sizeof(pv_only[0]); i++) {
        long rc = hypercall5(pv_only[i], 0, 0, 0, 0, 0);
        if (rc != -ENOSYS)
            fail("PV-only hypercall %u: %ld, want -ENOSYS", pv_only[i], rc);
    }
    static const unsigned unused[] = { 38, 43, 47, 56, 63, 64, 100, 1000, 0x7fffffff, 0xffffffff };
    for (unsigned i = 0; i < sizeof(unused) / sizeof(unused[0]); i++) {
        long rc = hypercall5(unused[i], 0, 0, 0, 0, 0);
        if (rc != -ENOSYS)
            fail("unused hypercall %#x: %ld, want -ENOSYS", unused[i], rc);
    }

    /* Bad guest pointers: an unmapped VA, a non-canonical one, a VA
     * mapped to a GPA that is not the domain's RAM. */
    char *unmapped = (char *)0x10000000000UL;           /* PML4 slot 2: empty */
    check_eq("extraversion to an unmapped VA",
             HYPERVISOR_xen_version(XENVER_extraversion, unmapped), -EFAULT);
    /* Non-canonical: Xen 4.17 translates only bits 47:0 (hvm_copy_* walks
     * the guest tables with no canonical check), so 0x8000000000000000
     * lands on VA 0 and the call succeeds (run-xen.sh pvh_hypercall: 0).
     * Harmless (it reaches only what the guest's own tables map), and Keel
     * does the same. */
    check_eq("extraversion to a non-canonical VA",
             HYPERVISOR_xen_version(XENVER_extraversion, (void *)0x8000000000000000UL), 0);
    check_eq("console write from an unmapped VA",
             HYPERVISOR_console_io(CONSOLEIO_write, 16, unmapped), -EFAULT);
    char *nonram = map_window(0x4000000000UL, 0);      /* GPA 256 GiB */
    check_eq("extraversion to a GPA outside RAM",
             HYPERVISOR_xen_version(XENVER_extraversion, nonram), -EFAULT);
    check_eq("console write from a GPA outside RAM",
             HYPERVISOR_console_io(CONSOLEIO_write, 16, nonram), -EFAULT);
    /* Half in, half out: 8 bytes before the end of the window (2 MiB of
     * our own RAM; the next 2 MiB are not mapped). */
    char *edge = (char *)map_window(0, 0) + 0x200000 - 8;
    check_eq("extraversion across the end of a mapping",
             HYPERVISOR_xen_version(XENVER_extraversion, edge), -EFAULT);
    /* From ring 3: refused, both ways. */
    run_user(user_hypercalls);
    printk("from CPL 3: inline %ld, page %ld, console %ld\n", user_inline, user_page, user_console);
    check_eq("xen_version from CPL 3 (inline)", user_inline, -EPERM);
    check_eq("xen_version from CPL 3 (page)", user_page, -EPERM);
    check_eq("console_io from CPL 3", user_console, -EPERM);

    /* The domain survives all of that. */
    check_eq("xen_version after", HYPERVISOR_xen_version(XENVER_version, NULL), v);
}
