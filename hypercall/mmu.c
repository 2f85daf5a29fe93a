/* mmu_update (#1), update_va_mapping (#14), mmuext_op (#26) (ref 5.3-5.5):
 * every change to a guest page table goes through the validator
 * (include/keel/pv_mm.h) under the domain's lock. Other domains' frames
 * (foreigndom) are refused until grants and the privileged foreign-mapping
 * path exist. Long batches continue by re-issuing the hypercall. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/m2p.h>
#include <keel/mm.h>
#include <keel/pv_glue.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <public/xen.h>

#define BATCH_PER_ENTRY 256     /* work per hypercall entry before continuing */
#define BATCH_IN_MULTICALL 8192 /* a multicall entry cannot continue: its cap */

static bool own_domain(struct vcpu *v, uint64_t foreigndom)
{
    uint16_t fd = (uint16_t)foreigndom, pfd = (uint16_t)(foreigndom >> 16);
    return (fd == DOMID_SELF || fd == v->d->id) && pfd == 0;
}

/* Continue later: rewind to the syscall with updated arguments (ref 4.1). */
static long continue_later(struct cpu_regs *regs, unsigned nr, uint64_t a1, uint64_t a2)
{
    regs->rip -= 2;
    regs->rax = nr;
    regs->rdi = a1;
    regs->rsi = a2;
    return HYPERCALL_KEEP_REGS;
}

static long add_done(uint64_t done_ptr, uint32_t n)
{
    uint32_t total;
    if (!done_ptr)
        return 0;
    if (copy_from_guest(&total, done_ptr, sizeof(total)))
        return -EFAULT;
    total += n;
    return copy_to_guest(done_ptr, &total, sizeof(total)) ? -EFAULT : 0;
}

struct batch {
    uint32_t count;         /* entries left */
    uint32_t limit;         /* entries to do in this entry to the hypervisor */
};

/* The checks and the `done` reset every batch starts with (not again when
 * it continues: then `done` already counts the first part). Inside a
 * multicall a batch cannot continue later, so it is done whole, capped. */
static long batch_start(struct vcpu *v, uint64_t count_arg, uint64_t done_ptr,
                        uint64_t foreigndom, struct batch *b)
{
    uint32_t zero = 0;
    bool resumed = count_arg & MMU_UPDATE_PREEMPTED;
    b->count = (uint32_t)count_arg & ~MMU_UPDATE_PREEMPTED;
    if (!own_domain(v, foreigndom))
        return -EPERM;
    if (v->in_multicall && b->count > BATCH_IN_MULTICALL)
        return -E2BIG;
    b->limit = v->in_multicall ? b->count : MIN(b->count, (uint32_t)BATCH_PER_ENTRY);
    if (!resumed && done_ptr && copy_to_guest(done_ptr, &zero, sizeof(zero)))
        return -EFAULT;
    return 0;
}

/* After `done` entries: report them, and re-issue the call for the rest. */
static long batch_end(struct cpu_regs *regs, unsigned nr, uint64_t list, size_t entry_size,
                      uint64_t done_ptr, const struct batch *b, uint32_t done, long rc)
{
    if (add_done(done_ptr, done))
        return -EFAULT;
    if (!rc && done < b->count)
        return continue_later(regs, nr, list + done * entry_size,
                              (b->count - done) | MMU_UPDATE_PREEMPTED);
    return rc;
}

DECLARE_HYPERCALL(mmu_update)
{
    (void)a5;
    struct domain *d = v->d;
    struct pv_mm_ctx ctx;
    struct batch b;
    long rc;
    uint32_t i;

    if ((rc = batch_start(v, a2, a3, a4, &b)))
        return rc;
    pv_mm_ctx_init(&ctx, d);
    uint64_t f = spin_lock_irqsave(&d->lock);
    for (i = 0; i < b.limit; i++) {
        struct mmu_update u;
        if (copy_from_guest(&u, a1 + i * sizeof(u), sizeof(u))) {
            rc = -EFAULT;
            break;
        }
        mfn_t mfn = u.ptr >> PAGE_SHIFT;
        switch (u.ptr & MMU_UPDATE_CMD_MASK) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
            if (u.ptr & 7)
                rc = -EINVAL;
            else
                rc = pv_pt_update_entry(&ctx, mfn, (unsigned)((u.ptr & (PAGE_SIZE - 1)) >> 3), u.val,
                                        (u.ptr & MMU_UPDATE_CMD_MASK) == MMU_PT_UPDATE_PRESERVE_AD);
            break;
        case MMU_MACHPHYS_UPDATE:
            if (!pv_frame_owned(&ctx, mfn))
                rc = -EPERM;
            else
                m2p_set(mfn, u.val);
            break;
        default:
            rc = -ENOSYS;
            break;
        }
        if (rc)
            break;
    }
    spin_unlock_irqrestore(&d->lock, f);
    flush_tlb_local_all();
    return batch_end(regs, __HYPERVISOR_mmu_update, a1, sizeof(struct mmu_update), a3, &b, i, rc);
}

static void flush_as_asked(uint64_t flags, uint64_t va)
{
    switch (flags & UVMF_FLUSHTYPE_MASK) {
    case UVMF_INVLPG:
        invlpg(va);
        break;
    case UVMF_TLB_FLUSH:
        flush_tlb_local_all();
        break;
    default:
        break;
    }
}

DECLARE_HYPERCALL(update_va_mapping)
{
    (void)regs, (void)a4, (void)a5;
    struct pv_mm_ctx ctx;
    pv_mm_ctx_init(&ctx, v->d);
    uint64_t f = spin_lock_irqsave(&v->d->lock);
    long rc = pv_update_va_mapping(&ctx, v->cr3_kernel, a1, a2);
    spin_unlock_irqrestore(&v->d->lock, f);
    /* Any entry change may leave a stale translation of va. */
    flush_as_asked(rc ? UVMF_NONE : (a3 & UVMF_FLUSHTYPE_MASK) ? a3 : UVMF_INVLPG, a1);
    return rc;
}

static long mmuext_one(struct vcpu *v, struct pv_mm_ctx *ctx, const struct mmuext_op *op)
{
    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
        return pv_pin(ctx, op->arg1.mfn, op->cmd - MMUEXT_PIN_L1_TABLE + 1);
    case MMUEXT_UNPIN_TABLE:
        return pv_unpin(ctx, op->arg1.mfn);
    case MMUEXT_NEW_BASEPTR: {
        int rc = pv_vcpu_set_base(v, op->arg1.mfn, false);
        if (!rc && v->kernel_mode) {
            write_cr3(v->cr3_kernel << PAGE_SHIFT);
            flush_tlb_local_all();      /* the old tables' global user pages too */
        }
        return rc;
    }
    case MMUEXT_NEW_USER_BASEPTR:
        return pv_vcpu_set_base(v, op->arg1.mfn, true);
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_TLB_FLUSH_ALL:
        flush_tlb_local_all();          /* one vCPU per domain runs at a time so far */
        return 0;
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_INVLPG_MULTI:
    case MMUEXT_INVLPG_ALL:
        if (!guest_range_ok(op->arg1.linear_addr, 1))
            return -EINVAL;
        invlpg(op->arg1.linear_addr);
        return 0;
    case MMUEXT_SET_LDT:
        return pv_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
    case MMUEXT_CLEAR_PAGE:
        if (!pv_frame_is_writable_mappable(ctx, op->arg1.mfn))
            return -EINVAL;
        memset(mfn_to_virt(op->arg1.mfn), 0, PAGE_SIZE);
        return 0;
    case MMUEXT_COPY_PAGE:
        if (!pv_frame_is_writable_mappable(ctx, op->arg1.mfn) || !pv_frame_owned(ctx, op->arg2.src_mfn))
            return -EINVAL;
        memcpy(mfn_to_virt(op->arg1.mfn), mfn_to_virt(op->arg2.src_mfn), PAGE_SIZE);
        return 0;
    case MMUEXT_FLUSH_CACHE:
    case MMUEXT_FLUSH_CACHE_GLOBAL:
        return v->d->privileged ? 0 : -EPERM;
    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -EOPNOTSUPP;
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_mmuext_op, "mmuext_op", op->cmd);
    }
}

DECLARE_HYPERCALL(mmuext_op)
{
    (void)a5;
    struct domain *d = v->d;
    struct pv_mm_ctx ctx;
    struct batch b;
    long rc;
    uint32_t i;

    if ((rc = batch_start(v, a2, a3, a4, &b)))
        return rc;
    pv_mm_ctx_init(&ctx, d);
    for (i = 0; i < b.limit; i++) {
        struct mmuext_op op;
        if (copy_from_guest(&op, a1 + i * sizeof(op), sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        uint64_t f = spin_lock_irqsave(&d->lock);
        rc = mmuext_one(v, &ctx, &op);
        spin_unlock_irqrestore(&d->lock, f);
        if (rc)
            break;
    }
    return batch_end(regs, __HYPERVISOR_mmuext_op, a1, sizeof(struct mmuext_op), a3, &b, i, rc);
}
