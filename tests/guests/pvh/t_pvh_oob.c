/* An access to a guest-physical address that is not the domain's memory
 * (GPA 256 GiB, `how=read|write|walk`; default read): Keel must crash the
 * domain and log why (issue 6: "an access outside their memory is an exit
 * that crashes that domain"). If the access returns, the test prints a
 * FAIL verdict with what it got, so the runner can tell the hypervisor let
 * it through from a crash. Xen 4.17 does not crash a PVH domain for this:
 * a GPA with no memory is emulated MMIO, and with no device model the null
 * handler reads all ones and drops writes (hvm/emulate.c). On Xen under
 * QEMU TCG (run-xen.sh pvh_oob pvh_oob@how=write pvh_oob@how=walk): read
 * -> 0xffffffffffffffff; write -> dropped, reads back all ones; walk ->
 * #PF error 0 in the guest (FAIL "unexpected #PF"). run-xen.sh expects
 * one verdict line and no crash (xen=survives).
 * guest-run: expect=crash xen=survives */
#include "pvh.h"

GUEST_TEST("pvh_oob");

#define OOB_GPA 0x4000000000UL

void test_main(void)
{
    const char *how = cmdline_option("how");
    if (!how)
        how = "read";
    printk("pvh_oob: %.5s at GPA %#lx\n", how, OOB_GPA);
    if (!strncmp(how, "walk", 4)) {
        /* The page-table walk itself: a PD at the bad GPA. */
        map_window(0, 0);
        pvh_window_pdpt[0] = OOB_GPA | PTE_P | PTE_RW;
        invlpg((void *)PVH_WINDOW_VA);
        uint64_t v = *(volatile uint64_t *)PVH_WINDOW_VA;
        guest_abort("walk through a PD outside memory returned %#lx; not crashed", v);
    }
    volatile uint64_t *p = map_window(OOB_GPA, 0);
    if (!strncmp(how, "write", 5)) {
        *p = 0x1234;
        uint64_t v = *p;
        guest_abort("write outside memory returned; read back %#lx; not crashed", v);
    }
    uint64_t v = *p;
    guest_abort("read outside memory returned %#lx; not crashed", v);
}
