/* mmu_update (#1), update_va_mapping (#14), mmuext_op (#26) (ref 5.3-5.5):
 * every change to a guest page table goes through the validator
 * (include/keel/pv_mm.h) under the domain's lock. Other domains' frames
 * (foreigndom) are refused until grants and the privileged foreign-mapping
 * path exist. Long batches continue by re-issuing the hypercall. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/log.h>
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
    struct pv_mm_ctx *ctx = &d->mm_ctx;
    struct batch b;
    long rc;
    uint32_t i;

    if ((rc = batch_start(v, a2, a3, a4, &b)))
        return rc;
    uint64_t f = domain_lock(d);
    for (i = 0; i < b.limit; i++) {
        struct mmu_update u;
        if (copy_from_guest(&u, a1 + i * sizeof(u), sizeof(u))) {
            rc = -EFAULT;
            break;
        }
        /* The command is in the low 3 bits of ptr, the entry's address
         * in the rest (Xen 4.17 do_mmu_update: cmd = ptr & 7, ptr -= cmd). */
        unsigned cmd = (unsigned)(u.ptr & MMU_UPDATE_CMD_MASK);
        mfn_t mfn = u.ptr >> PAGE_SHIFT;
        switch (cmd) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
            rc = pv_pt_update_entry(ctx, mfn, (unsigned)((u.ptr & (PAGE_SIZE - 1)) >> 3), u.val,
                                    cmd == MMU_PT_UPDATE_PRESERVE_AD);
            break;
        case MMU_MACHPHYS_UPDATE:
            if (!pv_frame_owned(ctx, mfn))
                rc = -EPERM;
            else
                m2p_set(mfn, u.val);
            break;
        default:
            rc = -ENOSYS;
            break;
        }
        if (rc) {
            log_debug("domain %u: mmu_update ptr %lx val %lx: %ld\n", d->id, u.ptr, u.val, rc);
            break;
        }
    }
    domain_unlock(d, f);
    /* No flush here: the guest flushes for its own view (as under Xen);
     * Keel's safety needs a flush only before a frame changes type or
     * owner, and the PV memory core asks for that (flush_stale_tlbs). */
    return batch_end(regs, __HYPERVISOR_mmu_update, a1, sizeof(struct mmu_update), a3, &b, i, rc);
}

/* Reads the guest's vCPU bitmap for a *_MULTI flush (ref 5.4/5.5). */
static long read_vcpu_mask(struct vcpu *v, uint64_t ptr, uint64_t mask[MAX_VCPUS_PER_DOMAIN / 64])
{
    memset(mask, 0, MAX_VCPUS_PER_DOMAIN / 8);
    size_t words = (v->d->nr_vcpus + 63) / 64;
    return copy_from_guest(mask, ptr, words * 8) ? -EFAULT : 0;
}

/* A flush of the whole TLB or of one address: here (LOCAL), on the CPUs
 * of the vCPUs in a guest bitmap (MULTI), or wherever the domain's
 * translations may be cached (ALL). */
enum flush_scope { FLUSH_LOCAL, FLUSH_MULTI, FLUSH_ALL };

static long flush_tlbs(struct vcpu *v, enum flush_scope scope, uint64_t mask_ptr, bool all, uint64_t va)
{
    uint64_t mask[MAX_VCPUS_PER_DOMAIN / 64];
    if (!all && !guest_range_ok(va, 1))
        return -EINVAL;
    if (scope == FLUSH_LOCAL) {
        if (all)
            flush_tlb_local_all();
        else
            invlpg(va);
        return 0;
    }
    if (scope == FLUSH_MULTI && read_vcpu_mask(v, mask_ptr, mask))
        return -EFAULT;
    pv_flush_domain_tlbs(v->d, scope == FLUSH_MULTI ? mask : NULL, all, va);
    return 0;
}

/* update_va_mapping's flags: flush type in bits 0-1; bit 2 ALL; any other
 * upper bits are the address of a vCPU bitmap (MULTI), none is LOCAL. */
static long flush_as_asked(struct vcpu *v, uint64_t flags, uint64_t va)
{
    uint64_t type = flags & UVMF_FLUSHTYPE_MASK, target = flags & ~UVMF_FLUSHTYPE_MASK;
    if (type == UVMF_NONE)
        return 0;
    enum flush_scope scope = target == 0 ? FLUSH_LOCAL : target == UVMF_ALL ? FLUSH_ALL : FLUSH_MULTI;
    return flush_tlbs(v, scope, target, type == UVMF_TLB_FLUSH, va);
}

DECLARE_HYPERCALL(update_va_mapping)
{
    (void)regs, (void)a4, (void)a5;
    uint64_t f = domain_lock(v->d);
    long rc = pv_update_va_mapping(&v->d->mm_ctx, v->cr3_kernel, a1, a2);
    domain_unlock(v->d, f);
    if (rc)
        return rc;
    /* Flushes only as asked (as Xen): safety never depends on them (see
     * mmu_update). */
    return flush_as_asked(v, a3, a1);
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
        return flush_tlbs(v, FLUSH_LOCAL, 0, true, 0);
    case MMUEXT_TLB_FLUSH_MULTI:        /* an unreadable bitmap: -EINVAL here (Xen) */
        return flush_tlbs(v, FLUSH_MULTI, op->arg2.vcpumask, true, 0) ? -EINVAL : 0;
    case MMUEXT_TLB_FLUSH_ALL:
        return flush_tlbs(v, FLUSH_ALL, 0, true, 0);
    case MMUEXT_INVLPG_LOCAL:
        return flush_tlbs(v, FLUSH_LOCAL, 0, false, op->arg1.linear_addr);
    case MMUEXT_INVLPG_MULTI:
        return flush_tlbs(v, FLUSH_MULTI, op->arg2.vcpumask, false, op->arg1.linear_addr) ? -EINVAL : 0;
    case MMUEXT_INVLPG_ALL:
        return flush_tlbs(v, FLUSH_ALL, 0, false, op->arg1.linear_addr);
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
    struct pv_mm_ctx *ctx = &d->mm_ctx;
    struct batch b;
    long rc;
    uint32_t i;

    if ((rc = batch_start(v, a2, a3, a4, &b)))
        return rc;
    for (i = 0; i < b.limit; i++) {
        struct mmuext_op op;
        if (copy_from_guest(&op, a1 + i * sizeof(op), sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        uint64_t f = domain_lock(d);
        rc = mmuext_one(v, ctx, &op);
        domain_unlock(d, f);
        if (rc)
            break;
    }
    return batch_end(regs, __HYPERVISOR_mmuext_op, a1, sizeof(struct mmuext_op), a3, &b, i, rc);
}
