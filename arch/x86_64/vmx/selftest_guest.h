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

#endif
