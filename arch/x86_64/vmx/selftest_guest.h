/* The self-tests' tiny VMX guest (selftest_vmx.c drives it through the
 * backend's own calls, selftest_vmx_ops.c through keel/hvm_vendor.h). */
#ifndef KEEL_VMX_SELFTEST_GUEST_H
#define KEEL_VMX_SELFTEST_GUEST_H

#include <keel/types.h>

#define GUEST_GFN       1
#define GUEST_ENTRY     (GUEST_GFN << PAGE_SHIFT)
#define OUTSIDE_GPA     0x40000000UL
#define CPUID_EAX       0x4c45454bU     /* "KEEL" */
#define MAX_EXITS       64              /* external interrupts come in between */
#define CODE_CPUID      (GUEST_ENTRY + 14)  /* offsets in guest_code */
#define CODE_VMCALL     (GUEST_ENTRY + 18)
#define CODE_LOAD       (GUEST_ENTRY + 21)

static const uint8_t guest_code[] __attribute__((unused)) = {
    0x0f, 0x20, 0xc0,                   /* mov %cr0, %eax: the shadow (PE, ET) */
    0x83, 0xc8, 0x20,                   /* or $0x20, %eax: NE, a bit Keel owns */
    0x0f, 0x22, 0xc0,                   /* mov %eax, %cr0: exits, served inside */
    0xb8, 0x00, 0x00, 0x00, 0x00,       /* mov $0, %eax */
    0x0f, 0xa2,                         /* cpuid: exit, Keel sets EAX */
    0xe6, 0x80,                         /* out %al, $0x80 */
    0x0f, 0x01, 0xc1,                   /* vmcall */
    0xa1, 0x00, 0x00, 0x00, 0x40,       /* mov 0x40000000, %eax: not mapped */
    0xf4,                               /* hlt (never reached) */
};


/* A VMLAUNCH first (the guest has no VMX), then the way PVH Linux enters
 * long mode from the 32-bit entry: CR4.PAE, EFER.LME
 * (RDMSR/WRMSR exit), CR3, then CR0.PG with no exit: the CPU switches to
 * long mode inside the guest. Page tables at 0x2000 (PML4), 0x3000 (PDPT),
 * 0x4000 (PD with one 2 MiB identity page). */
#define LM_PAGES        4               /* GFN 1-4: code and three tables */
#define LM_CODE_VMCALL  (GUEST_ENTRY + 45)
static const uint8_t long_mode_code[] __attribute__((unused)) = {
    0x0f, 0x01, 0xc2,                   /* vmlaunch: exits (in compatibility mode it
                                         * would be #UD without an exit, SDM 31.3) */
    0x0f, 0x20, 0xe0,                   /* mov %cr4, %eax */
    0x83, 0xc8, 0x20,                   /* or $0x20, %eax: PAE */
    0x0f, 0x22, 0xe0,                   /* mov %eax, %cr4 */
    0xb9, 0x80, 0x00, 0x00, 0xc0,       /* mov $0xc0000080, %ecx: EFER */
    0x0f, 0x32,                         /* rdmsr: exit */
    0x0d, 0x00, 0x01, 0x00, 0x00,       /* or $0x100, %eax: LME */
    0x0f, 0x30,                         /* wrmsr: exit */
    0xb8, 0x00, 0x20, 0x00, 0x00,       /* mov $0x2000, %eax */
    0x0f, 0x22, 0xd8,                   /* mov %eax, %cr3 */
    0x0f, 0x20, 0xc0,                   /* mov %cr0, %eax */
    0x0d, 0x00, 0x00, 0x00, 0x80,       /* or $0x80000000, %eax: PG */
    0x0f, 0x22, 0xc0,                   /* mov %eax, %cr0: long mode, no exit */
    0x0f, 0x01, 0xc1,                   /* vmcall (at +45) */
    0xf4,                               /* hlt: exits, after an entry in long mode */
};

#endif
