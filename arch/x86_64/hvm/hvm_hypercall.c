/* Hypercalls from a PVH guest: VMMCALL/VMCALL in guest ring 0, served by
 * the same table as PV (hypercall/table.c, its PVH column), with the ABI's
 * register convention for the guest's mode (64-bit: RDI RSI RDX R10 R8;
 * 32-bit: EBX ECX EDX ESI EDI; number in EAX). From ring 1-3 the result is
 * -EPERM, as Xen 4.17's hvm_hypercall. A 32-bit guest's structures have
 * the compat layouts (Xen's hvm32 column): not done yet, so its calls are
 * -ENOSYS (logged) rather than misread. A handler that wants the call made
 * again (a long console write) rewinds RIP by the PV syscall's 2 bytes;
 * here that means: do not step over the VMMCALL. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/hypercall.h>
#include <keel/vcpu.h>

#define EFER_LMA_   (1UL << 10)
#define SEG_ATTR_L  (1U << 9)

static unsigned guest_cpl(struct vcpu *v)
{
    struct hvm_seg ss;
    hvm_vendor->get_seg(v, HVM_SEG_SS, &ss);
    return (ss.attr >> 5) & 3;
}

static bool guest_in_64bit_mode(struct vcpu *v)
{
    struct hvm_seg cs;
    hvm_vendor->get_seg(v, HVM_SEG_CS, &cs);
    return (hvm_vendor->get_reg(v, HVM_REG_EFER) & EFER_LMA_) && (cs.attr & SEG_ATTR_L);
}

bool hvm_hypercall(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    uint64_t rip = regs->rip;
    hvm_skip_insn(regs, e, 3);          /* VMMCALL 0f 01 d9 / VMCALL 0f 01 c1 */
    uint64_t next = regs->rip;
    if (guest_cpl(v) != 0) {
        regs->rax = (uint64_t)(long)-EPERM;
        return true;
    }
    long ret;
    if (guest_in_64bit_mode(v)) {
        const uint64_t a[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };
        ret = hypercall_invoke(v, regs, regs->rax, a);
        if (ret != HYPERCALL_KEEP_REGS)
            regs->rax = (uint64_t)ret;
    } else {
        ret = hypercall_unimplemented(v, (unsigned)((uint32_t)regs->rax < 127 ? regs->rax : 127),
                                      "from 32-bit mode (compat layouts)", 0);
        regs->rax = (uint32_t)ret;
    }
    if (regs->rip == next - 2)
        regs->rip = rip;                /* continuation: the same VMMCALL again */
    return true;
}
