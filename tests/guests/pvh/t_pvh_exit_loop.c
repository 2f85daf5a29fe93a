/* Hostile: a vCPU that does nothing but cause exits (CPUID, hypercalls,
 * port reads, rdmsr of an intercepted MSR) for `secs=` seconds of system
 * time (default 5). The hypervisor must keep its own timers and other
 * domains running (on Keel it runs beside another domain); the verdict is
 * PASS when the loop ends on time. */
#include "pvh.h"

GUEST_TEST("pvh_exit_loop");

void test_main(void)
{
    const char *opt = cmdline_option("secs");
    uint64_t secs = 5;
    if (opt && *opt >= '1' && *opt <= '9')
        secs = (uint64_t)(*opt - '0');
    uint64_t start = pvclock_ns(), end = start + secs * 1000000000UL;
    uint64_t n = 0, last_print = start;
    while (pvclock_ns() < end) {
        for (unsigned i = 0; i < 100; i++) {
            cpuid(0, 0);
            HYPERVISOR_xen_version(XENVER_version, NULL);
            inb(0x3fd);
            uint64_t v;
            rdmsr_probe(0x1b, &v);          /* APIC base; a #GP is an exit too */
        }
        n += 400;
        uint64_t now = pvclock_ns();
        if (now - last_print >= 1000000000UL) {
            printk("exit_loop: %lu exits after %lu ms\n", n, (now - start) / 1000000);
            last_print = now;
        }
    }
    uint64_t took = pvclock_ns() - start;
    printk("exit_loop: %lu exits in %lu ms\n", n, took / 1000000);
    check(n > 0, "no exits");
    check(took < secs * 1000000000UL + 2000000000UL, "took %lu ms", took / 1000000);
}
