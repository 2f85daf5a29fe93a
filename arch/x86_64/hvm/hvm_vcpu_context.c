/* VCPUOP_initialise for a PVH vCPU: struct vcpu_hvm_context (Xen 4.17
 * public/hvm/hvm_vcpu.h; Xen's checks in arch/x86/hvm/domain.c
 * arch_set_info_hvm_guest). 32-bit mode takes the segments as given (base,
 * limit, access rights in the SVM packing); 64-bit mode starts in long mode
 * with flat 64-bit CS and flat data segments, and needs CR0.PG|PE,
 * CR4.PAE and EFER.LME|LMA. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/hvm_start_info.h>

#define CR0_PE_     (1UL << 0)
#define CR0_ET_     (1UL << 4)
#define CR0_PG_     (1UL << 31)
#define CR4_PAE_    (1UL << 5)
#define EFER_LME_   (1UL << 8)
#define EFER_LMA_   (1UL << 10)
#define EFER_NXE_   (1UL << 11)
#define AR_PRESENT  (1U << 7)
#define AR_S        (1U << 4)
#define AR_CODE     (1U << 3)
#define AR_WRITE    (1U << 1)

static bool code_seg_ok(uint16_t ar)
{
    return (ar & AR_PRESENT) && (ar & AR_S) && (ar & AR_CODE);
}

static bool data_seg_ok(uint16_t ar)
{
    return !(ar & AR_PRESENT) || ((ar & AR_S) && !(ar & AR_CODE) && (ar & AR_WRITE));
}

static void set_gprs(struct cpu_regs *r, uint64_t ax, uint64_t cx, uint64_t dx, uint64_t bx,
                     uint64_t sp, uint64_t bp, uint64_t si, uint64_t di, uint64_t ip, uint64_t fl)
{
    *r = (struct cpu_regs){ .rax = ax, .rcx = cx, .rdx = dx, .rbx = bx, .rsp = sp, .rbp = bp,
                            .rsi = si, .rdi = di, .rip = ip, .rflags = (fl & 0x3f7fd7UL) | 2 };
}

static long load_32(struct vcpu *t, const struct vcpu_hvm_x86_32 *c)
{
    if (!code_seg_ok(c->cs_ar) || !data_seg_ok(c->ds_ar) || !data_seg_ok(c->ss_ar) ||
        !data_seg_ok(c->es_ar) || !(c->cr0 & CR0_PE_) ||
        (c->efer & ~(EFER_LME_ | EFER_LMA_ | EFER_NXE_)))
        return -EINVAL;
    set_gprs(&t->regs, c->eax, c->ecx, c->edx, c->ebx, c->esp, c->ebp, c->esi, c->edi, c->eip,
             c->eflags);
    const struct hvm_vendor_ops *o = hvm_vendor;
    struct hvm_seg ds = { 0, c->ds_ar, c->ds_limit, c->ds_base };
    o->set_seg(t, HVM_SEG_CS, &(struct hvm_seg){ 0, c->cs_ar, c->cs_limit, c->cs_base });
    o->set_seg(t, HVM_SEG_DS, &ds);
    o->set_seg(t, HVM_SEG_FS, &ds);
    o->set_seg(t, HVM_SEG_GS, &ds);
    o->set_seg(t, HVM_SEG_ES, &(struct hvm_seg){ 0, c->es_ar, c->es_limit, c->es_base });
    o->set_seg(t, HVM_SEG_SS, &(struct hvm_seg){ 0, c->ss_ar, c->ss_limit, c->ss_base });
    if (c->tr_ar)
        o->set_seg(t, HVM_SEG_TR, &(struct hvm_seg){ 0, c->tr_ar, c->tr_limit, c->tr_base });
    o->set_reg(t, HVM_REG_CR0, c->cr0 | CR0_ET_);
    o->set_reg(t, HVM_REG_CR3, c->cr3);
    o->set_reg(t, HVM_REG_CR4, c->cr4);
    o->set_reg(t, HVM_REG_EFER, c->efer);
    return 0;
}

static long load_64(struct vcpu *t, const struct vcpu_hvm_x86_64 *c)
{
    if ((c->cr0 & (CR0_PG_ | CR0_PE_)) != (CR0_PG_ | CR0_PE_) || !(c->cr4 & CR4_PAE_) ||
        (c->efer & (EFER_LME_ | EFER_LMA_)) != (EFER_LME_ | EFER_LMA_) ||
        (c->efer & ~(EFER_LME_ | EFER_LMA_ | EFER_NXE_ | 1UL)))
        return -EINVAL;
    set_gprs(&t->regs, c->rax, c->rcx, c->rdx, c->rbx, c->rsp, c->rbp, c->rsi, c->rdi, c->rip,
             c->rflags);
    const struct hvm_vendor_ops *o = hvm_vendor;
    struct hvm_seg data = { 0, 0xc93, 0xffffffff, 0 };
    o->set_seg(t, HVM_SEG_CS, &(struct hvm_seg){ 0, 0xa9b, 0xffffffff, 0 });  /* L, P, code */
    o->set_seg(t, HVM_SEG_DS, &data);
    o->set_seg(t, HVM_SEG_ES, &data);
    o->set_seg(t, HVM_SEG_FS, &data);
    o->set_seg(t, HVM_SEG_GS, &data);
    o->set_seg(t, HVM_SEG_SS, &data);
    o->set_reg(t, HVM_REG_CR0, c->cr0 | CR0_ET_);
    o->set_reg(t, HVM_REG_CR3, c->cr3);
    o->set_reg(t, HVM_REG_CR4, c->cr4);
    o->set_reg(t, HVM_REG_EFER, c->efer);
    return 0;
}

long hvm_vcpu_initialise(struct vcpu *t, uint64_t arg)
{
    struct vcpu_hvm_context c;
    if (t->initialised)
        return -EEXIST;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -EFAULT;
    long rc;
    switch (c.mode) {
    case VCPU_HVM_MODE_32B:
        rc = load_32(t, &c.cpu_regs.x86_32);
        break;
    case VCPU_HVM_MODE_64B:
        rc = load_64(t, &c.cpu_regs.x86_64);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    if (!rc)
        t->initialised = true;
    return rc;
}
