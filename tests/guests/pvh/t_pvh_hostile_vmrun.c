/* Hostile: a PVH guest runs the hardware-virtualisation instructions
 * itself. With no nested virtualisation every one must raise #UD in the
 * guest (Xen 4.17 svm.c: VMRUN/VMLOAD/VMSAVE/STGI/CLGI intercepted and
 * answered with #UD when nestedhvm is off; SKINIT, INVLPGA intercepted;
 * the VMX instructions are #UD on an AMD CPU), and the domain lives on. */
#include "pvh.h"

GUEST_TEST("pvh_hostile_vmrun");

static uint8_t vmcb[4096] __attribute__((aligned(4096)));

#define UD 6

void test_main(void)
{
    uint64_t pa = (uint64_t)vmcb;
    struct { const char *name; long vec; } r[] = {
        { "VMRUN",   PROBE(".byte 0x0f, 0x01, 0xd8", "a"(pa)) },
        { "VMLOAD",  PROBE(".byte 0x0f, 0x01, 0xda", "a"(pa)) },
        { "VMSAVE",  PROBE(".byte 0x0f, 0x01, 0xdb", "a"(pa)) },
        { "STGI",    PROBE(".byte 0x0f, 0x01, 0xdc") },
        { "CLGI",    PROBE(".byte 0x0f, 0x01, 0xdd") },
        { "INVLPGA", PROBE(".byte 0x0f, 0x01, 0xdf", "a"(pa), "c"(0)) },
        { "VMLAUNCH", PROBE(".byte 0x0f, 0x01, 0xc2") },
        { "VMRESUME", PROBE(".byte 0x0f, 0x01, 0xc3") },
        { "VMXOFF",  PROBE(".byte 0x0f, 0x01, 0xc4") },
        { "VMXON",   PROBE("vmxon (%0)", "r"(&pa)) },
        { "VMPTRLD", PROBE("vmptrld (%0)", "r"(&pa)) },
        { "VMCLEAR", PROBE("vmclear (%0)", "r"(&pa)) },
    };
    for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        printk("%s: %s %ld\n", r[i].name, r[i].vec < 0 ? "completed" : "vector", r[i].vec);
        if (r[i].vec != UD)
            fail("%s: %s %ld, want #UD", r[i].name, r[i].vec < 0 ? "completed" : "vector", r[i].vec);
    }
    /* Setting EFER.SVME first does not help: #GP, and VMRUN stays #UD. */
    uint64_t efer = rdmsr(0xc0000080);
    long w = PROBE("wrmsr", "c"(0xc0000080), "a"((uint32_t)(efer | (1 << 12))), "d"((uint32_t)(efer >> 32)));
    check_eq("wrmsr EFER.SVME", w, 13);
    check_eq("VMRUN again", PROBE(".byte 0x0f, 0x01, 0xd8", "a"(pa)), UD);
    /* Still alive and served. */
    check(HYPERVISOR_xen_version(XENVER_version, NULL) > 0, "hypercalls after");
}
