/* Smallest PVH kernel: the library's start of day, then PASS. */
#include "pvh.h"

GUEST_TEST("pvh_hello");

void test_main(void)
{
    printk("pvh_hello: cmdline '%s', hypercalls by %s\n", guest_cmdline(),
           cpu_is_amd ? "vmmcall" : "vmcall");
}
