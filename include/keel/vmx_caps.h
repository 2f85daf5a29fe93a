/* Intel VMX capabilities: the capability MSRs (read once at boot) and the
 * rule that turns wanted VM-execution controls into values the CPU accepts.
 * MSR numbers and layouts: Intel SDM vol. 3 appendix A. */
#ifndef KEEL_VMX_CAPS_H
#define KEEL_VMX_CAPS_H

#include <keel/types.h>

#define MSR_IA32_FEATURE_CONTROL        0x03a
#define FEATURE_CONTROL_LOCK            (1UL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1UL << 2)

#define MSR_VMX_BASIC               0x480
#define MSR_VMX_PINBASED_CTLS       0x481
#define MSR_VMX_PROCBASED_CTLS      0x482
#define MSR_VMX_EXIT_CTLS           0x483
#define MSR_VMX_ENTRY_CTLS          0x484
#define MSR_VMX_MISC                0x485
#define MSR_VMX_CR0_FIXED0          0x486
#define MSR_VMX_CR0_FIXED1          0x487
#define MSR_VMX_CR4_FIXED0          0x488
#define MSR_VMX_CR4_FIXED1          0x489
#define MSR_VMX_PROCBASED_CTLS2     0x48b
#define MSR_VMX_EPT_VPID_CAP        0x48c
#define MSR_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_VMX_TRUE_EXIT_CTLS      0x48f
#define MSR_VMX_TRUE_ENTRY_CTLS     0x490

/* IA32_VMX_BASIC (SDM A.1) */
#define VMX_BASIC_REVISION(b)       ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b)    ((uint32_t)((b) >> 32) & 0x1fff)
#define VMX_BASIC_TRUE_CTLS         (1UL << 55)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10) */
#define EPT_CAP_WALK_4              (1UL << 6)
#define EPT_CAP_WB                  (1UL << 14)
#define EPT_CAP_2M                  (1UL << 16)
#define EPT_CAP_INVEPT              (1UL << 20)
#define EPT_CAP_INVEPT_SINGLE       (1UL << 25)
#define EPT_CAP_INVEPT_ALL          (1UL << 26)
#define VPID_CAP_INVVPID            (1UL << 32)
#define VPID_CAP_INVVPID_SINGLE     (1UL << 41)
#define VPID_CAP_INVVPID_ALL        (1UL << 42)

/* The capability MSRs as read (the TRUE_ variants where VMX_BASIC[55] is
 * set: they allow clearing controls the old MSRs force to 1). */
struct vmx_caps {
    uint64_t basic;
    uint64_t pin, proc, proc2, exit, entry;     /* allowed-0 low, allowed-1 high */
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_vpid;                          /* 0 without secondary controls */
};

/* One VM-execution control field's value: the bits the capability MSR
 * forces to 1, plus `required`, plus those `optional` bits the CPU allows.
 * -1 (and *out untouched) when a required bit may not be 1. SDM A.3: bits
 * 31:0 of the MSR are the allowed 0-settings (a 1 there: the control must
 * be 1), bits 63:32 the allowed 1-settings (a 0 there: it must be 0). */
int vmx_ctl_compute(uint64_t cap_msr, uint32_t required, uint32_t optional, uint32_t *out);
/* Whether `value` is a setting the capability MSR allows. */
bool vmx_ctl_valid(uint64_t cap_msr, uint32_t value);
/* A control register value with the VMX fixed bits applied (SDM A.7/A.8):
 * bits 1 in fixed0 forced to 1, bits 0 in fixed1 forced to 0. */
uint64_t vmx_cr_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1);

#endif
