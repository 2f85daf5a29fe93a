/* An instruction Keel does not emulate on the xAPIC page (hvm_mmio.c takes
 * only MOV forms): `orl $0x100, 0xf0(%rax)` (81 /1, a read-modify-write of
 * SVR). Keel must crash the domain, naming the bytes ("instruction not
 * emulated on the xAPIC page: bytes 81 88 f0 00 00 00 00 01 00 00"), and
 * never itself. Xen 4.17's emulator does the OR (hvm/emulate.c): the
 * domain survives and prints one verdict (xen=survives; run-xen.sh
 * pvh_xapic_bad).
 * guest-run: expect=crash xen=survives */
#include "pvh.h"

GUEST_TEST("pvh_xapic_bad");

void test_main(void)
{
    printk("pvh_xapic_bad: OR to the xAPIC SVR\n");
    __asm__ __volatile__("orl $0x100, 0xf0(%%rax)" :: "a"(LAPIC_BASE) : "memory");
    guest_abort("OR on the xAPIC page returned (SVR now %#x); not crashed", lapic_read(LAPIC_SVR));
}
