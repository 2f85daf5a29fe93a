/* early_fault: a guest kernel that faults before it has told the
 * hypervisor anything: no trap table, no callbacks, shared_info not
 * mapped. Its first instructions after the console line read an unmapped
 * address (VA 8; the kernel lives at 0xffffffff80000000). With no #PF
 * handler to bounce to, the hypervisor must crash the domain, say why and
 * return its memory; the machine and any other domain carry on. Never
 * prints a verdict: the runners check the hypervisor's log (Keel:
 * "crashed: page fault ... with no trap handler", Xen: "Domain 0 (vcpu#0)
 * crashed"). tests/linux/multi.py runs it beside a Linux domU (domu-crash).
 * guest-run: expect=crash */
#include "guest.h"

GUEST_TEST("early_fault");

void guest_early(struct start_info *si)
{
    (void)si;
    printk("early_fault: faulting before any trap table; the hypervisor must crash this domain\n");
    __asm__ __volatile__("movq (0x8), %%rax" ::: "rax", "memory");
    guest_abort("still running after a fault with no trap table");
}

void test_main(void)
{
    guest_abort("test_main reached: the early fault did not stop this kernel");
}
