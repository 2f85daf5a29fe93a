/* Events for the next VM entry (VM-entry interruption information, SDM
 * vol. 3 25.8.3 and 27.6), the interrupt window, and the I/O and MSR
 * bitmaps (25.6.4, 25.6.9). */
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

static void queue(struct vmx_vcpu *vv, uint32_t info, uint32_t error, uint32_t insn_len)
{
    vv->pending_event = INTR_INFO_VALID | info;
    vv->pending_error = error;
    vv->pending_insn_len = insn_len;
}

void vmx_inject_exception(struct vmx_vcpu *vv, unsigned vector, bool has_error, uint32_t error)
{
    uint32_t type = vector == 2 ? INTR_TYPE_NMI : INTR_TYPE_HW_EXCEPTION;
    queue(vv, type | (vector & 0xff) | (has_error ? INTR_INFO_ERROR_CODE : 0), error, 0);
}

void vmx_inject_interrupt(struct vmx_vcpu *vv, unsigned vector)
{
    queue(vv, INTR_TYPE_EXT_INTR | (vector & 0xff), 0, 0);
}

void vmx_inject_swint(struct vmx_vcpu *vv, unsigned vector, unsigned insn_len)
{
    queue(vv, INTR_TYPE_SW_INTR | (vector & 0xff), 0, insn_len);
}

void vmx_settle_shadow(struct vmx_vcpu *vv, const struct cpu_regs *regs)
{
    struct vmcs_access a;
    if (regs->rip == vv->exit_rip || !vmcs_begin(vv, &a))
        return;
    uint32_t is = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (is & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
                     is & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
    vv->exit_rip = regs->rip;
    vmcs_end(vv, &a);
}

bool vmx_interrupt_allowed(struct vmx_vcpu *vv, const struct cpu_regs *regs)
{
    struct vmcs_access a;
    if (vv->pending_event || !(regs->rflags & RFLAGS_IF))
        return false;
    vmx_settle_shadow(vv, regs);
    if (!vmcs_begin(vv, &a))
        return false;
    uint32_t is = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    vmcs_end(vv, &a);
    return !(is & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
}

void vmx_set_interrupt_window(struct vmx_vcpu *vv, bool on)
{
    struct vmcs_access a;
    uint32_t proc = on ? vv->proc_ctls | PROC_INTR_WINDOW_EXIT
                       : vv->proc_ctls & ~PROC_INTR_WINDOW_EXIT;
    if (proc == vv->proc_ctls || !vmcs_begin(vv, &a))
        return;
    vv->proc_ctls = proc;
    vmcs_write32(VMCS_PROC_CTLS, proc);
    vmcs_end(vv, &a);
}

void vmx_io_allow(struct vmx_vcpu *vv, uint16_t port, bool allow)
{
    uint8_t bit = (uint8_t)(1U << (port & 7));
    if (allow)
        vv->io_bitmap[port >> 3] &= (uint8_t)~bit;
    else
        vv->io_bitmap[port >> 3] |= bit;
}

/* Read bits for MSRs 0-0x1fff at 0, for 0xc0000000-0xc0001fff at 1 KiB;
 * the write bits of the same 2 KiB further. Others always exit. */
void vmx_msr_allow(struct vmx_vcpu *vv, uint32_t msr, bool read, bool write)
{
    unsigned base;
    if (msr <= 0x1fff)
        base = 0;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
        base = 1024;
    else
        return;
    unsigned idx = msr & 0x1fff;
    uint8_t bit = (uint8_t)(1U << (idx & 7));
    uint8_t *r = vv->msr_bitmap + base + idx / 8, *w = r + 2048;
    *r = read ? *r & (uint8_t)~bit : *r | bit;
    *w = write ? *w & (uint8_t)~bit : *w | bit;
}
