/* One round trip into a VMX guest: the entry (pending event, host state of
 * this moment, CR2), the exit read back, an interrupted event queued again,
 * a host NMI handed to Keel; MOV CR/DR exits served here without returning.
 * Exit information: SDM vol. 3 28.2; VM-instruction errors: 31.4. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

static const char *const insn_errors[] = {
    [1] = "VMCALL in VMX root operation", [2] = "VMCLEAR with an invalid address",
    [4] = "VMLAUNCH with a non-clear VMCS", [5] = "VMRESUME with a non-launched VMCS",
    [7] = "entry with invalid control fields", [8] = "entry with invalid host-state fields",
    [9] = "VMPTRLD with an invalid address", [11] = "VMPTRLD with a wrong revision id",
    [12] = "VMREAD/VMWRITE of an unsupported field", [13] = "VMWRITE to a read-only field",
    [26] = "entry with events blocked by MOV SS",
};

static int entry_failed(struct vmx_vcpu *vv, int rc)
{
    const char *insn = vv->launched ? "VMRESUME" : "VMLAUNCH";
    if (rc == 1) {
        log_err("vmx: %s failed: no current VMCS (VMfailInvalid)\n", insn);
        return -EIO;
    }
    uint32_t err = vmcs_read32(VMCS_INSN_ERROR);
    const char *what = err < ARRAY_SIZE(insn_errors) && insn_errors[err] ? insn_errors[err] : "?";
    log_err("vmx: %s failed: VM-instruction error %u (%s)\n", insn, err, what);
    return -EIO;
}

/* Only the fields the exit reason gives meaning to are read (each VMREAD
 * costs): the others are 0. */
static void fill_exit(struct vmx_exit *e)
{
    uint32_t r = vmcs_read32(VMCS_EXIT_REASON);
    *e = (struct vmx_exit){ 0 };
    e->reason = EXIT_REASON_BASIC(r);
    e->entry_failed = r & EXIT_REASON_ENTRY_FAILED;
    e->qualification = vmcs_readn(VMCS_EXIT_QUALIFICATION);
    e->insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
    e->idt_vectoring_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
    if (e->reason == EXIT_EPT_VIOLATION || e->reason == EXIT_EPT_MISCONFIG) {
        e->guest_phys = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
        e->guest_linear = vmcs_readn(VMCS_GUEST_LINEAR_ADDR);
    }
    /* INS/OUTS (qualification bit 4) with IA32_VMX_BASIC bit 54: the
     * instruction-information field gives address size and segment. */
    if (e->reason == EXIT_IO && (e->qualification & (1U << 4)) && (vmx_caps.basic & (1UL << 54))) {
        e->insn_info = vmcs_read32(VMCS_EXIT_INSN_INFO);
        e->has_insn_info = true;
    }
    if (e->reason == EXIT_EXCEPTION_NMI || e->reason == EXIT_EXTERNAL_INTR) {
        e->intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
        e->intr_error = vmcs_read32(VMCS_EXIT_INTR_ERROR);
    }
}

/* An event the exit cut short is delivered again on the next entry
 * (SDM 28.2.4, 27.6.1). */
static void requeue_vectoring(struct vmx_vcpu *vv, const struct vmx_exit *e)
{
    if (!(e->idt_vectoring_info & INTR_INFO_VALID) || vv->pending_event)
        return;
    vv->pending_event = e->idt_vectoring_info & (INTR_INFO_VALID | INTR_TYPE_MASK |
                                                 INTR_INFO_ERROR_CODE | 0xff);
    vv->pending_error = vmcs_read32(VMCS_IDT_VECTORING_ERROR);
    vv->pending_insn_len = e->insn_len;
}

static void before_entry(struct vmx_vcpu *vv, const struct cpu_regs *regs)
{
    uint64_t cr3 = read_cr3();
    if (cr3 != vv->host_cr3) {
        vmcs_writen(VMCS_HOST_CR3, cr3);
        vv->host_cr3 = cr3;
    }
    if (regs->rip != vv->exit_rip) {        /* see vmx_settle_shadow */
        uint32_t is = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
        if (is & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
            vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
                         is & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
    }
    vmcs_writen(VMCS_GUEST_RIP, regs->rip);
    vmcs_writen(VMCS_GUEST_RSP, regs->rsp);
    vmcs_writen(VMCS_GUEST_RFLAGS, regs->rflags);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, vv->pending_event);
    if (vv->pending_event) {
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, vv->pending_error);
        vmcs_write32(VMCS_ENTRY_INSN_LEN, vv->pending_insn_len);
        vv->pending_event = 0;
    }
    if (vv->flush_pending) {
        if (vv->eptp)
            vmx_invept(vv->eptp);
        vpid_flush(vv->vpid);
        vv->flush_pending = false;
    }
    if (read_cr2() != vv->cr2)
        write_cr2(vv->cr2);
}

/* One entry and exit, interrupts off throughout. */
static int round_trip(struct vmx_vcpu *vv, struct cpu_regs *regs, struct vmx_exit *exit)
{
    before_entry(vv, regs);
    int rc = vmx_enter(regs, vv->launched);
    /* The exit left LDTR null (SDM 28.5.2): PV code must reload its LDT. */
    this_cpu()->ldtr_loaded = false;
    if (rc)
        return entry_failed(vv, rc);
    vv->cr2 = read_cr2();
    vv->launched = true;
    fill_exit(exit);
    /* NMI exiting consumed the NMI (SDM 27.2.2): it is Keel's, raise it. */
    if (exit->reason == EXIT_EXCEPTION_NMI && (exit->intr_info & INTR_INFO_VALID) &&
        (exit->intr_info & INTR_TYPE_MASK) == INTR_TYPE_NMI)
        __asm__ __volatile__("int $2");
    regs->rip = vmcs_readn(VMCS_GUEST_RIP);
    regs->rsp = vmcs_readn(VMCS_GUEST_RSP);
    regs->rflags = vmcs_readn(VMCS_GUEST_RFLAGS);
    vv->exit_rip = regs->rip;
    if (exit->reason < VMX_EXIT_COUNTERS)
        vv->exits[exit->reason]++;
    requeue_vectoring(vv, exit);
    return 0;
}

/* MOV CR and MOV DR are the backend's business. An external interrupt
 * always ends the loop (it exits whatever the host's IF), so a guest
 * looping on these cannot keep the CPU. */
static bool served_inside(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *e)
{
    if (e->entry_failed)
        return false;
    if (e->reason == EXIT_CR_ACCESS)
        return vmx_handle_cr_access(vv, regs, e), true;
    if (e->reason == EXIT_DR_ACCESS)
        return vmx_handle_dr_access(vv, regs, e), true;
    return false;
}

int vmx_vcpu_run(struct vmx_vcpu *vv, struct cpu_regs *regs, struct vmx_exit *exit)
{
    vmx_vcpu_load(vv);
    if (vv->cpu != (int)smp_processor_id())
        return -EIO;
    uint64_t flags = irq_save();
    int rc;
    do
        rc = round_trip(vv, regs, exit);
    while (!rc && served_inside(vv, regs, exit));
    irq_restore(flags);     /* with interrupts on: one that made the guest exit is taken */
    return rc;
}

void vmx_skip_insn(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit)
{
    struct vmcs_access a;
    regs->rip += exit->insn_len;
    if (!vmcs_begin(vv, &a))
        return;
    uint32_t is = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (is & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
                     is & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
    vmcs_end(vv, &a);
}
