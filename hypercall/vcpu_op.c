/* vcpu_op (#24) (ref/xen-pv-abi.md 5.15): bringing a domain's other vCPUs
 * up (initialise, up), down and asking about them, and moving vcpu_info
 * out of shared_info (register_vcpu_info). The timer and runstate sub-ops
 * come with the time and scheduling issue. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/fpu.h>
#include <keel/guest_access.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pv_glue.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <public/arch_x86_64.h>
#include <public/sched.h>
#include <public/vcpu.h>

#define RFLAGS_IOPL_SHIFT               12
#define MAX_LDT_ENTRIES                 8192

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Every address in the context must be canonical (Xen checks the same). */
static bool context_addresses_ok(const struct vcpu_guest_context *c)
{
    uint64_t a[] = { c->user_regs.rip, c->user_regs.rsp, c->kernel_sp, c->ldt_base,
                     c->fs_base, c->gs_base_kernel, c->gs_base_user, c->event_callback_eip,
                     c->failsafe_callback_eip, c->syscall_callback_eip };
    for (unsigned i = 0; i < ARRAY_SIZE(a); i++)
        if (!canonical(a[i]))
            return false;
    for (unsigned i = 0; i < 256; i++)
        if (!canonical(c->trap_ctxt[i].address))
            return false;
    return true;
}

static long check_context(struct vcpu *t, const struct vcpu_guest_context *c)
{
    if (!context_addresses_ok(c))
        return -EINVAL;
    if ((c->ldt_base & (PAGE_SIZE - 1)) || c->ldt_ents > MAX_LDT_ENTRIES)
        return -EINVAL;
    if (c->gdt_ents > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    if (!(c->flags & VGCF_IN_KERNEL) && !c->ctrlreg[1])
        return -EINVAL;                 /* user mode needs a user L4 */
    if (!t->vcpu_info)
        return -EINVAL;                 /* ref 5.15: no vcpu_info slot */
    return 0;
}

static void load_registers(struct vcpu *t, const struct vcpu_guest_context *c)
{
    const struct cpu_user_regs *u = &c->user_regs;
    struct cpu_regs *r = &t->regs;
    *r = (struct cpu_regs){
        .r15 = u->r15, .r14 = u->r14, .r13 = u->r13, .r12 = u->r12, .rbp = u->rbp,
        .rbx = u->rbx, .r11 = u->r11, .r10 = u->r10, .r9 = u->r9, .r8 = u->r8,
        .rax = u->rax, .rcx = u->rcx, .rdx = u->rdx, .rsi = u->rsi, .rdi = u->rdi,
        .rip = u->rip, .rsp = u->rsp,
        .cs = u->cs | 3U, .ss = u->ss | 3U,   /* RPL 3: the guest kernel runs in ring 3 */
        /* Real IF always on; the guest's IOPL becomes its virtual IOPL. */
        .rflags = (u->rflags & 0x0000000000040dd5UL) | RFLAGS_IF | 2,
    };
    t->iopl = (unsigned)((u->rflags >> RFLAGS_IOPL_SHIFT) & 3);
    t->ds = u->ds, t->es = u->es, t->fs = u->fs, t->gs = u->gs;
    t->fs_base = c->fs_base;
    t->gs_base_kernel = c->gs_base_kernel;
    t->gs_base_user = c->gs_base_user;
    t->kernel_mode = c->flags & VGCF_IN_KERNEL;
}

static void load_callbacks_and_traps(struct vcpu *t, const struct vcpu_guest_context *c)
{
    for (unsigned i = 0; i < 256; i++) {
        const struct trap_info *ti = &c->trap_ctxt[i];
        t->traps[i] = (struct pv_trap){ ti->address, ti->cs, ti->flags };
    }
    t->event_callback = c->event_callback_eip;
    t->failsafe_callback = c->failsafe_callback_eip;
    t->failsafe_masks_events = c->flags & VGCF_FAILSAFE_DISABLES_EVENTS;
    t->syscall_callback = c->syscall_callback_eip;
    t->syscall_flags = (c->flags & VGCF_SYSCALL_DISABLES_EVENTS) ? 1 : 0;
    t->kernel_ss = c->kernel_ss;
    t->kernel_sp = c->kernel_sp;
}

/* Page tables, then the GDT, LDT and debug registers (all validated); on any
 * failure what was taken is given back and t stays uninitialised. */
static long load_tables(struct vcpu *t, const struct vcpu_guest_context *c)
{
    struct domain *d = t->d;
    mfn_t kernel_l4 = c->ctrlreg[3] >> PAGE_SHIFT, user_l4 = c->ctrlreg[1] >> PAGE_SHIFT;
    uint64_t f = domain_lock(d);
    long rc = pv_vcpu_set_base(t, kernel_l4, false);
    if (!rc && user_l4 && (rc = pv_vcpu_set_base(t, user_l4, true)))
        pv_vcpu_set_base(t, 0, false);
    domain_unlock(d, f);
    if (rc)
        return rc;
    mfn_t frames[FIRST_RESERVED_GDT_PAGE];
    for (unsigned i = 0; i < ARRAY_SIZE(frames); i++)
        frames[i] = c->gdt_frames[i];
    rc = pv_set_gdt_frames(t, frames, c->gdt_ents);
    if (!rc) {                          /* through t's kernel page tables */
        f = domain_lock(d);
        rc = pv_set_ldt(t, c->ldt_base, c->ldt_ents);
        domain_unlock(d, f);
    }
    for (unsigned i = 0; !rc && i < 8; i++)
        if (i != 4 && i != 5)
            rc = pv_set_debugreg(t, i, c->debugreg[i]);
    if (rc) {
        pv_release_ldt(t);
        pv_release_gdt(t);
        f = domain_lock(d);
        pv_vcpu_set_base(t, 0, false);
        pv_vcpu_set_base(t, 0, true);
        domain_unlock(d, f);
    }
    return rc;
}

static long vcpu_initialise(struct vcpu *t, uint64_t arg)
{
    if (t->initialised)
        return -EEXIST;
    struct vcpu_guest_context *c = kmalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    long rc = copy_from_guest(c, arg, sizeof(*c)) ? -EFAULT : check_context(t, c);
    if (!rc) {
        fpu_init_state(t);
        if (c->flags & VGCF_I387_VALID)
            rc = fpu_load_legacy_image(t, c->fpu_ctxt);
    }
    if (!rc)
        rc = load_tables(t, c);
    if (!rc) {
        load_registers(t, c);
        load_callbacks_and_traps(t, c);
        t->initialised = true;
    }
    kfree(c);
    return rc;
}

/* Down: t stops at its next return to the guest (at once if it is the
 * caller); the last vCPU down powers the domain off (ref 5.15). */
static long vcpu_down(struct vcpu *t)
{
    struct domain *d = t->d;
    t->online = false;
    sched_kick(t);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->online)
            return 0;
    domain_shutdown(d, SHUTDOWN_poweroff);
    return 0;
}

/* vcpu_info moves into a guest frame (ref 5.15): its contents are copied,
 * and an upcall is forced so that the guest rescans its events. The frame
 * keeps a writable-type reference until the vCPU is destroyed. */
static long register_vcpu_info(struct vcpu *t, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    /* Xen's order and values: a bad offset is -ENXIO, the rest -EINVAL. */
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || (r.offset & 7))
        return -ENXIO;
    if (t->vcpu_info_mfn)
        return -EINVAL;                 /* once per vCPU */
    if (t != current_vcpu() && t->online)
        return -EINVAL;                 /* only itself, or a vCPU that is down */
    struct pv_mm_ctx *ctx = &t->d->mm_ctx;
    uint64_t f = domain_lock(t->d);
    long rc = pv_frame_owned(ctx, r.mfn) ? pv_get_type(ctx, r.mfn, PV_TYPE_WRITABLE) : -EINVAL;
    domain_unlock(t->d, f);
    if (rc)
        return -EINVAL;                 /* not ours, or a page table / descriptor page */
    struct vcpu_info *area = (struct vcpu_info *)((uint8_t *)mfn_to_virt(r.mfn) + r.offset);
    memcpy(area, t->vcpu_info, sizeof(*area));
    t->vcpu_info = area;
    t->vcpu_info_mfn = r.mfn;
    WRITE_ONCE(area->evtchn_pending_sel, ~0UL);
    WRITE_ONCE(area->evtchn_upcall_pending, 1);
    pv_time_update(t);
    return 0;
}

DECLARE_HYPERCALL(vcpu_op)
{
    (void)regs, (void)a4, (void)a5;
    struct domain *d = v->d;
    if (a2 >= d->nr_vcpus || !d->vcpu[a2])
        return -ENOENT;
    struct vcpu *t = d->vcpu[a2];

    bool pvh = d->type == DOMAIN_PVH;
    switch ((int)a1) {
    case VCPUOP_initialise:
        return pvh ? hvm_vcpu_initialise(t, a3) : vcpu_initialise(t, a3);
    case VCPUOP_up:
        if (!t->initialised)
            return -EINVAL;
        if (!t->online)
            vcpu_start(t);
        return 0;
    case VCPUOP_down:
        return t->online ? vcpu_down(t) : 0;
    case VCPUOP_is_up:
        return t->online;
    case VCPUOP_register_vcpu_info:
        return pvh ? hvm_register_vcpu_info(t, a3) : register_vcpu_info(t, a3);
    case VCPUOP_set_periodic_timer:
    case VCPUOP_stop_periodic_timer:
    case VCPUOP_set_singleshot_timer:
    case VCPUOP_stop_singleshot_timer:
        return vcpu_op_timer(v, t, (int)a1, a3);
    case VCPUOP_register_runstate_memory_area:
        return vcpu_op_runstate(v, t, (int)a1, a3);
    case VCPUOP_get_runstate_info:
        return vcpu_op_runstate(v, t, (int)a1, a3);
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_vcpu_op, "vcpu_op", a1);
    }
}
