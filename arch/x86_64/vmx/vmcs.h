/* VMCS fields as named constants, one enum per field width, with one typed
 * accessor per width: a 32-bit field cannot be written through the 64-bit
 * accessor (-Wenum-conversion is an error). Encodings: Intel SDM vol. 3
 * appendix B; exit reasons: appendix C. */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include <keel/types.h>

enum vmcs16 {
    VMCS_VPID                   = 0x0000,
    VMCS_GUEST_ES_SEL           = 0x0800,
    VMCS_GUEST_CS_SEL           = 0x0802,
    VMCS_GUEST_SS_SEL           = 0x0804,
    VMCS_GUEST_DS_SEL           = 0x0806,
    VMCS_GUEST_FS_SEL           = 0x0808,
    VMCS_GUEST_GS_SEL           = 0x080a,
    VMCS_GUEST_LDTR_SEL         = 0x080c,
    VMCS_GUEST_TR_SEL           = 0x080e,
    VMCS_HOST_ES_SEL            = 0x0c00,
    VMCS_HOST_CS_SEL            = 0x0c02,
    VMCS_HOST_SS_SEL            = 0x0c04,
    VMCS_HOST_DS_SEL            = 0x0c06,
    VMCS_HOST_FS_SEL            = 0x0c08,
    VMCS_HOST_GS_SEL            = 0x0c0a,
    VMCS_HOST_TR_SEL            = 0x0c0c,
};

enum vmcs64 {
    VMCS_IO_BITMAP_A            = 0x2000,
    VMCS_IO_BITMAP_B            = 0x2002,
    VMCS_MSR_BITMAP             = 0x2004,
    VMCS_EXIT_MSR_STORE_ADDR    = 0x2006,
    VMCS_EXIT_MSR_LOAD_ADDR     = 0x2008,
    VMCS_ENTRY_MSR_LOAD_ADDR    = 0x200a,
    VMCS_TSC_OFFSET             = 0x2010,
    VMCS_EPT_POINTER            = 0x201a,
    VMCS_GUEST_PHYS_ADDR        = 0x2400,   /* read-only */
    VMCS_LINK_POINTER           = 0x2800,
    VMCS_GUEST_DEBUGCTL         = 0x2802,
    VMCS_GUEST_PAT              = 0x2804,
    VMCS_GUEST_EFER             = 0x2806,
    VMCS_GUEST_PDPTE0           = 0x280a,
    VMCS_GUEST_PDPTE1           = 0x280c,
    VMCS_GUEST_PDPTE2           = 0x280e,
    VMCS_GUEST_PDPTE3           = 0x2810,
    VMCS_HOST_PAT               = 0x2c00,
    VMCS_HOST_EFER              = 0x2c02,
};

enum vmcs32 {
    VMCS_PIN_CTLS               = 0x4000,
    VMCS_PROC_CTLS              = 0x4002,
    VMCS_EXCEPTION_BITMAP       = 0x4004,
    VMCS_PF_ERROR_MASK          = 0x4006,
    VMCS_PF_ERROR_MATCH         = 0x4008,
    VMCS_CR3_TARGET_COUNT       = 0x400a,
    VMCS_EXIT_CTLS              = 0x400c,
    VMCS_EXIT_MSR_STORE_COUNT   = 0x400e,
    VMCS_EXIT_MSR_LOAD_COUNT    = 0x4010,
    VMCS_ENTRY_CTLS             = 0x4012,
    VMCS_ENTRY_MSR_LOAD_COUNT   = 0x4014,
    VMCS_ENTRY_INTR_INFO        = 0x4016,
    VMCS_ENTRY_EXCEPTION_ERROR  = 0x4018,
    VMCS_ENTRY_INSN_LEN         = 0x401a,
    VMCS_PROC_CTLS2             = 0x401e,
    VMCS_INSN_ERROR             = 0x4400,   /* read-only from here */
    VMCS_EXIT_REASON            = 0x4402,
    VMCS_EXIT_INTR_INFO         = 0x4404,
    VMCS_EXIT_INTR_ERROR        = 0x4406,
    VMCS_IDT_VECTORING_INFO     = 0x4408,
    VMCS_IDT_VECTORING_ERROR    = 0x440a,
    VMCS_EXIT_INSN_LEN          = 0x440c,
    VMCS_EXIT_INSN_INFO         = 0x440e,
    VMCS_GUEST_ES_LIMIT         = 0x4800,
    VMCS_GUEST_CS_LIMIT         = 0x4802,
    VMCS_GUEST_SS_LIMIT         = 0x4804,
    VMCS_GUEST_DS_LIMIT         = 0x4806,
    VMCS_GUEST_FS_LIMIT         = 0x4808,
    VMCS_GUEST_GS_LIMIT         = 0x480a,
    VMCS_GUEST_LDTR_LIMIT       = 0x480c,
    VMCS_GUEST_TR_LIMIT         = 0x480e,
    VMCS_GUEST_GDTR_LIMIT       = 0x4810,
    VMCS_GUEST_IDTR_LIMIT       = 0x4812,
    VMCS_GUEST_ES_AR            = 0x4814,
    VMCS_GUEST_CS_AR            = 0x4816,
    VMCS_GUEST_SS_AR            = 0x4818,
    VMCS_GUEST_DS_AR            = 0x481a,
    VMCS_GUEST_FS_AR            = 0x481c,
    VMCS_GUEST_GS_AR            = 0x481e,
    VMCS_GUEST_LDTR_AR          = 0x4820,
    VMCS_GUEST_TR_AR            = 0x4822,
    VMCS_GUEST_INTERRUPTIBILITY = 0x4824,
    VMCS_GUEST_ACTIVITY         = 0x4826,
    VMCS_GUEST_SYSENTER_CS      = 0x482a,
    VMCS_PREEMPTION_TIMER       = 0x482e,
    VMCS_HOST_SYSENTER_CS       = 0x4c00,
};

enum vmcs_nat {
    VMCS_CR0_MASK               = 0x6000,
    VMCS_CR4_MASK               = 0x6002,
    VMCS_CR0_SHADOW             = 0x6004,
    VMCS_CR4_SHADOW             = 0x6006,
    VMCS_EXIT_QUALIFICATION     = 0x6400,   /* read-only */
    VMCS_GUEST_LINEAR_ADDR      = 0x640a,   /* read-only */
    VMCS_GUEST_CR0              = 0x6800,
    VMCS_GUEST_CR3              = 0x6802,
    VMCS_GUEST_CR4              = 0x6804,
    VMCS_GUEST_ES_BASE          = 0x6806,
    VMCS_GUEST_CS_BASE          = 0x6808,
    VMCS_GUEST_SS_BASE          = 0x680a,
    VMCS_GUEST_DS_BASE          = 0x680c,
    VMCS_GUEST_FS_BASE          = 0x680e,
    VMCS_GUEST_GS_BASE          = 0x6810,
    VMCS_GUEST_LDTR_BASE        = 0x6812,
    VMCS_GUEST_TR_BASE          = 0x6814,
    VMCS_GUEST_GDTR_BASE        = 0x6816,
    VMCS_GUEST_IDTR_BASE        = 0x6818,
    VMCS_GUEST_DR7              = 0x681a,
    VMCS_GUEST_RSP              = 0x681c,
    VMCS_GUEST_RIP              = 0x681e,
    VMCS_GUEST_RFLAGS           = 0x6820,
    VMCS_GUEST_PENDING_DBG      = 0x6822,
    VMCS_GUEST_SYSENTER_ESP     = 0x6824,
    VMCS_GUEST_SYSENTER_EIP     = 0x6826,
    VMCS_HOST_CR0               = 0x6c00,
    VMCS_HOST_CR3               = 0x6c02,
    VMCS_HOST_CR4               = 0x6c04,
    VMCS_HOST_FS_BASE           = 0x6c06,
    VMCS_HOST_GS_BASE           = 0x6c08,
    VMCS_HOST_TR_BASE           = 0x6c0a,
    VMCS_HOST_GDTR_BASE         = 0x6c0c,
    VMCS_HOST_IDTR_BASE         = 0x6c0e,
    VMCS_HOST_SYSENTER_ESP      = 0x6c10,
    VMCS_HOST_SYSENTER_EIP      = 0x6c12,
    VMCS_HOST_RSP               = 0x6c14,
    VMCS_HOST_RIP               = 0x6c16,
};

/* Pin-based controls (SDM 25.6.1) */
#define PIN_EXT_INTR_EXIT       (1U << 0)
#define PIN_NMI_EXIT            (1U << 3)
#define PIN_VIRTUAL_NMIS        (1U << 5)
#define PIN_PREEMPTION_TIMER    (1U << 6)
/* Primary processor-based controls (25.6.2) */
#define PROC_INTR_WINDOW_EXIT   (1U << 2)
#define PROC_TSC_OFFSET         (1U << 3)
#define PROC_HLT_EXIT           (1U << 7)
#define PROC_INVLPG_EXIT        (1U << 9)
#define PROC_MWAIT_EXIT         (1U << 10)
#define PROC_RDPMC_EXIT         (1U << 11)
#define PROC_RDTSC_EXIT         (1U << 12)
#define PROC_CR3_LOAD_EXIT      (1U << 15)
#define PROC_CR3_STORE_EXIT     (1U << 16)
#define PROC_CR8_LOAD_EXIT      (1U << 19)
#define PROC_CR8_STORE_EXIT     (1U << 20)
#define PROC_NMI_WINDOW_EXIT    (1U << 22)
#define PROC_MOV_DR_EXIT        (1U << 23)
#define PROC_UNCOND_IO_EXIT     (1U << 24)
#define PROC_IO_BITMAPS         (1U << 25)
#define PROC_MSR_BITMAPS        (1U << 28)
#define PROC_MONITOR_EXIT       (1U << 29)
#define PROC_PAUSE_EXIT         (1U << 30)
#define PROC_SECONDARY          (1U << 31)
/* Secondary processor-based controls (25.6.2) */
#define PROC2_EPT               (1U << 1)
#define PROC2_DESC_TABLE_EXIT   (1U << 2)
#define PROC2_RDTSCP            (1U << 3)
#define PROC2_VPID              (1U << 5)
#define PROC2_WBINVD_EXIT       (1U << 6)
#define PROC2_UNRESTRICTED      (1U << 7)
#define PROC2_INVPCID           (1U << 12)
#define PROC2_XSAVES            (1U << 20)
/* VM-exit controls (25.7.1) */
#define EXIT_SAVE_DEBUG         (1U << 2)
#define EXIT_HOST_64            (1U << 9)
#define EXIT_ACK_INTR           (1U << 15)
#define EXIT_SAVE_PAT           (1U << 18)
#define EXIT_LOAD_PAT           (1U << 19)
#define EXIT_SAVE_EFER          (1U << 20)
#define EXIT_LOAD_EFER          (1U << 21)
/* VM-entry controls (25.8.1) */
#define ENTRY_LOAD_DEBUG        (1U << 2)
#define ENTRY_GUEST_64          (1U << 9)
#define ENTRY_LOAD_PAT          (1U << 14)
#define ENTRY_LOAD_EFER         (1U << 15)

/* VM-entry / VM-exit interruption information (25.8.3, 26.9.2) */
#define INTR_INFO_VALID         (1U << 31)
#define INTR_INFO_ERROR_CODE    (1U << 11)
#define INTR_TYPE_EXT_INTR      (0U << 8)
#define INTR_TYPE_NMI           (2U << 8)
#define INTR_TYPE_HW_EXCEPTION  (3U << 8)
#define INTR_TYPE_SW_INTR       (4U << 8)
#define INTR_TYPE_MASK          (7U << 8)

/* Guest interruptibility state (25.4.2) */
#define INTERRUPTIBILITY_STI    (1U << 0)
#define INTERRUPTIBILITY_MOVSS  (1U << 1)
#define INTERRUPTIBILITY_NMI    (1U << 3)

/* Segment access rights in the VMCS (25.4.1) */
#define AR_UNUSABLE             (1U << 16)
#define AR_CODE32_FLAT          0xc09b      /* P, S, exec/read accessed, D, G */
#define AR_DATA32_FLAT          0xc093      /* P, S, read/write accessed, D, G */
#define AR_TSS32_BUSY           0x008b

/* Basic exit reasons (appendix C); bit 31 of the field: entry failed. */
enum vmx_exit_reason {
    EXIT_EXCEPTION_NMI          = 0,
    EXIT_EXTERNAL_INTR          = 1,
    EXIT_TRIPLE_FAULT           = 2,
    EXIT_INIT                   = 3,
    EXIT_SIPI                   = 4,
    EXIT_INTR_WINDOW            = 7,
    EXIT_NMI_WINDOW             = 8,
    EXIT_TASK_SWITCH            = 9,
    EXIT_CPUID                  = 10,
    EXIT_GETSEC                 = 11,
    EXIT_HLT                    = 12,
    EXIT_INVD                   = 13,
    EXIT_INVLPG                 = 14,
    EXIT_RDPMC                  = 15,
    EXIT_RDTSC                  = 16,
    EXIT_RSM                    = 17,
    EXIT_VMCALL                 = 18,
    EXIT_VMCLEAR                = 19,
    EXIT_VMLAUNCH               = 20,
    EXIT_VMPTRLD                = 21,
    EXIT_VMPTRST                = 22,
    EXIT_VMREAD                 = 23,
    EXIT_VMRESUME               = 24,
    EXIT_VMWRITE                = 25,
    EXIT_VMXOFF                 = 26,
    EXIT_VMXON                  = 27,
    EXIT_CR_ACCESS              = 28,
    EXIT_DR_ACCESS              = 29,
    EXIT_IO                     = 30,
    EXIT_RDMSR                  = 31,
    EXIT_WRMSR                  = 32,
    EXIT_INVALID_GUEST_STATE    = 33,
    EXIT_MSR_LOADING            = 34,
    EXIT_MWAIT                  = 36,
    EXIT_MTF                    = 37,
    EXIT_MONITOR                = 39,
    EXIT_PAUSE                  = 40,
    EXIT_MACHINE_CHECK          = 41,
    EXIT_TPR_BELOW_THRESHOLD    = 43,
    EXIT_APIC_ACCESS            = 44,
    EXIT_GDTR_IDTR              = 46,
    EXIT_LDTR_TR                = 47,
    EXIT_EPT_VIOLATION          = 48,
    EXIT_EPT_MISCONFIG          = 49,
    EXIT_INVEPT                 = 50,
    EXIT_RDTSCP                 = 51,
    EXIT_PREEMPTION_TIMER       = 52,
    EXIT_INVVPID                = 53,
    EXIT_WBINVD                 = 54,
    EXIT_XSETBV                 = 55,
    EXIT_RDRAND                 = 57,
    EXIT_INVPCID                = 58,
    EXIT_VMFUNC                 = 59,
    EXIT_RDSEED                 = 61,
    EXIT_XSAVES                 = 63,
    EXIT_XRSTORS                = 64,
};
#define EXIT_REASON_BASIC(r)        ((r) & 0xffff)
#define EXIT_REASON_ENTRY_FAILED    (1U << 31)

/* I/O exit qualification (27.2.1 table 27-5) */
#define IO_QUAL_SIZE(q)         ((unsigned)((q) & 7) + 1)
#define IO_QUAL_IN              (1UL << 3)
#define IO_QUAL_STRING          (1UL << 4)
#define IO_QUAL_REP             (1UL << 5)
#define IO_QUAL_PORT(q)         ((uint16_t)((q) >> 16))
/* EPT violation exit qualification (table 27-7) */
#define EPT_QUAL_READ           (1UL << 0)
#define EPT_QUAL_WRITE          (1UL << 1)
#define EPT_QUAL_FETCH          (1UL << 2)
#define EPT_QUAL_LINEAR_VALID   (1UL << 7)
#define EPT_QUAL_FINAL          (1UL << 8)  /* with bit 7: the access itself, not a table walk */
/* Control-register access qualification (table 27-3) */
#define CR_QUAL_CR(q)           ((unsigned)(q) & 15)
#define CR_QUAL_TYPE(q)         ((unsigned)((q) >> 4) & 3)   /* 0 mov to, 1 mov from, 2 clts, 3 lmsw */
#define CR_QUAL_GPR(q)          ((unsigned)((q) >> 8) & 15)
#define CR_QUAL_LMSW_DATA(q)    ((uint16_t)((q) >> 16))

/* VMX instructions. Each reports failure through RFLAGS (SDM 31.2): CF set
 * = VMfailInvalid (no current VMCS), ZF set = VMfailValid (the reason is in
 * VMCS_INSN_ERROR). These return 0, or -1 on either failure. */
#define VMX_FAIL_ASM    "setna %b[fail]\n\t"        /* CF or ZF */

static inline int vmx_vmxon(paddr_t region)
{
    uint8_t fail;
    __asm__ __volatile__("vmxon %[pa]\n\t" VMX_FAIL_ASM
                         : [fail] "=qm"(fail) : [pa] "m"(region) : "cc", "memory");
    return fail ? -1 : 0;
}

static inline int vmx_vmclear(paddr_t vmcs)
{
    uint8_t fail;
    __asm__ __volatile__("vmclear %[pa]\n\t" VMX_FAIL_ASM
                         : [fail] "=qm"(fail) : [pa] "m"(vmcs) : "cc", "memory");
    return fail ? -1 : 0;
}

static inline int vmx_vmptrld(paddr_t vmcs)
{
    uint8_t fail;
    __asm__ __volatile__("vmptrld %[pa]\n\t" VMX_FAIL_ASM
                         : [fail] "=qm"(fail) : [pa] "m"(vmcs) : "cc", "memory");
    return fail ? -1 : 0;
}

static inline paddr_t vmx_vmptrst(void)
{
    paddr_t pa;
    __asm__ __volatile__("vmptrst %0" : "=m"(pa) : : "memory");
    return pa;
}

/* Raw access by encoding; use the typed accessors below. A failed VMWRITE
 * is a bug in Keel (a field the CPU lacks, or a read-only one): it is
 * counted in vmx_write_errors, which vmcs_setup and the self-tests check. */
extern unsigned long vmx_write_errors;

static inline uint64_t vmx_vmread(unsigned long field)
{
    uint64_t v;
    __asm__ __volatile__("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
    return v;
}

static inline void vmx_vmwrite(unsigned long field, uint64_t v)
{
    uint8_t fail;
    __asm__ __volatile__("vmwrite %[v], %[f]\n\t" VMX_FAIL_ASM
                         : [fail] "=qm"(fail) : [v] "rm"(v), [f] "r"(field) : "cc");
    if (__builtin_expect(fail, 0))
        vmx_write_errors++;
}

static inline uint16_t vmcs_read16(enum vmcs16 f) { return (uint16_t)vmx_vmread(f); }
static inline uint32_t vmcs_read32(enum vmcs32 f) { return (uint32_t)vmx_vmread(f); }
static inline uint64_t vmcs_read64(enum vmcs64 f) { return vmx_vmread(f); }
static inline uint64_t vmcs_readn(enum vmcs_nat f) { return vmx_vmread(f); }
static inline void vmcs_write16(enum vmcs16 f, uint16_t v) { vmx_vmwrite(f, v); }
static inline void vmcs_write32(enum vmcs32 f, uint32_t v) { vmx_vmwrite(f, v); }
static inline void vmcs_write64(enum vmcs64 f, uint64_t v) { vmx_vmwrite(f, v); }
static inline void vmcs_writen(enum vmcs_nat f, uint64_t v) { vmx_vmwrite(f, v); }

#endif
