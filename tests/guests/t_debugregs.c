/* debugregs: set_debugreg/get_debugreg (#8/#9, ref §5.7). Breakpoints may
 * only watch guest addresses and DR7 may not set GD. A data breakpoint on
 * a buffer the guest then hands to a hypercall makes the hypervisor itself
 * touch the watched address: it must survive that (the guest may see a
 * #DB, as on real Xen), and the hypercall still works. */
#include "guest.h"

GUEST_TEST("debugregs");

#define EPERM 1
#define EINVAL 22

static inline long HYPERVISOR_set_debugreg(int reg, uint64_t value)
{ return _hypercall2(__HYPERVISOR_set_debugreg, reg, value); }
static inline long HYPERVISOR_get_debugreg(int reg)
{ return _hypercall1(__HYPERVISOR_get_debugreg, reg); }

static char watched[64] __attribute__((aligned(64))) = "[debugregs] a watched buffer\n";
extern char after_write[];

void test_main(void)
{
    check_eq("DR0 on a hypervisor address", HYPERVISOR_set_debugreg(0, 0xffff830000000000UL), -EPERM);
    check_eq("DR7 with GD", HYPERVISOR_set_debugreg(7, 0x400 | (1UL << 13)), -EPERM);
    check_eq("DR0 on our buffer", HYPERVISOR_set_debugreg(0, (uint64_t)watched), 0);
    check_eq("DR0 reads back", HYPERVISOR_get_debugreg(0), (long)(uint64_t)watched);
    /* L0, read/write watch (RW0 = 11b), 8 bytes (LEN0 = 10b). */
    uint64_t dr7 = 0x400 | 1 | (3UL << 16) | (2UL << 18);
    check_eq("DR7 enables it", HYPERVISOR_set_debugreg(7, dr7), 0);
    trap_resume_rip = (uint64_t)after_write;
    long rc = HYPERVISOR_console_io(CONSOLEIO_write, 30, watched);
    __asm__ __volatile__("after_write:");
    check_eq("console_io from the watched buffer", rc, 0);
    printk("[debugregs] traps taken: %u (vector %lu)\n", last_trap.count, (unsigned long)last_trap.vector);
    trap_resume_rip = 0;
    check_eq("DR7 off", HYPERVISOR_set_debugreg(7, 0x400), 0);
}
