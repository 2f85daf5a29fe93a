/* A VMX vCPU: its VMCS and bitmaps, which CPU holds the VMCS, and one round
 * trip into the guest. A VMCS is active on at most one CPU: before another
 * CPU loads it, the old one VMCLEARs it (SDM vol. 3 25.1, 25.11.1). */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

static struct vmx_vcpu *loaded[NR_CPUS];    /* the current VMCS of each CPU */

static void clear_here(void *arg)
{
    struct vmx_vcpu *vv = arg;
    vmx_vmclear(vv->vmcs_pa);
    if (loaded[smp_processor_id()] == vv)
        loaded[smp_processor_id()] = NULL;
    vv->cpu = -1;
    vv->launched = false;
}

/* Makes vv's VMCS current on this CPU (interrupts on: it may have to ask
 * its old CPU to VMCLEAR it). A vCPU new to this CPU gets this CPU's host
 * fields and loses any translations its VPID left here. */
static int load(struct vmx_vcpu *vv)
{
    unsigned cpu = smp_processor_id();
    if (vv->cpu == (int)cpu) {
        if (loaded[cpu] != vv) {
            if (vmx_vmptrld(vv->vmcs_pa))
                return -EIO;
            loaded[cpu] = vv;
        }
        return 0;
    }
    if (vv->cpu >= 0)
        smp_call_on_cpu((unsigned)vv->cpu, clear_here, vv, true);
    if (vmx_vmptrld(vv->vmcs_pa))
        return -EIO;
    loaded[cpu] = vv;
    vv->cpu = (int)cpu;
    vmcs_host_cpu_state();
    vpid_flush(vv->vpid);
    return 0;
}

static void *zeroed_pages(unsigned order, uint8_t fill)
{
    void *p = alloc_pages(order);
    if (p)
        memset(p, fill, PAGE_SIZE << order);
    return p;
}

int vmx_vcpu_init(struct vmx_vcpu *vv, struct ept *ept)
{
    memset(vv, 0, sizeof(*vv));
    vv->cpu = -1;
    vv->ept = ept;
    vv->vmcs = zeroed_pages(0, 0);
    vv->msr_bitmap = zeroed_pages(0, 0xff);     /* every MSR access exits */
    vv->io_bitmap = zeroed_pages(1, 0xff);      /* every port exits */
    if (!vv->vmcs || !vv->msr_bitmap || !vv->io_bitmap) {
        vmx_vcpu_destroy(vv);
        return -ENOMEM;
    }
    *(uint32_t *)vv->vmcs = VMX_BASIC_REVISION(vmx_caps.basic);
    vv->vmcs_pa = virt_to_phys(vv->vmcs);
    vv->vpid = vpid_alloc();
    uint64_t flags = irq_save();
    int rc = vmx_vmclear(vv->vmcs_pa) ? -EIO : load(vv);
    if (!rc)
        rc = vmcs_setup(vv);
    irq_restore(flags);
    if (rc) {
        log_err("vmx: cannot set up a VMCS (%d)\n", rc);
        vmx_vcpu_destroy(vv);
    }
    return rc;
}

void vmx_vcpu_destroy(struct vmx_vcpu *vv)
{
    if (vv->cpu >= 0)
        smp_call_on_cpu((unsigned)vv->cpu, clear_here, vv, true);
    vpid_free(vv->vpid);
    if (vv->vmcs)
        free_pages(vv->vmcs, 0);
    if (vv->msr_bitmap)
        free_pages(vv->msr_bitmap, 0);
    if (vv->io_bitmap)
        free_pages(vv->io_bitmap, 1);
    memset(vv, 0, sizeof(*vv));
    vv->cpu = -1;
}

static void set_segment(enum vmcs16 sel, uint16_t s, enum vmcs_nat base, uint64_t b,
                        enum vmcs32 limit, uint32_t l, enum vmcs32 ar, uint32_t a)
{
    vmcs_write16(sel, s);
    vmcs_writen(base, b);
    vmcs_write32(limit, l);
    vmcs_write32(ar, a);
}

void vmx_vcpu_set_pvh_entry(struct vmx_vcpu *vv, struct cpu_regs *regs, uint64_t entry,
                            uint64_t start_info)
{
    if (load(vv))
        return;
    set_segment(VMCS_GUEST_CS_SEL, 0x08, VMCS_GUEST_CS_BASE, 0, VMCS_GUEST_CS_LIMIT, 0xffffffff,
                VMCS_GUEST_CS_AR, AR_CODE32_FLAT);
    set_segment(VMCS_GUEST_DS_SEL, 0x10, VMCS_GUEST_DS_BASE, 0, VMCS_GUEST_DS_LIMIT, 0xffffffff,
                VMCS_GUEST_DS_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_ES_SEL, 0x10, VMCS_GUEST_ES_BASE, 0, VMCS_GUEST_ES_LIMIT, 0xffffffff,
                VMCS_GUEST_ES_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_SS_SEL, 0x10, VMCS_GUEST_SS_BASE, 0, VMCS_GUEST_SS_LIMIT, 0xffffffff,
                VMCS_GUEST_SS_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_FS_SEL, 0, VMCS_GUEST_FS_BASE, 0, VMCS_GUEST_FS_LIMIT, 0,
                VMCS_GUEST_FS_AR, AR_UNUSABLE);
    set_segment(VMCS_GUEST_GS_SEL, 0, VMCS_GUEST_GS_BASE, 0, VMCS_GUEST_GS_LIMIT, 0,
                VMCS_GUEST_GS_AR, AR_UNUSABLE);
    set_segment(VMCS_GUEST_TR_SEL, 0x18, VMCS_GUEST_TR_BASE, 0, VMCS_GUEST_TR_LIMIT, 0x67,
                VMCS_GUEST_TR_AR, AR_TSS32_BUSY);
    vmcs_writen(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0);
    vmcs_writen(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0);
    vmcs_writen(VMCS_GUEST_CR3, 0);
    vmx_set_efer(vv, 0);
    vmx_set_cr4(vv, 0);
    vmx_set_cr0(vv, CR0_PE | (1UL << 4));       /* ET: hard-wired 1 on every CPU since the 486 */
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vv->cr2 = 0;
    vv->pending_event = 0;
    memset(regs, 0, sizeof(*regs));
    regs->rip = entry;
    regs->rbx = start_info;
    regs->rflags = 0x2;                         /* bit 1 reads as 1 */
}

static const char *const insn_errors[] = {
    [1] = "VMCALL in VMX root operation", [2] = "VMCLEAR with an invalid address",
    [4] = "VMLAUNCH with a non-clear VMCS", [5] = "VMRESUME with a non-launched VMCS",
    [7] = "entry with invalid control fields", [8] = "entry with invalid host-state fields",
    [9] = "VMPTRLD with an invalid address", [11] = "VMPTRLD with a wrong revision id",
    [12] = "VMREAD/VMWRITE of an unsupported field", [13] = "VMWRITE to a read-only field",
    [26] = "entry with events blocked by MOV SS",
};

static void fill_exit(struct vmx_exit *e)
{
    uint32_t r = vmcs_read32(VMCS_EXIT_REASON);
    e->reason = EXIT_REASON_BASIC(r);
    e->entry_failed = r & EXIT_REASON_ENTRY_FAILED;
    e->qualification = vmcs_readn(VMCS_EXIT_QUALIFICATION);
    e->guest_phys = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
    e->guest_linear = vmcs_readn(VMCS_GUEST_LINEAR_ADDR);
    e->insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
    e->intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    e->intr_error = vmcs_read32(VMCS_EXIT_INTR_ERROR);
    e->idt_vectoring_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
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

int vmx_vcpu_run(struct vmx_vcpu *vv, struct cpu_regs *regs, struct vmx_exit *exit)
{
    int rc = load(vv);
    if (rc) {
        log_err("vmx: VMPTRLD failed\n");
        return rc;
    }
    uint64_t flags = irq_save();
    vmcs_host_entry_state();
    vmcs_writen(VMCS_GUEST_RIP, regs->rip);
    vmcs_writen(VMCS_GUEST_RSP, regs->rsp);
    vmcs_writen(VMCS_GUEST_RFLAGS, regs->rflags);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, vv->pending_event);
    if (vv->pending_event) {
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, vv->pending_error);
        vmcs_write32(VMCS_ENTRY_INSN_LEN, vv->pending_insn_len);
        vv->pending_event = 0;
    }
    if (read_cr2() != vv->cr2)
        write_cr2(vv->cr2);

    rc = vmx_enter(regs, vv->launched);

    /* The exit left LDTR null and DR7 at its reset value (SDM 28.5.2-3). */
    this_cpu()->ldtr_loaded = false;
    if (rc) {
        irq_restore(flags);
        return entry_failed(vv, rc);
    }
    vv->cr2 = read_cr2();
    vv->launched = true;
    fill_exit(exit);
    /* An NMI that made the guest exit is Keel's: take it now, as if it
     * had arrived here (SDM 27.2.2, NMI exiting). */
    if (exit->reason == EXIT_EXCEPTION_NMI && (exit->intr_info & INTR_INFO_VALID) &&
        (exit->intr_info & INTR_TYPE_MASK) == INTR_TYPE_NMI)
        __asm__ __volatile__("int $2");
    irq_restore(flags);     /* an external interrupt that exited is taken here */

    regs->rip = vmcs_readn(VMCS_GUEST_RIP);
    regs->rsp = vmcs_readn(VMCS_GUEST_RSP);
    regs->rflags = vmcs_readn(VMCS_GUEST_RFLAGS);
    if (exit->reason < VMX_EXIT_COUNTERS)
        vv->exits[exit->reason]++;
    requeue_vectoring(vv, exit);
    return 0;
}

void vmx_skip_insn(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit)
{
    regs->rip += exit->insn_len;
    if (load(vv))
        return;
    uint32_t is = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (is & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
                     is & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
}

void vmx_inject_exception(struct vmx_vcpu *vv, unsigned vector, bool has_error, uint32_t error)
{
    uint32_t type = vector == 2 ? INTR_TYPE_NMI : INTR_TYPE_HW_EXCEPTION;
    vv->pending_event = INTR_INFO_VALID | type | (vector & 0xff) |
                        (has_error ? INTR_INFO_ERROR_CODE : 0);
    vv->pending_error = error;
    vv->pending_insn_len = 0;
}

void vmx_inject_interrupt(struct vmx_vcpu *vv, unsigned vector)
{
    vv->pending_event = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (vector & 0xff);
    vv->pending_error = 0;
    vv->pending_insn_len = 0;
}

bool vmx_interrupt_allowed(struct vmx_vcpu *vv, const struct cpu_regs *regs)
{
    if (vv->pending_event || !(regs->rflags & RFLAGS_IF) || load(vv))
        return false;
    return !(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) &
             (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
}

void vmx_set_interrupt_window(struct vmx_vcpu *vv, bool on)
{
    uint32_t proc = on ? vv->proc_ctls | PROC_INTR_WINDOW_EXIT : vv->proc_ctls & ~PROC_INTR_WINDOW_EXIT;
    if (proc == vv->proc_ctls || load(vv))
        return;
    vv->proc_ctls = proc;
    vmcs_write32(VMCS_PROC_CTLS, proc);
}

void vmx_io_allow(struct vmx_vcpu *vv, uint16_t port, bool allow)
{
    uint8_t bit = (uint8_t)(1U << (port & 7));
    if (allow)
        vv->io_bitmap[port >> 3] &= (uint8_t)~bit;
    else
        vv->io_bitmap[port >> 3] |= bit;
}

/* MSR bitmap layout (SDM 25.6.9): read 0-0x1fff at 0, read 0xc0000000-
 * 0xc0001fff at 1 KiB, writes of the same at 2 and 3 KiB. */
void vmx_msr_allow(struct vmx_vcpu *vv, uint32_t msr, bool read, bool write)
{
    unsigned base;
    if (msr <= 0x1fff)
        base = 0;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
        base = 1024;
    else
        return;             /* outside both ranges: always exits */
    unsigned idx = msr & 0x1fff;
    uint8_t bit = (uint8_t)(1U << (idx & 7));
    uint8_t *r = vv->msr_bitmap + base + idx / 8, *w = r + 2048;
    *r = read ? *r & (uint8_t)~bit : *r | bit;
    *w = write ? *w & (uint8_t)~bit : *w | bit;
}
