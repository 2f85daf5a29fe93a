/* The VMX backend behind keel/hvm_vendor.h: each operation on a struct vcpu
 * becomes one on its struct vmx_vcpu (v->hvm_vendor_state), and VMX exits
 * become vendor-neutral ones. Exit reasons and qualifications: SDM vol. 3
 * appendix C and 28.2.1. */
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/hvm_vendor.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/domain.h>
#include "vmcs.h"
#include "vmx_internal.h"

void vmx_get_seg(struct vmx_vcpu *vv, enum hvm_seg_id id, struct hvm_seg *out);
void vmx_set_seg(struct vmx_vcpu *vv, enum hvm_seg_id id, const struct hvm_seg *in);
uint64_t vmx_get_reg(struct vmx_vcpu *vv, enum hvm_reg r);
void vmx_set_reg(struct vmx_vcpu *vv, enum hvm_reg r, uint64_t v);

static struct vmx_vcpu *vmx_of(struct vcpu *v) { return v->hvm_vendor_state; }

static int op_vcpu_create(struct vcpu *v)
{
    struct vmx_vcpu *vv = kzalloc(sizeof(*vv));
    if (!vv)
        return -ENOMEM;
    int rc = vmx_vcpu_init(vv);
    if (rc) {
        kfree(vv);
        return rc;
    }
    v->hvm_vendor_state = vv;
    return 0;
}

static void op_vcpu_destroy(struct vcpu *v)
{
    struct vmx_vcpu *vv = vmx_of(v);
    if (!vv)
        return;
    vmx_vcpu_destroy(vv);
    kfree(vv);
    v->hvm_vendor_state = NULL;
}

static void op_vcpu_load(struct vcpu *v) { vmx_vcpu_load(vmx_of(v)); }
static void op_vcpu_put(struct vcpu *v) { vmx_vcpu_put(vmx_of(v)); }

static enum hvm_exit_reason reason_of(const struct vmx_exit *e)
{
    if (e->entry_failed)
        return HVM_EXIT_INVALID;
    switch (e->reason) {
    case EXIT_EXTERNAL_INTR: return HVM_EXIT_INTR;
    /* The slice ended (vmcs_setup.c): like an interrupt, the host opens
     * its interrupt window and may reschedule. */
    case EXIT_PREEMPTION_TIMER: return HVM_EXIT_INTR;
    case EXIT_INTR_WINDOW: return HVM_EXIT_INTR_WINDOW;
    case EXIT_CPUID: return HVM_EXIT_CPUID;
    case EXIT_HLT: return HVM_EXIT_HLT;
    case EXIT_VMCALL: return HVM_EXIT_HYPERCALL;
    case EXIT_IO: return HVM_EXIT_IO;
    case EXIT_RDMSR: return HVM_EXIT_MSR_READ;
    case EXIT_WRMSR: return HVM_EXIT_MSR_WRITE;
    case EXIT_EPT_VIOLATION: return HVM_EXIT_NPF;
    case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST:
    case EXIT_VMREAD: case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF:
    case EXIT_VMXON: case EXIT_INVEPT: case EXIT_INVVPID: case EXIT_VMFUNC:
    case EXIT_GETSEC: case EXIT_MONITOR: case EXIT_MWAIT:
        return HVM_EXIT_VIRT_INSN;
    case EXIT_XSETBV: return HVM_EXIT_XSETBV;
    case EXIT_PAUSE: return HVM_EXIT_PAUSE;
    case EXIT_INVD: return HVM_EXIT_INVD;
    case EXIT_TRIPLE_FAULT: return HVM_EXIT_SHUTDOWN;
    default: return HVM_EXIT_OTHER;
    }
}

static void convert(const struct vmx_exit *e, const struct cpu_regs *regs, struct hvm_exit *out)
{
    uint64_t q = e->qualification;
    memset(out, 0, sizeof(*out));
    out->reason = reason_of(e);
    out->raw = e->reason | (e->entry_failed ? EXIT_REASON_ENTRY_FAILED : 0);
    out->info1 = q;
    out->info2 = e->guest_phys;
    out->insn_len = e->insn_len;
    switch (out->reason) {
    case HVM_EXIT_IO:
        out->io.port = IO_QUAL_PORT(q);
        out->io.size = (uint8_t)IO_QUAL_SIZE(q);
        out->io.in = q & IO_QUAL_IN;
        out->io.string = q & IO_QUAL_STRING;
        out->io.rep = q & IO_QUAL_REP;
        if (e->has_insn_info) {             /* bits 9:7 address size 0/1/2, 17:15 segment (ES..GS) */
            out->io.addr_size = (uint8_t)(2U << ((e->insn_info >> 7) & 3));
            out->io.seg = (uint8_t)(((e->insn_info >> 15) & 7) + 1);
        }
        break;
    case HVM_EXIT_MSR_READ: case HVM_EXIT_MSR_WRITE:
        out->msr.index = (uint32_t)regs->rcx;
        break;
    case HVM_EXIT_NPF:
        out->npf.gpa = e->guest_phys;
        out->npf.read = q & EPT_QUAL_READ;
        out->npf.write = q & EPT_QUAL_WRITE;
        out->npf.exec = q & EPT_QUAL_FETCH;
        out->npf.present = q & (7UL << 3);      /* the entry allowed some access */
        out->npf.walk = (q & EPT_QUAL_LINEAR_VALID) && !(q & EPT_QUAL_FINAL);
        break;
    case HVM_EXIT_OTHER:
        if (e->reason == EXIT_EXCEPTION_NMI && (e->intr_info & INTR_INFO_VALID)) {
            if ((e->intr_info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
                out->reason = HVM_EXIT_NMI;     /* run.c raised it to Keel already */
                break;
            }
            out->reason = HVM_EXIT_EXCEPTION;
            out->exception.vector = (uint8_t)e->intr_info;
            out->exception.has_error = e->intr_info & INTR_INFO_ERROR_CODE;
            out->exception.error = e->intr_error;
        }
        break;
    default:
        break;
    }
}

/* VMLAUNCH/VMRESUME failing is Keel's fault or a state the guest set up
 * through Keel: either way an invalid entry, which crashes the domain. */
static void op_run(struct vcpu *v, struct cpu_regs *regs, struct hvm_exit *exit)
{
    struct vmx_vcpu *vv = vmx_of(v);
    struct vmx_exit e;
    if (vmx_vcpu_run(vv, regs, &e)) {
        memset(exit, 0, sizeof(*exit));
        exit->reason = HVM_EXIT_INVALID;
        exit->raw = ~0UL;
        vmx_vcpu_dump(vv);
        return;
    }
    convert(&e, regs, exit);
    if (exit->reason == HVM_EXIT_INVALID || exit->reason == HVM_EXIT_SHUTDOWN) {
        log_err("vmx: domain %u vCPU %u: %s\n", v->d->id, v->id, vmx_exit_name(e.reason));
        vmx_vcpu_dump(vv);
    }
}

static void op_get_seg(struct vcpu *v, enum hvm_seg_id s, struct hvm_seg *out)
{
    vmx_get_seg(vmx_of(v), s, out);
}

static void op_set_seg(struct vcpu *v, enum hvm_seg_id s, const struct hvm_seg *in)
{
    vmx_set_seg(vmx_of(v), s, in);
}

static uint64_t op_get_reg(struct vcpu *v, enum hvm_reg r) { return vmx_get_reg(vmx_of(v), r); }
static void op_set_reg(struct vcpu *v, enum hvm_reg r, uint64_t val) { vmx_set_reg(vmx_of(v), r, val); }

static bool op_can_inject(struct vcpu *v, const struct cpu_regs *regs)
{
    return vmx_interrupt_allowed(vmx_of(v), regs);
}

static void op_inject(struct vcpu *v, const struct hvm_event *ev)
{
    struct vmx_vcpu *vv = vmx_of(v);
    switch (ev->type) {
    case HVM_EVENT_EXTINT: vmx_inject_interrupt(vv, ev->vector); break;
    case HVM_EVENT_NMI: vmx_inject_exception(vv, 2, false, 0); break;
    case HVM_EVENT_EXCEPTION: vmx_inject_exception(vv, ev->vector, ev->has_error, ev->error); break;
    case HVM_EVENT_SWINT: vmx_inject_swint(vv, ev->vector, 2); break;    /* INT n: CD ib */
    }
}

static void op_set_intr_window(struct vcpu *v, bool on) { vmx_set_interrupt_window(vmx_of(v), on); }
static void op_set_npt_root(struct vcpu *v, paddr_t root) { vmx_set_eptp(vmx_of(v), eptp_make(root)); }
static void op_flush_guest_tlb(struct vcpu *v) { vmx_of(v)->flush_pending = true; }
static void op_set_tsc_offset(struct vcpu *v, int64_t off) { vmx_set_tsc_offset(vmx_of(v), off); }

static void op_set_msr_intercept(struct vcpu *v, uint32_t msr, bool read, bool write)
{
    vmx_msr_allow(vmx_of(v), msr, !read, !write);
}

static void op_set_io_intercept(struct vcpu *v, uint16_t port, bool intercept)
{
    vmx_io_allow(vmx_of(v), port, !intercept);
}

const struct hvm_vendor_ops vmx_vendor_ops = {
    .name = "VMX",
    .npt_format = HVM_NPT_EPT,
    .probe = vmx_probe,
    .cpu_enable = vmx_cpu_enable,
    .vcpu_create = op_vcpu_create,
    .vcpu_destroy = op_vcpu_destroy,
    .vcpu_load = op_vcpu_load,
    .vcpu_put = op_vcpu_put,
    .run = op_run,
    .get_seg = op_get_seg,
    .set_seg = op_set_seg,
    .get_reg = op_get_reg,
    .set_reg = op_set_reg,
    .can_inject = op_can_inject,
    .inject = op_inject,
    .set_intr_window = op_set_intr_window,
    .set_npt_root = op_set_npt_root,
    .flush_guest_tlb = op_flush_guest_tlb,
    .set_tsc_offset = op_set_tsc_offset,
    .set_msr_intercept = op_set_msr_intercept,
    .set_io_intercept = op_set_io_intercept,
};
