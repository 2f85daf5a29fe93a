/* SVM VMCB clean bits (AMD APM vol. 2, 15.15 "VMCB State Caching"; CPUID
 * Fn8000_000A EDX bit 5). VMRUN may keep parts of a VMCB cached in the CPU
 * and reload a group of fields from memory only when its bit in the VMCB's
 * clean field (offset 0xC0) is 0. A hypervisor that writes a cached field
 * must clear that field's bit before the next VMRUN, and must clear them all
 * when the CPU may hold another VMCB's copy, or none.
 *
 * Pure code (host unit test tests/unit/test_vmcb_clean.c): the group of each
 * VMCB offset and the clean mask for one VMRUN. The SVM backend writes
 * cached fields only through vmcb_set()/vmcb_dirty_at() (arch/x86_64/svm/
 * vmcb.h), which mark the group found here. */
#ifndef KEEL_VMCB_CLEAN_H
#define KEEL_VMCB_CLEAN_H

#include <keel/types.h>

/* The groups (APM vol. 2, table "VMCB Clean Field"; one bit each). */
#define VMCB_CLEAN_I     (1U << 0)      /* intercept vectors, TSC offset, pause filter */
#define VMCB_CLEAN_IOPM  (1U << 1)      /* IOPM_BASE_PA, MSRPM_BASE_PA */
#define VMCB_CLEAN_ASID  (1U << 2)      /* guest ASID */
#define VMCB_CLEAN_TPR   (1U << 3)      /* V_TPR, V_IRQ, V_INTR_* (0x60-0x67) */
#define VMCB_CLEAN_NP    (1U << 4)      /* NP_ENABLE, N_CR3, G_PAT */
#define VMCB_CLEAN_CRX   (1U << 5)      /* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX   (1U << 6)      /* DR6, DR7 */
#define VMCB_CLEAN_DT    (1U << 7)      /* GDTR, IDTR */
#define VMCB_CLEAN_SEG   (1U << 8)      /* ES, CS, SS, DS, CPL */
#define VMCB_CLEAN_CR2   (1U << 9)      /* CR2 */
#define VMCB_CLEAN_LBR   (1U << 10)     /* DBGCTL, last branch / exception from/to */
#define VMCB_CLEAN_AVIC  (1U << 11)     /* AVIC APIC_BAR, backing page, tables */
#define VMCB_CLEAN_CET   (1U << 12)     /* S_CET, SSP, ISST_ADDR */
#define VMCB_CLEAN_DEFINED 0x1fffU      /* every group above */

/* The groups Keel ever marks clean: 0-9, which every CPU with clean bits
 * has. Keel writes no LBR, AVIC or CET field; leaving those bits 0 makes
 * the CPU reload fields Keel never changes, which costs nearly nothing and
 * never sets a bit the CPU might not define. */
#define VMCB_CLEAN_USED  0x3ffU

/* The group of the VMCB field at byte offset `off` (APM vol. 2 appendix B
 * for the offsets). 0: VMRUN never caches it (it reads it every time, or
 * it is an output, or VMLOAD loads it: FS, GS, TR, LDTR, KERNEL_GS_BASE,
 * STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*). An offset not known here returns
 * every group: a write there can never leave a stale copy. */
static inline uint32_t vmcb_clean_group(size_t off)
{
    switch (off) {
    case 0x000 ... 0x017: return VMCB_CLEAN_I;      /* CR/DR/exception/misc intercepts */
    case 0x03c ... 0x03f: return VMCB_CLEAN_I;      /* pause filter threshold, count */
    case 0x040 ... 0x04f: return VMCB_CLEAN_IOPM;
    case 0x050 ... 0x057: return VMCB_CLEAN_I;      /* TSC offset */
    case 0x058 ... 0x05b: return VMCB_CLEAN_ASID;
    case 0x05c:           return 0;                 /* TLB_CONTROL: read at every VMRUN */
    case 0x060 ... 0x067: return VMCB_CLEAN_TPR;
    case 0x068 ... 0x06f: return 0;                 /* interrupt shadow */
    case 0x070 ... 0x08f: return 0;                 /* EXITCODE, EXITINFO1/2, EXITINTINFO */
    case 0x090 ... 0x097: return VMCB_CLEAN_NP;     /* NP_ENABLE */
    case 0x098 ... 0x09f: return VMCB_CLEAN_AVIC;   /* AVIC_APIC_BAR */
    case 0x0a8 ... 0x0af: return 0;                 /* EVENTINJ */
    case 0x0b0 ... 0x0b7: return VMCB_CLEAN_NP;     /* N_CR3 */
    case 0x0c0 ... 0x0c7: return 0;                 /* the clean field itself */
    case 0x0c8 ... 0x0df: return 0;                 /* NRIP, guest instruction bytes */
    case 0x0e0 ... 0x0e7: return VMCB_CLEAN_AVIC;   /* backing page */
    case 0x0f0 ... 0x0ff: return VMCB_CLEAN_AVIC;   /* logical, physical tables */
    case 0x400 ... 0x43f: return VMCB_CLEAN_SEG;    /* ES, CS, SS, DS */
    case 0x440 ... 0x45f: return 0;                 /* FS, GS: VMLOAD */
    case 0x460 ... 0x46f: return VMCB_CLEAN_DT;     /* GDTR */
    case 0x470 ... 0x47f: return 0;                 /* LDTR: VMLOAD */
    case 0x480 ... 0x48f: return VMCB_CLEAN_DT;     /* IDTR */
    case 0x490 ... 0x49f: return 0;                 /* TR: VMLOAD */
    case 0x4cb:           return VMCB_CLEAN_SEG;    /* CPL */
    case 0x4d0 ... 0x4d7: return VMCB_CLEAN_CRX;    /* EFER */
    case 0x548 ... 0x55f: return VMCB_CLEAN_CRX;    /* CR4, CR3, CR0 */
    case 0x560 ... 0x56f: return VMCB_CLEAN_DRX;    /* DR7, DR6 */
    case 0x570 ... 0x57f: return 0;                 /* RFLAGS, RIP */
    case 0x5d8 ... 0x5df: return 0;                 /* RSP */
    case 0x5e0 ... 0x5f7: return VMCB_CLEAN_CET;    /* S_CET, SSP, ISST_ADDR */
    case 0x5f8 ... 0x5ff: return 0;                 /* RAX */
    case 0x600 ... 0x63f: return 0;                 /* STAR..SYSENTER_EIP: VMLOAD */
    case 0x640 ... 0x647: return VMCB_CLEAN_CR2;
    case 0x668 ... 0x66f: return VMCB_CLEAN_NP;     /* G_PAT */
    case 0x670 ... 0x697: return VMCB_CLEAN_LBR;
    default:              return VMCB_CLEAN_DEFINED;
    }
}

/* What one VMCB's clean bits depend on, kept per vCPU. */
struct vmcb_clean {
    uint32_t dirty;         /* groups written since the last VMRUN */
    int last_cpu;           /* CPU of the last VMRUN; -1: none, or state reloaded */
};

/* The next VMRUN reloads everything, whatever was marked: for a new VMCB
 * (the CPU holds nothing of it, or a freed one's copy at the same address)
 * and after guest state loaded from outside (VCPUOP_initialise, STARTUP). */
void vmcb_clean_forget(struct vmcb_clean *c);

static inline void vmcb_clean_mark(struct vmcb_clean *c, uint32_t groups)
{
    c->dirty |= groups;
}

/* The clean field for a VMRUN of `vmcb` on `cpu` now. *cpu_last is that
 * CPU's last VMRUN'd VMCB (NULL: none). `supported` is VMCB_CLEAN_USED
 * when the CPU has clean bits, 0 when not. Every group is dirty (0) when
 * the CPU lacks the feature, when the VMCB last ran elsewhere or never,
 * or when this CPU ran another VMCB since (its cache may then hold that
 * one; being conservative costs one full reload). Then records this VMRUN:
 * nothing dirty, last ran here, the CPU's last VMCB is this one. */
uint32_t vmcb_clean_for_entry(struct vmcb_clean *c, int cpu, const void **cpu_last,
                              const void *vmcb, uint32_t supported);

#endif
