/* iret_self: the guest kernel (ring 3 under PV) may execute iretq and lretq
 * to itself, as Linux's sync_core() does with an IRET-to-self. Both are
 * same-privilege returns: the CPU reads the frame from the guest's own
 * stack at CPL 3. Under QEMU TCG <= 9.0 with CR4.SMAP set those reads are
 * checked as supervisor accesses and fault (#PF error 1 at rsp): Keel
 * leaves SMAP off under TCG by default (smap=), Xen 4.17 needs smap=0. */
#include "guest.h"

GUEST_TEST("iret_self");

static uint64_t iret_to_self(void)
{
    uint64_t rsp_before, rsp_after;
    __asm__ __volatile__(
        "mov %%rsp, %0\n\t"
        "mov %%ss, %%eax\n\t"
        "push %%rax\n\t"
        "push %%rsp\n\t"
        "addq $8, (%%rsp)\n\t"
        "pushfq\n\t"
        "mov %%cs, %%eax\n\t"
        "push %%rax\n\t"
        "lea 1f(%%rip), %%rax\n\t"
        "push %%rax\n\t"
        "iretq\n"
        "1:\n\t"
        "mov %%rsp, %1\n\t"
        : "=&r"(rsp_before), "=r"(rsp_after) : : "rax", "memory", "cc");
    return rsp_before - rsp_after;
}

static uint64_t lret_to_self(void)
{
    uint64_t rsp_before, rsp_after;
    __asm__ __volatile__(
        "mov %%rsp, %0\n\t"
        "mov %%cs, %%eax\n\t"
        "push %%rax\n\t"
        "lea 1f(%%rip), %%rax\n\t"
        "push %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %%rsp, %1\n\t"
        : "=&r"(rsp_before), "=r"(rsp_after) : : "rax", "memory", "cc");
    return rsp_before - rsp_after;
}

void test_main(void)
{
    for (int i = 0; i < 1000; i++) {
        uint64_t d = iret_to_self();
        if (d) {
            check(false, "iretq to self moved rsp by %ld", (long)d);
            break;
        }
    }
    for (int i = 0; i < 1000; i++) {
        uint64_t d = lret_to_self();
        if (d) {
            check(false, "lretq to self moved rsp by %ld", (long)d);
            break;
        }
    }
}
