/* The AMD SVM virtual machine control block (AMD APM vol. 2, appendix B:
 * "Layout of VMCB"; exit codes: appendix C). One 4 KiB page per vCPU:
 * control area at 0x000, state-save area at 0x400. */
#ifndef KEEL_SVM_VMCB_H
#define KEEL_SVM_VMCB_H

#include <keel/types.h>
#include <keel/compiler.h>
#include <keel/vcpu.h>
#include <keel/vmcb_clean.h>

struct vmcb_seg {
    uint16_t sel, attr;
    uint32_t limit;
    uint64_t base;
};

struct vmcb {
    /* ---- control area ---- */
    uint32_t intercept_cr;          /* 0x000: bits 0-15 reads, 16-31 writes */
    uint32_t intercept_dr;          /* 0x004 */
    uint32_t intercept_exc;         /* 0x008: one bit per vector */
    uint32_t intercept1;            /* 0x00c: SVM_I1_* */
    uint32_t intercept2;            /* 0x010: SVM_I2_* */
    uint32_t intercept3;            /* 0x014 */
    uint8_t  res018[0x3c - 0x18];
    uint16_t pause_filter_thresh;   /* 0x03c */
    uint16_t pause_filter_count;    /* 0x03e */
    uint64_t iopm_base_pa;          /* 0x040 */
    uint64_t msrpm_base_pa;         /* 0x048 */
    uint64_t tsc_offset;            /* 0x050 */
    uint32_t asid;                  /* 0x058 */
    uint8_t  tlb_control;           /* 0x05c: SVM_TLB_* */
    uint8_t  res05d[3];
    uint64_t vintr;                 /* 0x060: V_TPR, V_IRQ bit 8, V_INTR_MASKING bit 24 */
    uint64_t int_state;             /* 0x068: bit 0 interrupt shadow */
    uint64_t exitcode;              /* 0x070 */
    uint64_t exitinfo1;             /* 0x078 */
    uint64_t exitinfo2;             /* 0x080 */
    uint64_t exitintinfo;           /* 0x088 */
    uint64_t np_ctrl;               /* 0x090: bit 0 nested paging */
    uint64_t res098[2];
    uint64_t eventinj;              /* 0x0a8 */
    uint64_t n_cr3;                 /* 0x0b0 */
    uint64_t virt_ext;              /* 0x0b8 */
    uint32_t clean;                 /* 0x0c0 */
    uint32_t res0c4;
    uint64_t nrip;                  /* 0x0c8 */
    uint8_t  insn_len;              /* 0x0d0 */
    uint8_t  insn_bytes[15];
    uint8_t  res0e0[0x400 - 0xe0];
    /* ---- state-save area ---- */
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;   /* 0x400-0x49f */
    uint8_t  res4a0[0x4cb - 0x4a0];
    uint8_t  cpl;                   /* 0x4cb */
    uint32_t res4cc;
    uint64_t efer;                  /* 0x4d0 */
    uint8_t  res4d8[0x548 - 0x4d8];
    uint64_t cr4;                   /* 0x548 */
    uint64_t cr3;
    uint64_t cr0;
    uint64_t dr7;
    uint64_t dr6;
    uint64_t rflags;
    uint64_t rip;                   /* 0x578 */
    uint8_t  res580[0x5d8 - 0x580];
    uint64_t rsp;                   /* 0x5d8 */
    uint64_t s_cet, ssp, isst;
    uint64_t rax;                   /* 0x5f8 */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2;                   /* 0x640 */
    uint64_t res648[4];
    uint64_t g_pat;                 /* 0x668 */
    uint8_t  res670[0x1000 - 0x670];
};
BUILD_BUG_ON(sizeof(struct vmcb) != 0x1000);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, eventinj) != 0xa8);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, efer) != 0x4d0);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, rip) != 0x578);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, rsp) != 0x5d8);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, rax) != 0x5f8);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, cr2) != 0x640);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, g_pat) != 0x668);
/* The offsets keel/vmcb_clean.h groups by (APM vol. 2 appendix B). */
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, pause_filter_count) != 0x3e);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, tsc_offset) != 0x50);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, asid) != 0x58);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, vintr) != 0x60);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, np_ctrl) != 0x90);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, n_cr3) != 0xb0);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, clean) != 0xc0);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, gdtr) != 0x460);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, idtr) != 0x480);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, tr) != 0x490);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, cpl) != 0x4cb);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, cr4) != 0x548);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, dr7) != 0x560);
BUILD_BUG_ON(__builtin_offsetof(struct vmcb, star) != 0x600);

/* intercept1 (vector 3 of the control area) */
#define SVM_I1_INTR         (1U << 0)
#define SVM_I1_NMI          (1U << 1)
#define SVM_I1_SMI          (1U << 2)
#define SVM_I1_INIT         (1U << 3)
#define SVM_I1_VINTR        (1U << 4)
#define SVM_I1_CPUID        (1U << 18)
#define SVM_I1_INVD         (1U << 22)
#define SVM_I1_PAUSE        (1U << 23)
#define SVM_I1_HLT          (1U << 24)
#define SVM_I1_INVLPGA      (1U << 26)
#define SVM_I1_IOIO         (1U << 27)
#define SVM_I1_MSR          (1U << 28)
#define SVM_I1_SHUTDOWN     (1U << 31)
/* intercept2 */
#define SVM_I2_VMRUN        (1U << 0)
#define SVM_I2_VMMCALL      (1U << 1)
#define SVM_I2_VMLOAD       (1U << 2)
#define SVM_I2_VMSAVE       (1U << 3)
#define SVM_I2_STGI         (1U << 4)
#define SVM_I2_CLGI         (1U << 5)
#define SVM_I2_SKINIT       (1U << 6)
#define SVM_I2_MONITOR      (1U << 10)
#define SVM_I2_MWAIT        (1U << 11)
#define SVM_I2_MWAIT_COND   (1U << 12)
#define SVM_I2_XSETBV       (1U << 13)

#define SVM_TLB_NONE        0
#define SVM_TLB_FLUSH_ALL   1       /* every ASID's entries */
#define SVM_TLB_FLUSH_ASID  3       /* this guest's only (needs FlushByAsid) */

#define SVM_VINTR_IRQ           (1UL << 8)
#define SVM_VINTR_IGN_TPR       (1UL << 20)
#define SVM_VINTR_MASKING       (1UL << 24)

/* EVENTINJ / EXITINTINFO */
#define SVM_EVT_VALID           (1UL << 31)
#define SVM_EVT_EV              (1UL << 11)     /* error code valid */
#define SVM_EVT_TYPE_SHIFT      8
#define SVM_EVT_INTR            0
#define SVM_EVT_NMI             2
#define SVM_EVT_EXC             3
#define SVM_EVT_SOFT            4

/* Exit codes (APM vol. 2 appendix C) */
#define SVM_EXIT_EXC_BASE       0x40
#define SVM_EXIT_INTR           0x60
#define SVM_EXIT_NMI            0x61
#define SVM_EXIT_SMI            0x62
#define SVM_EXIT_INIT           0x63
#define SVM_EXIT_VINTR          0x64
#define SVM_EXIT_CPUID          0x72
#define SVM_EXIT_INVD           0x76
#define SVM_EXIT_PAUSE          0x77
#define SVM_EXIT_HLT            0x78
#define SVM_EXIT_INVLPGA        0x7a
#define SVM_EXIT_IOIO           0x7b
#define SVM_EXIT_MSR            0x7c
#define SVM_EXIT_SHUTDOWN       0x7f
#define SVM_EXIT_VMRUN          0x80
#define SVM_EXIT_VMMCALL        0x81
#define SVM_EXIT_VMLOAD         0x82
#define SVM_EXIT_VMSAVE         0x83
#define SVM_EXIT_STGI           0x84
#define SVM_EXIT_CLGI           0x85
#define SVM_EXIT_SKINIT         0x86
#define SVM_EXIT_MONITOR        0x8a
#define SVM_EXIT_MWAIT          0x8b
#define SVM_EXIT_MWAIT_COND     0x8c
#define SVM_EXIT_XSETBV         0x8d
#define SVM_EXIT_NPF            0x400
#define SVM_EXIT_INVALID        ((uint64_t)-1)

#define MSR_VM_CR               0xc0010114
#define MSR_VM_HSAVE_PA         0xc0010117
#define VM_CR_SVMDIS            (1UL << 4)
#define EFER_SVME               (1UL << 12)

/* Per-vCPU SVM state (v->hvm_vendor_state). */
struct svm_vcpu {
    struct vmcb *vmcb;
    paddr_t vmcb_pa;
    uint8_t *msrpm;                 /* 8 KiB: 2 bits per MSR (read, write) */
    uint8_t *iopm;                  /* 12 KiB: 1 bit per port */
    uint32_t asid;
    uint64_t asid_gen;              /* the CPU generation the ASID belongs to */
    int last_cpu;                   /* -1: never ran */
    bool flush_pending;             /* flush_guest_tlb: new ASID before next entry */
    struct vmcb_clean clean;        /* which cached groups were written (clean bits) */
    uint8_t *clean_snap;            /* svm_clean_check: the VMCB at the last #VMEXIT */
    bool clean_snap_valid;
};

/* Every write to a VMCB field that VMRUN may cache (keel/vmcb_clean.h) goes
 * through one of these two, so its clean bit is cleared for the next VMRUN.
 * Fields never cached (RIP, RSP, RFLAGS, RAX, EVENTINJ, TLB_CONTROL, the
 * interrupt shadow, the VMLOAD state) may be written directly. */
#define vmcb_set(s, field, val) do {                                            \
        (s)->vmcb->field = (val);                                               \
        vmcb_clean_mark(&(s)->clean,                                            \
                        vmcb_clean_group(__builtin_offsetof(struct vmcb, field))); \
    } while (0)

/* The field at `p` inside s's VMCB was (or is about to be) written. */
static inline void vmcb_dirty_at(struct svm_vcpu *s, const void *p)
{
    vmcb_clean_mark(&s->clean, vmcb_clean_group((size_t)((const char *)p -
                                                         (const char *)s->vmcb)));
}

/* Per-CPU facts the backend found (svm_cpu.c). */
extern bool svm_has_nrips, svm_has_flush_by_asid, svm_has_clean_bits,
            svm_has_decode_assists, svm_has_pause_filter, svm_has_pause_thresh;
unsigned svm_insn_bytes(struct vcpu *v, uint8_t *buf);
extern uint32_t svm_nr_asids;
/* This CPU's host save area (VMSAVE/VMLOAD) and ASID allocator. */
paddr_t svm_host_area(void);
/* Picks v's ASID for an entry on this CPU; sets vmcb->tlb_control. */
void svm_asid_for_entry(struct svm_vcpu *s);
/* The clean field for s's VMRUN on this CPU now (0 without clean bits). */
uint32_t svm_clean_for_entry(struct svm_vcpu *s);
/* svm_clean_check.c: the boot option, and its two hooks around VMRUN. */
extern bool svm_clean_check;
void svm_clean_check_entry(struct svm_vcpu *s, uint32_t clean);
void svm_clean_check_exit(struct svm_vcpu *s);

/* svm_entry.S: VMSAVE host, VMLOAD guest, VMRUN, VMSAVE guest, VMLOAD
 * host, with GPRs from/to regs (except RAX/RSP: the VMCB's). */
struct cpu_regs;
void svm_enter(paddr_t vmcb, struct cpu_regs *regs, paddr_t host_area);

static inline struct svm_vcpu *svm_of(struct vcpu *v)
{
    return v->hvm_vendor_state;
}

#endif
