/* Guest CR0, CR4 and EFER. VMX fixes some CR0/CR4 bits (CR0.NE, CR4.VMXE
 * on every CPU); Keel owns those bits through the guest/host masks, the
 * guest sees its own values in the read shadows, and a guest write that
 * changes an owned bit exits here. The other bits the guest changes without
 * exits (CR0.PG, CR4.PAE ...), so the VMCS, not a copy, is the truth: the
 * value the guest sees is the guest field outside the mask and the shadow
 * inside it. With "load/save IA32_EFER" the guest's EFER is a VMCS field
 * too: a guest that turns paging on with EFER.LME set enters long mode
 * without an exit, and the exit saves EFER.LMA and sets the "IA-32e mode
 * guest" entry control (SDM vol. 3 25.3, 27.3.1.1, 28.3; 10.8.5 for LMA). */
#include <keel/errno.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

#define CR4_VMXE    (1UL << 13)
#define EFER_LMA    (1UL << 10)

static uint64_t visible(enum vmcs_nat guest, enum vmcs_nat shadow, enum vmcs_nat mask)
{
    uint64_t m = vmcs_readn(mask);
    return (vmcs_readn(guest) & ~m) | (vmcs_readn(shadow) & m);
}

static uint64_t get_cr0(void) { return visible(VMCS_GUEST_CR0, VMCS_CR0_SHADOW, VMCS_CR0_MASK); }
static uint64_t get_cr4(void) { return visible(VMCS_GUEST_CR4, VMCS_CR4_SHADOW, VMCS_CR4_MASK); }

/* EFER.LMA = LME and CR0.PG, and the entry control with it. */
static void set_long_mode(uint64_t efer, uint64_t cr0)
{
    bool lma = (efer & EFER_LME) && (cr0 & CR0_PG);
    uint32_t entry = vmcs_read32(VMCS_ENTRY_CTLS);
    vmcs_write64(VMCS_GUEST_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
    vmcs_write32(VMCS_ENTRY_CTLS, lma ? entry | ENTRY_GUEST_64 : entry & ~ENTRY_GUEST_64);
}

uint64_t vmx_get_cr(struct vmx_vcpu *vv, unsigned cr)
{
    struct vmcs_access a;
    uint64_t v = 0;
    if (!vmcs_begin(vv, &a))
        return 0;
    if (cr == 0)
        v = get_cr0();
    else if (cr == 4)
        v = get_cr4();
    else if (cr == 3)
        v = vmcs_readn(VMCS_GUEST_CR3);
    vmcs_end(vv, &a);
    return v;
}

uint64_t vmx_get_efer(struct vmx_vcpu *vv)
{
    struct vmcs_access a;
    uint64_t v = 0;
    if (vmcs_begin(vv, &a)) {
        v = vmcs_read64(VMCS_GUEST_EFER);
        vmcs_end(vv, &a);
    }
    return v;
}

int vmx_set_cr0(struct vmx_vcpu *vv, uint64_t val)
{
    struct vmcs_access a;
    if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)))
        return -EINVAL;
    if (!vmcs_begin(vv, &a))
        return -EIO;
    uint64_t fixed0 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
    vmcs_writen(VMCS_CR0_SHADOW, val);
    vmcs_writen(VMCS_GUEST_CR0, vmx_cr_fixed(val, fixed0, vmx_caps.cr0_fixed1));
    set_long_mode(vmcs_read64(VMCS_GUEST_EFER), val);
    vmcs_end(vv, &a);
    return 0;
}

int vmx_set_cr4(struct vmx_vcpu *vv, uint64_t val)
{
    /* The guest has no VMX: it may not set VMXE (nor bits the CPU lacks). */
    struct vmcs_access a;
    if ((val & CR4_VMXE) || (val & ~vmx_caps.cr4_fixed1))
        return -EINVAL;
    if (!vmcs_begin(vv, &a))
        return -EIO;
    vmcs_writen(VMCS_CR4_SHADOW, val);
    vmcs_writen(VMCS_GUEST_CR4, vmx_cr_fixed(val, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1));
    vmcs_end(vv, &a);
    return 0;
}

void vmx_set_efer(struct vmx_vcpu *vv, uint64_t val)
{
    struct vmcs_access a;
    if (!vmcs_begin(vv, &a))
        return;
    set_long_mode(val & ~EFER_LMA, get_cr0());
    vmcs_end(vv, &a);
}

/* RSP is the guest's, kept in regs too. */
uint64_t *vmx_gpr(struct cpu_regs *regs, unsigned n)
{
    switch (n) {
    case 0: return &regs->rax;
    case 1: return &regs->rcx;
    case 2: return &regs->rdx;
    case 3: return &regs->rbx;
    case 4: return &regs->rsp;
    case 5: return &regs->rbp;
    case 6: return &regs->rsi;
    case 7: return &regs->rdi;
    case 8: return &regs->r8;
    case 9: return &regs->r9;
    case 10: return &regs->r10;
    case 11: return &regs->r11;
    case 12: return &regs->r12;
    case 13: return &regs->r13;
    case 14: return &regs->r14;
    default: return &regs->r15;
    }
}

int vmx_handle_cr_access(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit)
{
    uint64_t q = exit->qualification;
    unsigned cr = CR_QUAL_CR(q);
    uint64_t *r = vmx_gpr(regs, CR_QUAL_GPR(q));
    int rc = 0;

    switch (CR_QUAL_TYPE(q)) {
    case 0:                                     /* MOV to CR */
        if (cr == 0)
            rc = vmx_set_cr0(vv, *r);
        else if (cr == 4)
            rc = vmx_set_cr4(vv, *r);
        else if (cr == 3)
            vmcs_writen(VMCS_GUEST_CR3, *r);
        else
            rc = -EINVAL;
        break;
    case 1:                                     /* MOV from CR (CR3 only) */
        if (cr == 3)
            *r = vmcs_readn(VMCS_GUEST_CR3);
        else
            rc = -EINVAL;
        break;
    case 2:                                     /* CLTS */
        rc = vmx_set_cr0(vv, get_cr0() & ~CR0_TS);
        break;
    default:                                    /* LMSW: bits 0-3, PE cannot be cleared */
        rc = vmx_set_cr0(vv, (get_cr0() & ~0xeUL) | (CR_QUAL_LMSW_DATA(q) & 0xf));
        break;
    }
    if (rc) {
        vmx_inject_exception(vv, 13, true, 0);
        return -EINVAL;
    }
    vmx_skip_insn(vv, regs, exit);
    return 0;
}
