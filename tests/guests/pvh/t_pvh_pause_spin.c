/* A spin loop of PAUSEs, as a vCPU waiting on a lock does. Where the CPU
 * has SVM's pause filter Keel intercepts PAUSE after a run of them, steps
 * over it (or lets it run again when its length is unknown) and yields
 * (arch/x86_64/hvm/hvm_exit.c pause_exit; the log says so once): the loop
 * must end with every iteration counted once. Without the filter PAUSE
 * runs in the guest. */
#include "pvh.h"

GUEST_TEST("pvh_pause_spin");

#define SPINS 1000000UL

void test_main(void)
{
    unsigned long n = 0;
    irq_enable();
    /* Each iteration: one PAUSE, then one increment: a wrong step over an
     * intercepted PAUSE would skip or repeat the increment. */
    for (unsigned long i = 0; i < SPINS; i++)
        __asm__ __volatile__("pause\n\tinc %0" : "+r"(n) :: "memory");
    irq_disable();
    check_eq("PAUSEs counted", n, SPINS);
    printk("pvh_pause_spin: %lu PAUSEs\n", n);
}
