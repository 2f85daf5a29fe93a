/* Hostile: vCPU 1 spins with interrupts off (IF=0, no exits at all) on
 * the only physical CPU it shares with vCPU 0. The hypervisor must still
 * take its CPU back: vCPU 0 keeps running, with no gap between two of its
 * clock readings longer than GAP_MS, for SECS seconds, while vCPU 1 also
 * makes progress. On real CPUs any host interrupt exits whatever the
 * guest's IF; Bochs 2.7's VMX keeps host interrupts masked in that case,
 * so Keel needs the VMX-preemption timer there (arch/x86_64/vmx/vmcs_setup.c).
 * guest-run: smp=1 vcpus=2 */
#include "pvh.h"

GUEST_TEST("pvh_cli_spin");

#define SECS    2
#define GAP_MS  1000

static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static volatile bool ap_stop;
static volatile uint64_t ap_loops;

static void spinner(unsigned id)
{
    (void)id;
    __asm__ __volatile__("cli");
    while (!ap_stop)
        ap_loops++;
    for (;;)
        __asm__ __volatile__("cli; hlt");
}

void test_main(void)
{
    long rc = start_ap(1, spinner, ap_stack + sizeof(ap_stack));
    check_eq("vCPU 1 up", rc, 0);
    if (rc)
        return;
    uint64_t start = pvclock_ns(), last = start, now, max_gap = 0, reads = 0;
    uint64_t spins_seen = 0;
    while ((now = pvclock_ns()) - start < SECS * 1000000000UL) {
        if (now - last > max_gap)
            max_gap = now - last;
        last = now;
        reads++;
        if (!spins_seen && ap_loops)
            spins_seen = reads;
    }
    uint64_t spins = ap_loops;
    ap_stop = true;
    printk("%lu clock reads in %u s beside a spinning vCPU 1 (%lu spins), longest gap %lu ms\n",
           reads, SECS, spins, max_gap / 1000000);
    check(spins_seen, "vCPU 1 never ran while vCPU 0 did");
    check(max_gap < GAP_MS * 1000000UL, "vCPU 0 waited %lu ms for its CPU", max_gap / 1000000);
}
