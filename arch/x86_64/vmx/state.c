/* Guest state the generic HVM layer reads and writes through the vendor
 * interface (keel/hvm_vendor.h get_reg/set_reg, get_seg/set_seg), the EPT
 * root and the TSC offset. Segment attributes travel in the SVM packing;
 * VMX keeps the same bits with a gap and an "unusable" bit (SDM vol. 3
 * 25.4.1 table 25-2). */
#include <keel/hvm_vendor.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

uint64_t vmx_syscall_msr(struct vmx_vcpu *vv, unsigned i);
void vmx_set_syscall_msr(struct vmx_vcpu *vv, unsigned i, uint64_t val);

void vmx_set_eptp(struct vmx_vcpu *vv, uint64_t eptp)
{
    struct vmcs_access a;
    if (!vmcs_begin(vv, &a))
        return;
    vv->eptp = eptp;
    vmcs_write64(VMCS_EPT_POINTER, eptp);
    vv->flush_pending = true;
    vmcs_end(vv, &a);
}

void vmx_set_tsc_offset(struct vmx_vcpu *vv, int64_t offset)
{
    struct vmcs_access a;
    if (!vmcs_begin(vv, &a))
        return;
    vmcs_write64(VMCS_TSC_OFFSET, (uint64_t)offset);
    vmcs_end(vv, &a);
}

/* Per segment: selector, base, limit, access-rights fields. */
static const struct {
    enum vmcs16 sel;
    enum vmcs_nat base;
    enum vmcs32 limit, ar;
} segs[] = {
    [HVM_SEG_ES] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR },
    [HVM_SEG_CS] = { VMCS_GUEST_CS_SEL, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR },
    [HVM_SEG_SS] = { VMCS_GUEST_SS_SEL, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR },
    [HVM_SEG_DS] = { VMCS_GUEST_DS_SEL, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR },
    [HVM_SEG_FS] = { VMCS_GUEST_FS_SEL, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR },
    [HVM_SEG_GS] = { VMCS_GUEST_GS_SEL, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR },
    [HVM_SEG_LDTR] = { VMCS_GUEST_LDTR_SEL, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT,
                       VMCS_GUEST_LDTR_AR },
    [HVM_SEG_TR] = { VMCS_GUEST_TR_SEL, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR },
};

static uint16_t ar_to_attr(uint32_t ar)
{
    return ar & AR_UNUSABLE ? 0 : (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

/* A segment that is not present is "unusable" to VMX (its checks skip it). */
static uint32_t attr_to_ar(uint16_t attr)
{
    if (!(attr & 0x80))
        return AR_UNUSABLE;
    return (attr & 0xffU) | ((attr & 0xf00U) << 4);
}

void vmx_get_seg(struct vmx_vcpu *vv, enum hvm_seg_id id, struct hvm_seg *out)
{
    struct vmcs_access a;
    *out = (struct hvm_seg){ 0 };
    if (id >= HVM_SEG_NR || !vmcs_begin(vv, &a))
        return;
    if (id == HVM_SEG_GDTR || id == HVM_SEG_IDTR) {
        bool g = id == HVM_SEG_GDTR;
        out->base = vmcs_readn(g ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE);
        out->limit = vmcs_read32(g ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT);
    } else {
        out->sel = vmcs_read16(segs[id].sel);
        out->base = vmcs_readn(segs[id].base);
        out->limit = vmcs_read32(segs[id].limit);
        out->attr = ar_to_attr(vmcs_read32(segs[id].ar));
    }
    vmcs_end(vv, &a);
}

void vmx_set_seg(struct vmx_vcpu *vv, enum hvm_seg_id id, const struct hvm_seg *in)
{
    struct vmcs_access a;
    if (id >= HVM_SEG_NR || !vmcs_begin(vv, &a))
        return;
    if (id == HVM_SEG_GDTR || id == HVM_SEG_IDTR) {
        bool g = id == HVM_SEG_GDTR;
        vmcs_writen(g ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE, in->base);
        vmcs_write32(g ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT, in->limit & 0xffff);
    } else {
        vmcs_write16(segs[id].sel, in->sel);
        vmcs_writen(segs[id].base, in->base);
        vmcs_write32(segs[id].limit, in->limit);
        vmcs_write32(segs[id].ar, attr_to_ar(in->attr));
    }
    vmcs_end(vv, &a);
}

static int syscall_index(enum hvm_reg r)
{
    switch (r) {
    case HVM_REG_STAR: return 0;
    case HVM_REG_LSTAR: return 1;
    case HVM_REG_CSTAR: return 2;
    case HVM_REG_SFMASK: return 3;
    case HVM_REG_KERNEL_GS_BASE: return 4;
    default: return -1;
    }
}

uint64_t vmx_get_reg(struct vmx_vcpu *vv, enum hvm_reg r)
{
    struct vmcs_access a;
    uint64_t v = 0;
    int i = syscall_index(r);
    if (i >= 0)
        return vmx_syscall_msr(vv, (unsigned)i);
    switch (r) {
    case HVM_REG_CR0: return vmx_get_cr(vv, 0);
    case HVM_REG_CR2: return vv->cr2;
    case HVM_REG_CR3: return vmx_get_cr(vv, 3);
    case HVM_REG_CR4: return vmx_get_cr(vv, 4);
    case HVM_REG_EFER: return vmx_get_efer(vv);
    case HVM_REG_DR6: return vv->dr6;
    case HVM_REG_DR7: return vv->dr7;
    default: break;
    }
    if (!vmcs_begin(vv, &a))
        return 0;
    switch (r) {
    case HVM_REG_PAT: v = vmcs_read64(VMCS_GUEST_PAT); break;
    case HVM_REG_SYSENTER_CS: v = vmcs_read32(VMCS_GUEST_SYSENTER_CS); break;
    case HVM_REG_SYSENTER_ESP: v = vmcs_readn(VMCS_GUEST_SYSENTER_ESP); break;
    case HVM_REG_SYSENTER_EIP: v = vmcs_readn(VMCS_GUEST_SYSENTER_EIP); break;
    case HVM_REG_INTR_SHADOW:
        v = !!(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) &
               (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
        break;
    default: break;
    }
    vmcs_end(vv, &a);
    return v;
}

void vmx_set_reg(struct vmx_vcpu *vv, enum hvm_reg r, uint64_t v)
{
    struct vmcs_access a;
    int i = syscall_index(r);
    if (i >= 0) {
        vmx_set_syscall_msr(vv, (unsigned)i, v);
        return;
    }
    switch (r) {
    case HVM_REG_CR0: vmx_set_cr0(vv, v); return;
    case HVM_REG_CR2: vv->cr2 = v; return;
    case HVM_REG_CR4: vmx_set_cr4(vv, v); return;
    case HVM_REG_EFER: vmx_set_efer(vv, v); return;
    case HVM_REG_DR6: vv->dr6 = v; return;
    case HVM_REG_DR7: vv->dr7 = v; return;
    default: break;
    }
    if (!vmcs_begin(vv, &a))
        return;
    switch (r) {
    case HVM_REG_CR3: vmcs_writen(VMCS_GUEST_CR3, v); break;
    case HVM_REG_PAT: vmcs_write64(VMCS_GUEST_PAT, v); break;
    case HVM_REG_SYSENTER_CS: vmcs_write32(VMCS_GUEST_SYSENTER_CS, (uint32_t)v); break;
    case HVM_REG_SYSENTER_ESP: vmcs_writen(VMCS_GUEST_SYSENTER_ESP, v); break;
    case HVM_REG_SYSENTER_EIP: vmcs_writen(VMCS_GUEST_SYSENTER_EIP, v); break;
    case HVM_REG_INTR_SHADOW:                   /* only clearing it makes sense */
        if (!v)
            vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) &
                         ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
        break;
    default: break;
    }
    vmcs_end(vv, &a);
}
