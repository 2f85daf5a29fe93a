/* crash_in_handler: a guest whose page-fault handler faults again with a
 * stack it cannot use. The hypervisor cannot write the second exception
 * frame, so it crashes the domain, says why in its log and returns the
 * domain's memory; the machine and any other domain carry on. This kernel
 * never prints a verdict: the runners check the hypervisor's log instead
 * (Keel: "crashed: ... exception frame", Xen: the domain crash report).
 * guest-run: expect=crash */
#include "guest.h"

GUEST_TEST("crash_in_handler");

/* The #PF handler: moves RSP to an unmapped page and faults again. */
__asm__(
    "    .text\n"
    "    .balign 16\n"
    "bad_pf_handler:\n"
    "    mov $0x10000, %rsp\n"
    "    movq (0x8), %rax\n"
    "    ud2\n");
extern char bad_pf_handler[];

void test_main(void)
{
    struct trap_info t[2] = {
        { .vector = 14, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (uint64_t)bad_pf_handler },
        { 0 },
    };
    if (HYPERVISOR_set_trap_table(t))
        guest_abort("set_trap_table failed");
    printk("crash_in_handler: faulting now; the hypervisor must crash this domain\n");
    __asm__ __volatile__("movq $1, (0x8)" ::: "memory");   /* first #PF: into the handler */
    guest_abort("still running after a fault in the fault handler");
}
