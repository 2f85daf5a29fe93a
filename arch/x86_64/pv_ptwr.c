/* Writable page tables, the fault path (include/keel/pv_ptwr.h; Xen 4.17
 * xen/arch/x86/pv/ro-page-fault.c and traps.c fixup_page_fault for the
 * conditions). A write fault from guest kernel mode, on a present page
 * that the guest maps read-only and that is one of its validated L1
 * tables, with VMASST_TYPE_writable_pagetables on: the instruction is
 * decoded and executed here, the new entry checked and stored through the
 * PV memory core (as mmu_update would), and the guest resumes after it.
 * Anything else (another instruction, a write crossing the entry, a
 * refused entry) is the guest's own page fault, as on Xen. */
#include <keel/pv_ptwr.h>
#include <keel/pv_emulate.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pv_glue.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <public/xen.h>

#define PFEC_P      (1UL << 0)
#define PFEC_W      (1UL << 1)
#define PFEC_RSVD   (1UL << 3)
#define PFEC_I      (1UL << 4)
#define RETRIES     64          /* lost races with the CPU's A/D updates */

static void regs_to_gprs(const struct cpu_regs *r, struct ptwr_gprs *g)
{
    *g = (struct ptwr_gprs){ { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
                               r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 } };
}

static void gprs_to_regs(const struct ptwr_gprs *g, struct cpu_regs *r)
{
    r->rax = g->r[0], r->rcx = g->r[1], r->rdx = g->r[2], r->rbx = g->r[3];
    r->rsp = g->r[4], r->rbp = g->r[5], r->rsi = g->r[6], r->rdi = g->r[7];
    r->r8 = g->r[8], r->r9 = g->r[9], r->r10 = g->r[10], r->r11 = g->r[11];
    r->r12 = g->r[12], r->r13 = g->r[13], r->r14 = g->r[14], r->r15 = g->r[15];
}

/* The instruction at RIP, as many bytes as can be read (up to 15). */
static unsigned fetch(uint64_t rip, uint8_t b[15])
{
    unsigned n = 0;
    while (n < 15 && !copy_from_guest(&b[n], rip + n, 1))
        n++;
    return n;
}

static void refuse_once(struct vcpu *v, const char *why, uint64_t rip, const uint8_t *b, unsigned n)
{
    if (__atomic_exchange_n(&v->d->ptwr_warned, true, __ATOMIC_RELAXED))
        return;
    log_warn("domain %u: write to a page table at rip %lx not emulated (%s): %02x %02x %02x %02x %02x %02x\n",
             v->d->id, rip, why, n > 0 ? b[0] : 0, n > 1 ? b[1] : 0, n > 2 ? b[2] : 0,
             n > 3 ? b[3] : 0, n > 4 ? b[4] : 0, n > 5 ? b[5] : 0);
}

/* Under the domain lock: the L1 table behind the read-only mapping of cr2,
 * and the entry written. */
static int find_target(struct pv_mm_ctx *ctx, struct vcpu *v, uint64_t cr2, mfn_t *table)
{
    mfn_t l1;
    unsigned idx;
    if (!v->cr3_kernel || pv_find_l1_slot(ctx, v->cr3_kernel, cr2, &l1, &idx))
        return -EINVAL;
    uint64_t pte = READ_ONCE(((uint64_t *)mfn_to_virt(l1))[idx]);
    if ((pte & (PV_PTE_P | PV_PTE_RW)) != PV_PTE_P)
        return -EINVAL;                 /* not a read-only mapping (any more) */
    mfn_t t = pv_pte_mfn(pte);
    if (!pv_frame_owned(ctx, t))
        return -EINVAL;
    uint32_t ti = frame_table[t].type_info;
    if (pv_ti_type(ti) != PV_TYPE_L1 || !pv_ti_count(ti) || !(ti & PV_TI_VALIDATED))
        return -EINVAL;                 /* only L1 tables are written this way (Xen too) */
    *table = t;
    return 0;
}

bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint64_t error)
{
    if (!v->kernel_mode || !(__atomic_load_n(&v->d->vm_assist, __ATOMIC_RELAXED) & (1UL << VMASST_TYPE_writable_pagetables)) ||
        (error & (PFEC_P | PFEC_W | PFEC_RSVD | PFEC_I)) != (PFEC_P | PFEC_W) ||
        !guest_range_ok(cr2, 1))
        return false;

    mfn_t table = 0;
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    uint64_t f = domain_lock(v->d);
    int rc = find_target(ctx, v, cr2, &table);
    domain_unlock(v->d, f);
    if (rc)
        return false;                   /* not a page table: the guest's own fault */

    uint8_t b[15];
    unsigned n = fetch(regs->rip, b);
    struct ptwr_insn in;
    if (ptwr_decode(b, n, &in)) {
        refuse_once(v, "instruction", regs->rip, b, n);
        return false;
    }
    struct ptwr_gprs g;
    regs_to_gprs(regs, &g);
    uint64_t seg_base = in.seg == 4 ? rdmsr(MSR_FS_BASE) : in.seg == 5 ? rdmsr(MSR_GS_BASE) : 0;
    uint64_t ea = ptwr_address(&in, &g, regs->rip + in.len, seg_base);
    /* Naturally aligned, within the faulting page: one entry, no other page. */
    if (((ea ^ cr2) >> PAGE_SHIFT) || (ea & (in.size - 1)))
        return false;

    struct ptwr_result res;
    unsigned index = (unsigned)((ea & (PAGE_SIZE - 1)) >> 3), shift = (unsigned)(ea & 7) * 8;
    uint64_t mask = in.size == 8 ? ~0UL : ((1UL << (8 * in.size)) - 1) << shift;

    f = domain_lock(v->d);
    rc = find_target(ctx, v, cr2, &table);     /* again: it may have changed */
    for (unsigned tries = 0; !rc && tries < RETRIES; tries++) {
        const uint64_t *entry = (const uint64_t *)mfn_to_virt(table) + index;
        uint64_t cur = __atomic_load_n(entry, __ATOMIC_RELAXED);
        ptwr_execute(&in, (cur & mask) >> shift, &g, regs->rflags, &res);
        if (!res.write_mem)
            break;
        rc = pv_pt_cmpxchg_entry(ctx, table, index, cur, (cur & ~mask) | ((res.mem << shift) & mask));
        if (rc != -EAGAIN)
            break;
    }
    domain_unlock(v->d, f);
    if (rc == -EAGAIN)
        return true;                    /* still racing: the guest runs it again */
    if (rc) {
        log_debug("domain %u: page-table write at %lx refused (%d)\n", v->d->id, ea, rc);
        return false;                   /* the guest's own #PF, as Xen does */
    }
    gprs_to_regs(&res.gprs, regs);
    regs->rflags = res.rflags;
    regs->rip += in.len;
    return true;
}
