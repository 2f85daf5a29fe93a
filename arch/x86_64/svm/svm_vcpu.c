/* SVM per vCPU: the VMCB with its intercepts, the MSR and I/O permission
 * maps, and the vendor-neutral accessors (keel/hvm_vendor.h). A new VMCB
 * holds the PVH 32-bit entry state (docs/misc/pvh.pandoc in Xen: protected
 * mode, paging off, flat 4 GiB CS/DS/ES/SS); the builder sets RIP and RBX.
 * VMCB fields VMRUN may cache are written through vmcb_set/vmcb_dirty_at
 * (vmcb.h) so their clean bits are cleared; a new VMCB is all dirty. */
#include "vmcb.h"
#include <keel/alloc.h>
#include <keel/errno.h>
#include <keel/hvm_vendor.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/traps.h>
#include <keel/vcpu.h>

#define MSRPM_ORDER 1               /* 8 KiB */
#define IOPM_ORDER  2               /* 12 KiB used of 16 */

#define ATTR_CODE32 0xc9b           /* P, S, type 0xb (code, accessed), D, G */
#define ATTR_DATA32 0xc93           /* P, S, type 0x3 (data rw, accessed), B, G */
#define ATTR_TSS32  0x08b           /* P, busy 32-bit TSS */
#define ATTR_LDT    0x082           /* P, LDT */

/* Pause filter (APM vol. 2, 15.14.4-5): a PAUSE exits only after this many
 * in one run, and with the threshold only when each came within this many
 * cycles of the one before (a spin loop), so a guest spinning on a lock
 * its descheduled sibling holds gives the CPU away (hvm_exit.c pause_exit)
 * while occasional PAUSEs never exit. */
#define PAUSE_FILTER_COUNT  3000
#define PAUSE_FILTER_THRESH 1000

/* Writes the whole VMCB directly: the caller marks it all dirty. */
static void set_initial_state(struct vmcb *vm)
{
    vm->intercept_exc = 0;
    vm->intercept1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_CPUID |
                     SVM_I1_INVD | SVM_I1_HLT | SVM_I1_INVLPGA | SVM_I1_IOIO | SVM_I1_MSR |
                     SVM_I1_SHUTDOWN;
    /* VMRUN must be intercepted (APM 15.5.1: else the VMRUN fails). */
    vm->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
                     SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_MONITOR |
                     SVM_I2_MWAIT | SVM_I2_MWAIT_COND | SVM_I2_XSETBV;
    /* Guest RFLAGS.IF masks virtual interrupts only; the host's IF (on
     * during the run) decides about physical ones, which exit. */
    vm->vintr = SVM_VINTR_MASKING;
    if (svm_has_pause_filter) {
        vm->intercept1 |= SVM_I1_PAUSE;
        vm->pause_filter_count = PAUSE_FILTER_COUNT;
        if (svm_has_pause_thresh)
            vm->pause_filter_thresh = PAUSE_FILTER_THRESH;
    }
    vm->cs = (struct vmcb_seg){ .sel = 0x10, .attr = ATTR_CODE32, .limit = 0xffffffff };
    struct vmcb_seg data = { .sel = 0x18, .attr = ATTR_DATA32, .limit = 0xffffffff };
    vm->ds = vm->es = vm->ss = data;
    vm->fs = vm->gs = data;
    vm->tr = (struct vmcb_seg){ .sel = 0x20, .attr = ATTR_TSS32, .limit = 0x67 };
    vm->ldtr = (struct vmcb_seg){ .attr = ATTR_LDT, .limit = 0xffff };
    vm->gdtr = (struct vmcb_seg){ .limit = 0xffff };
    vm->idtr = (struct vmcb_seg){ .limit = 0xffff };
    vm->cpl = 0;
    vm->efer = EFER_SVME;           /* must stay set while the guest runs */
    vm->cr0 = 0x11;                 /* PE, ET */
    vm->cr4 = 0;
    vm->cr3 = 0;
    vm->dr6 = 0xffff0ff0;
    vm->dr7 = 0x400;
    vm->rflags = 2;
    vm->g_pat = 0x0007040600070406UL;   /* the power-on PAT */
}

static int svm_vcpu_create(struct vcpu *v)
{
    struct svm_vcpu *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->vmcb = alloc_pages(0);
    s->msrpm = alloc_pages(MSRPM_ORDER);
    s->iopm = alloc_pages(IOPM_ORDER);
    if (!s->vmcb || !s->msrpm || !s->iopm) {
        if (s->vmcb)
            free_pages(s->vmcb, 0);
        if (s->msrpm)
            free_pages(s->msrpm, MSRPM_ORDER);
        if (s->iopm)
            free_pages(s->iopm, IOPM_ORDER);
        kfree(s);
        return -ENOMEM;
    }
    memset(s->vmcb, 0, PAGE_SIZE);
    memset(s->msrpm, 0xff, PAGE_SIZE << MSRPM_ORDER);      /* intercept every MSR */
    memset(s->iopm, 0xff, PAGE_SIZE << IOPM_ORDER);        /* and every port */
    s->vmcb_pa = virt_to_phys(s->vmcb);
    s->vmcb->msrpm_base_pa = virt_to_phys(s->msrpm);
    s->vmcb->iopm_base_pa = virt_to_phys(s->iopm);
    s->last_cpu = -1;
    set_initial_state(s->vmcb);
    vmcb_clean_forget(&s->clean);   /* a freed VMCB's copy may be cached at this address */
    if (svm_clean_check)
        s->clean_snap = alloc_pages(0); /* none: no check for this vCPU */
    v->hvm_vendor_state = s;
    return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    if (!s)
        return;
    free_pages(s->vmcb, 0);
    free_pages(s->msrpm, MSRPM_ORDER);
    free_pages(s->iopm, IOPM_ORDER);
    if (s->clean_snap)
        free_pages(s->clean_snap, 0);
    kfree(s);
    v->hvm_vendor_state = NULL;
}

static void svm_vcpu_load(struct vcpu *v)
{
    (void)v;                        /* the ASID check at entry covers a move */
}

static void svm_vcpu_put(struct vcpu *v)
{
    (void)v;
}

static struct vmcb_seg *seg_of(struct vmcb *vm, enum hvm_seg_id id)
{
    switch (id) {
    case HVM_SEG_ES: return &vm->es;
    case HVM_SEG_CS: return &vm->cs;
    case HVM_SEG_SS: return &vm->ss;
    case HVM_SEG_DS: return &vm->ds;
    case HVM_SEG_FS: return &vm->fs;
    case HVM_SEG_GS: return &vm->gs;
    case HVM_SEG_LDTR: return &vm->ldtr;
    case HVM_SEG_TR: return &vm->tr;
    case HVM_SEG_GDTR: return &vm->gdtr;
    case HVM_SEG_IDTR: return &vm->idtr;
    default: return NULL;
    }
}

static void svm_get_seg(struct vcpu *v, enum hvm_seg_id id, struct hvm_seg *out)
{
    struct vmcb_seg *s = seg_of(svm_of(v)->vmcb, id);
    *out = s ? (struct hvm_seg){ s->sel, s->attr, s->limit, s->base } : (struct hvm_seg){ 0 };
}

/* State written into a vCPU that is not the one running here is a load
 * from outside (VCPUOP_initialise, STARTUP): reload everything. */
static void note_outside_write(struct vcpu *v)
{
    if (v != current_vcpu())
        vmcb_clean_forget(&svm_of(v)->clean);
}

static void svm_set_seg(struct vcpu *v, enum hvm_seg_id id, const struct hvm_seg *in)
{
    struct svm_vcpu *sv = svm_of(v);
    struct vmcb_seg *s = seg_of(sv->vmcb, id);
    if (!s)
        return;
    note_outside_write(v);
    *s = (struct vmcb_seg){ in->sel, in->attr, in->limit, in->base };
    vmcb_dirty_at(sv, s);
    if (id == HVM_SEG_SS)
        vmcb_set(sv, cpl, (in->attr >> 5) & 3);    /* the VMCB's CPL follows SS.DPL */
}

static uint64_t *reg_of(struct vmcb *vm, enum hvm_reg r)
{
    switch (r) {
    case HVM_REG_CR0: return &vm->cr0;
    case HVM_REG_CR2: return &vm->cr2;
    case HVM_REG_CR3: return &vm->cr3;
    case HVM_REG_CR4: return &vm->cr4;
    case HVM_REG_EFER: return &vm->efer;
    case HVM_REG_DR6: return &vm->dr6;
    case HVM_REG_DR7: return &vm->dr7;
    case HVM_REG_PAT: return &vm->g_pat;
    case HVM_REG_STAR: return &vm->star;
    case HVM_REG_LSTAR: return &vm->lstar;
    case HVM_REG_CSTAR: return &vm->cstar;
    case HVM_REG_SFMASK: return &vm->sfmask;
    case HVM_REG_KERNEL_GS_BASE: return &vm->kernel_gs_base;
    case HVM_REG_SYSENTER_CS: return &vm->sysenter_cs;
    case HVM_REG_SYSENTER_ESP: return &vm->sysenter_esp;
    case HVM_REG_SYSENTER_EIP: return &vm->sysenter_eip;
    case HVM_REG_INTR_SHADOW: return &vm->int_state;
    default: return NULL;
    }
}

static uint64_t svm_get_reg(struct vcpu *v, enum hvm_reg r)
{
    struct vmcb *vm = svm_of(v)->vmcb;
    uint64_t *p = reg_of(vm, r);
    if (!p)
        return 0;
    if (r == HVM_REG_EFER)
        return *p & ~EFER_SVME;         /* the guest's view */
    if (r == HVM_REG_INTR_SHADOW)
        return *p & 1;
    return *p;
}

static void svm_set_reg(struct vcpu *v, enum hvm_reg r, uint64_t val)
{
    struct svm_vcpu *s = svm_of(v);
    uint64_t *p = reg_of(s->vmcb, r);
    if (!p)
        return;
    if (r == HVM_REG_INTR_SHADOW) {     /* never cached; written on every step over an insn */
        *p = (*p & ~1UL) | (val & 1);
        return;
    }
    note_outside_write(v);
    vmcb_dirty_at(s, p);
    if (r == HVM_REG_EFER)
        val |= EFER_SVME;
    *p = val;
}

static bool svm_can_inject(struct vcpu *v, const struct cpu_regs *regs)
{
    struct vmcb *vm = svm_of(v)->vmcb;
    return (regs->rflags & RFLAGS_IF) && !(vm->int_state & 1) && !(vm->eventinj & SVM_EVT_VALID);
}

static void svm_inject(struct vcpu *v, const struct hvm_event *ev)
{
    static const uint8_t type[] = {
        [HVM_EVENT_EXTINT] = SVM_EVT_INTR, [HVM_EVENT_NMI] = SVM_EVT_NMI,
        [HVM_EVENT_EXCEPTION] = SVM_EVT_EXC, [HVM_EVENT_SWINT] = SVM_EVT_SOFT,
    };
    uint64_t e = ev->vector | ((uint64_t)type[ev->type] << SVM_EVT_TYPE_SHIFT) | SVM_EVT_VALID;
    if (ev->has_error)
        e |= SVM_EVT_EV | ((uint64_t)ev->error << 32);
    svm_of(v)->vmcb->eventinj = e;     /* never cached: no clean bit */
}

/* A virtual interrupt request (V_IRQ, priority over any TPR) that the
 * guest takes when it can: the VINTR intercept fires instead of delivery. */
static void svm_set_intr_window(struct vcpu *v, bool on)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *vm = s->vmcb;
    /* Asked before every entry: unchanged, it costs no write (and no
     * reload of two cached groups on a CPU with clean bits). */
    if (!!(vm->intercept1 & SVM_I1_VINTR) == on)
        return;
    if (on) {
        vmcb_set(s, vintr, vm->vintr | SVM_VINTR_IRQ | SVM_VINTR_IGN_TPR);
        vmcb_set(s, intercept1, vm->intercept1 | SVM_I1_VINTR);
    } else {
        vmcb_set(s, vintr, vm->vintr & ~(SVM_VINTR_IRQ | SVM_VINTR_IGN_TPR));
        vmcb_set(s, intercept1, vm->intercept1 & ~SVM_I1_VINTR);
    }
}

static void svm_set_npt_root(struct vcpu *v, paddr_t root)
{
    struct svm_vcpu *s = svm_of(v);
    vmcb_set(s, n_cr3, root);
    vmcb_set(s, np_ctrl, s->vmcb->np_ctrl | 1);
    s->flush_pending = true;
}

static void svm_flush_guest_tlb(struct vcpu *v)
{
    svm_of(v)->flush_pending = true;
}

static void svm_set_tsc_offset(struct vcpu *v, int64_t off)
{
    vmcb_set(svm_of(v), tsc_offset, (uint64_t)off);
}

/* MSRPM (APM 15.11): 2 bits per MSR (read, write) in three 2 KiB ranges.
 * The maps' contents are not VMCB state: only their base addresses have a
 * clean bit (IOPM), and those never change. */
static long msrpm_bit(uint32_t msr)
{
    if (msr < 0x2000)
        return (long)msr * 2;
    if (msr >= 0xc0000000 && msr < 0xc0002000)
        return 0x800 * 8 + (long)(msr - 0xc0000000) * 2;
    if (msr >= 0xc0010000 && msr < 0xc0012000)
        return 0x1000 * 8 + (long)(msr - 0xc0010000) * 2;
    return -1;                      /* outside the map: always intercepted */
}

static void put_bit(uint8_t *map, long bit, bool set)
{
    if (set)
        map[bit / 8] |= (uint8_t)(1U << (bit % 8));
    else
        map[bit / 8] &= (uint8_t)~(1U << (bit % 8));
}

static void svm_set_msr_intercept(struct vcpu *v, uint32_t msr, bool rd, bool wr)
{
    long bit = msrpm_bit(msr);
    if (bit < 0)
        return;
    put_bit(svm_of(v)->msrpm, bit, rd);
    put_bit(svm_of(v)->msrpm, bit + 1, wr);
}

static void svm_set_io_intercept(struct vcpu *v, uint16_t port, bool intercept)
{
    put_bit(svm_of(v)->iopm, port, intercept);
}

bool svm_probe(char *features, size_t len);
int svm_cpu_enable(void);
void svm_run(struct vcpu *v, struct cpu_regs *regs, struct hvm_exit *exit);

const struct hvm_vendor_ops svm_vendor_ops = {
    .name = "SVM",
    .npt_format = HVM_NPT_X86_64,
    .probe = svm_probe,
    .cpu_enable = svm_cpu_enable,
    .vcpu_create = svm_vcpu_create,
    .vcpu_destroy = svm_vcpu_destroy,
    .vcpu_load = svm_vcpu_load,
    .vcpu_put = svm_vcpu_put,
    .run = svm_run,
    .get_seg = svm_get_seg,
    .set_seg = svm_set_seg,
    .get_reg = svm_get_reg,
    .set_reg = svm_set_reg,
    .can_inject = svm_can_inject,
    .inject = svm_inject,
    .set_intr_window = svm_set_intr_window,
    .set_npt_root = svm_set_npt_root,
    .flush_guest_tlb = svm_flush_guest_tlb,
    .set_tsc_offset = svm_set_tsc_offset,
    .set_msr_intercept = svm_set_msr_intercept,
    .set_io_intercept = svm_set_io_intercept,
    .insn_bytes = svm_insn_bytes,
};
