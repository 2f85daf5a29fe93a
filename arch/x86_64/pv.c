/* PV vCPU execution: the per-CPU syscall entry stub, entering the guest,
 * leaving it for the idle loop, and bouncing the guest's own exceptions to
 * its trap table (ref/xen-pv-abi.md 3.4-3.5). */
#include <keel/vcpu.h>
#include <keel/cpufeature.h>
#include <keel/desc.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/hvm.h>
#include <keel/hypercall.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/pv_emulate.h>
#include <keel/pv_glue.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/x86.h>

#define MSR_SFMASK          0xc0000084
#define MSR_CSTAR           0xc0000083
#define SYSCALL_VECTOR_MARK 0x100       /* struct cpu_regs.vector for a syscall frame */

extern char pv_syscall_entry[];
void pv_return_to_guest(struct cpu_regs *frame) __noreturn;

/* ---- per-CPU syscall stub ----
 * SYSCALL does not switch stacks, and Keel keeps no per-CPU segment base,
 * so each CPU gets a few bytes of code with its own addresses built in:
 *   movabs %rax, scratch        save the guest's RAX (hypercall number)
 *   mov    %rsp, %rax           guest RSP
 *   movabs $top, %rsp           this CPU's stack top (cpu_info)
 *   push   $FLAT_RING3_DS       ss
 *   push   %rax                 rsp
 *   push   %r11                 rflags (SYSCALL saved them in R11)
 *   push   $FLAT_RING3_CS64     cs
 *   push   %rcx                 rip (SYSCALL saved it in RCX)
 *   push   $0                   error code
 *   push   $SYSCALL_VECTOR_MARK vector
 *   movabs $pv_syscall_entry, %rax ; jmp *%rax                            */
static size_t emit_stub(uint8_t *p, uint64_t scratch, uint64_t top)
{
    uint8_t *s = p;
#define EMIT(...) do { const uint8_t b_[] = { __VA_ARGS__ }; memcpy(p, b_, sizeof(b_)); p += sizeof(b_); } while (0)
#define IMM64(v) do { uint64_t v_ = (v); memcpy(p, &v_, 8); p += 8; } while (0)
#define IMM32(v) do { uint32_t v_ = (v); memcpy(p, &v_, 4); p += 4; } while (0)
    EMIT(0x48, 0xa3); IMM64(scratch);
    EMIT(0x48, 0x89, 0xe0);
    EMIT(0x48, 0xbc); IMM64(top);
    EMIT(0x68); IMM32(FLAT_RING3_DS);
    EMIT(0x50);
    EMIT(0x41, 0x53);
    EMIT(0x68); IMM32(FLAT_RING3_CS64);
    EMIT(0x51);
    EMIT(0x6a, 0x00);
    EMIT(0x68); IMM32(SYSCALL_VECTOR_MARK);
    EMIT(0x48, 0xb8); IMM64((uint64_t)pv_syscall_entry);
    EMIT(0xff, 0xe0);
#undef EMIT
#undef IMM64
#undef IMM32
    return (size_t)(p - s);
}

void pv_cpu_init(void)
{
    struct cpu_info *ci = get_cpu_info();
    mfn_t mfn;
    if (alloc_frames(0, &mfn))
        return;
    uint8_t *page = mfn_to_virt(mfn);
    memset(page, 0xcc, PAGE_SIZE);
    emit_stub(page, (uint64_t)&ci->scratch, (uint64_t)ci);
    /* Map it read-only and executable (the direct map is not executable). */
    vaddr_t va = vmap_exec_page(mfn);
    if (!va) {
        log_err("pv: cannot map the syscall stub on CPU %u\n", smp_processor_id());
        return;
    }
    wrmsr(MSR_STAR, ((uint64_t)(FLAT_RING3_CS32 & ~3) << 48) | ((uint64_t)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, va);
    /* Keel runs no 32-bit guest code; a compat-mode syscall is handled as
     * a 64-bit one (the frame is the guest's business either way). */
    wrmsr(MSR_CSTAR, va);
    /* Entering with interrupts off, DF/TF/AC/NT clear. */
    wrmsr(MSR_SFMASK, RFLAGS_IF | (1UL << 8) | (1UL << 10) | (1UL << 14) | (1UL << 18));
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* ---- vcpu_info (ref 6.2): upcall_pending @0, upcall_mask @1, arch.cr2 @16 ---- */

static uint8_t *vcpu_info_bytes(struct vcpu *v)
{
    return v->vcpu_info;
}

bool pv_events_masked(struct vcpu *v)
{
    return vcpu_info_bytes(v) ? vcpu_info_bytes(v)[1] : true;
}

void pv_set_events_masked(struct vcpu *v, bool masked)
{
    if (vcpu_info_bytes(v))
        WRITE_ONCE(vcpu_info_bytes(v)[1], masked ? 1 : 0);
}

/* ---- entering and leaving the guest ---- */

void reset_stack_and_call(void (*fn)(void *), void *arg) __noreturn;

static void load_guest_page_tables(struct vcpu *v)
{
    write_cr3((v->kernel_mode ? v->cr3_kernel : v->cr3_user) << PAGE_SHIFT);
}

/* A data breakpoint the guest set can fire when Keel touches the watched
 * guest memory (a hypercall copying a buffer). As Xen does, that #DB is
 * not the guest's: note its status in the guest's DR6 and go on. */
bool pv_debug_trap_in_hypervisor(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();
    if ((regs->cs & 3) || !v)
        return false;
    uint64_t dr6;
    __asm__ __volatile__("mov %%dr6, %0" : "=r"(dr6));
    __asm__ __volatile__("mov %0, %%dr6" : : "r"(0xffff0ff0UL));
    v->dr[6] |= dr6 & 0xf;
    return true;
}

void load_debug_regs(struct vcpu *v)
{
    if (!(v->dr[7] & 0xff))
        return;                         /* no breakpoint enabled */
    __asm__ __volatile__("mov %0, %%dr0" : : "r"(v->dr[0]));
    __asm__ __volatile__("mov %0, %%dr1" : : "r"(v->dr[1]));
    __asm__ __volatile__("mov %0, %%dr2" : : "r"(v->dr[2]));
    __asm__ __volatile__("mov %0, %%dr3" : : "r"(v->dr[3]));
    __asm__ __volatile__("mov %0, %%dr7" : : "r"(v->dr[7]));
}

void pv_switch_to(struct vcpu *next, struct cpu_regs *regs)
{
    if (is_hvm_vcpu(next)) {
        hvm_switch_to(next, regs);      /* a PVH vCPU: keel/hvm.h */
        return;
    }
    struct percpu *pc = this_cpu();
    get_cpu_info()->current = next;
    *regs = next->regs;
    load_guest_page_tables(next);
    /* Guest user pages are global (ref 3.4), so a CR3 load keeps them:
     * another vCPU's page tables need a full flush. */
    if (pc->last_vcpu != next) {
        flush_tlb_local_all();
        pc->last_vcpu = next;
        WRITE_ONCE(pc->last_vcpu_id, next->id);
        WRITE_ONCE(pc->last_dom, next->d);
    }
    pv_load_gdt(next);
    pv_load_ldt(next);
    pv_load_segments(next, regs);       /* needs its GDT and LDT */
    fpu_restore(next);
    load_debug_regs(next);
    vcpu_switch_in_time(next);
}

/* The running vCPU leaves this CPU (preempted or stopped). */
void pv_switch_from(struct vcpu *prev, const struct cpu_regs *regs)
{
    if (is_hvm_vcpu(prev)) {
        hvm_switch_from(prev, regs);
        return;
    }
    prev->regs = *regs;
    vcpu_periodic_switch_out(prev);
    pv_save_segments(prev);
    fpu_save(prev);
    if (prev->dr[7] & 0xff)
        __asm__ __volatile__("mov %0, %%dr7" : : "r"(0x400UL));
}

static void enter_on_clean_stack(void *arg)
{
    struct cpu_regs *f = guest_regs();
    pv_switch_to(arg, f);
    sched_start_slice();
    if (is_hvm_vcpu(arg))
        hvm_resume();
    pv_deliver_pending_upcall(f);
    pv_return_to_guest(f);
}

void pv_enter_guest(struct vcpu *v)
{
    irq_disable();
    reset_stack_and_call(enter_on_clean_stack, v);
}

static void idle_on_clean_stack(void *arg)
{
    (void)arg;
    idle_loop();
}

/* The vCPU on this CPU leaves it for the idle loop: it went offline or
 * its domain paused, shut down or crashed (requeued if it may still run).
 * The last active vCPU of a dying domain tears the domain down. */
void pv_leave_to_idle(void)
{
    struct cpu_info *ci = get_cpu_info();
    struct vcpu *v = ci->current;
    irq_disable();
    write_cr3(virt_to_phys(hv_l4));
    ci->current = NULL;
    if (v) {
        pv_switch_from(v, guest_regs());
        if (sched_put_prev(v))
            domain_teardown(v->d);
    }
    reset_stack_and_call(idle_on_clean_stack, NULL);
}

/* After a switch between a PV and a PVH vCPU (sched_maybe_switch): the
 * frame is the new vCPU's, entered its own way, never returning. */
static void pv_resume_on_clean_stack(void *arg)
{
    (void)arg;
    pv_deliver_pending_upcall(guest_regs());
    pv_return_to_guest(guest_regs());
}

void vcpu_resume_current(void)
{
    struct vcpu *v = current_vcpu();
    if (is_hvm_vcpu(v))
        hvm_resume();
    irq_disable();
    reset_stack_and_call(pv_resume_on_clean_stack, NULL);
}

/* The CPU refused to return to a guest frame (bad selector, non-canonical
 * RIP): the guest's doing, so its domain is crashed, not Keel. */
void pv_bad_return(void)
{
    struct vcpu *v = current_vcpu();
    if (!v)
        panic("pv: bad return to guest with no vCPU");
    domain_crash(v->d, "the CPU refused its return frame (rip %lx cs %lx ss %lx)",
                 guest_regs()->rip, guest_regs()->cs, guest_regs()->ss);
    pv_leave_to_idle();
}

/* ---- kernel/user mode switching (ref 3.4) ---- */

/* Kernel and user GS bases trade places (SWAPGS: Keel never uses GS
 * itself); FS and its base are shared by both modes. */
void pv_toggle_guest_mode(struct vcpu *v)
{
    v->kernel_mode = !v->kernel_mode;
    load_guest_page_tables(v);
    __asm__ __volatile__("swapgs" ::: "memory");
}

/* ---- bouncing into the guest kernel (ref 3.5) ---- */

void pv_bounce_to(struct vcpu *v, struct cpu_regs *regs, uint64_t handler,
                  bool has_error, uint64_t error, bool mask_events)
{
    uint64_t frame[8];
    unsigned n = 0;
    uint64_t cs = regs->cs, sp;

    if (v->kernel_mode) {
        sp = regs->rsp;
        cs &= ~3UL;                     /* interrupted kernel context */
    } else {
        sp = v->kernel_sp;
        pv_toggle_guest_mode(v);
    }
    sp &= ~15UL;
    bool was_masked = pv_events_masked(v);
    uint64_t rflags = (regs->rflags & ~RFLAGS_IF) | (was_masked ? 0 : RFLAGS_IF);
    /* Lowest address first: RCX, R11, [error], RIP, CS|mask<<32, RFLAGS, RSP, SS. */
    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    if (has_error)
        frame[n++] = error;
    frame[n++] = regs->rip;
    frame[n++] = cs | ((uint64_t)was_masked << 32);
    frame[n++] = rflags;
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss;
    sp -= n * 8;
    if (copy_to_guest(sp, frame, n * 8)) {
        domain_crash(v->d, "cannot write an exception frame at its kernel stack %lx", sp);
        pv_leave_to_idle();
    }
    if (mask_events)
        pv_set_events_masked(v, true);
    regs->rsp = sp;
    regs->rip = handler;
    regs->cs = FLAT_RING3_CS64;
    regs->ss = FLAT_RING3_DS;
    regs->rflags &= ~((1UL << 18) | (1UL << 17) | (1UL << 16) | (1UL << 14) | (1UL << 8));
    regs->rflags |= RFLAGS_IF;
}

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
    "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static bool vector_has_error(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 30;
}

/* Last step of every return to the guest (Xen's test_all_events, ref
 * 3.5/6.2): an upcall pending in vcpu_info with events unmasked enters the
 * event callback, events masked, on top of whatever the guest was doing. */
void pv_deliver_pending_upcall(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();
    if (v && is_hvm_vcpu(v))
        return;                         /* PVH: the callback vector (hvm_events.c) */
    const uint8_t *vi = v ? vcpu_info_bytes(v) : NULL;
    if (!vi || !v->event_callback)
        return;
    if (!READ_ONCE(vi[0]) || READ_ONCE(vi[1]))
        return;
    pv_bounce_to(v, regs, v->event_callback, false, 0, true);
}

/* A divide error in a guest kernel is rare enough to log (the first few
 * per domain, with the bytes at RIP): a 4-vCPU Linux domU once looped on a
 * #DE bounce at a jmp under a loaded host (tests/linux domu-4, soft
 * lockup in cryptomgr_test), and the next occurrence should say where
 * the vector came from. */
static void pv_note_kernel_divide_error(struct vcpu *v, const struct cpu_regs *regs)
{
    static unsigned logged;
    uint8_t b[8] = { 0 };
    if (__atomic_fetch_add(&logged, 1, __ATOMIC_RELAXED) >= 8)
        return;
    bool read = !copy_from_guest(b, regs->rip, sizeof(b));
    log_warn("domain %u vcpu %u: divide error in its kernel at rip %lx rsp %lx, bytes %s"
             "%02x %02x %02x %02x %02x %02x %02x %02x\n", v->d->id, v->id, regs->rip, regs->rsp,
             read ? "" : "(unreadable) ", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

void pv_guest_trap(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();
    unsigned vec = (unsigned)regs->vector;
    uint64_t error = regs->error_code;

    if (!v)
        panic("pv: trap from ring 3 with no vCPU");
    if (vec == VEC_PF) {
        v->cr2 = read_cr2();
        if (pv_ptwr_fault(v, regs, v->cr2, error))
            return;
        if (vcpu_info_bytes(v))
            memcpy(vcpu_info_bytes(v) + 16, &v->cr2, 8);
        /* The user bit follows the guest's virtual mode, not the CPL. */
        error = v->kernel_mode ? (error & ~4UL) : (error | 4UL);
    }
    if (vec == VEC_GP && pv_emulate_gp(v, regs))
        return;
    if (vec == VEC_UD && pv_emulate_ud(v, regs))
        return;
    if (vec == VEC_NM && v->fpu_ts) {
        /* The guest's #NM handler finds TS clear, as under Xen, whose
         * PV guests never clear it themselves (ref 5.7). */
        v->fpu_ts = false;
        write_cr0(read_cr0() & ~CR0_TS);
    }
    if (vec == VEC_DE && v->kernel_mode)
        pv_note_kernel_divide_error(v, regs);
    const struct pv_trap *t = &v->traps[vec];
    if (!t->address) {
        domain_crash(v->d, "%s (vector %u, error %lx) at rip %lx rsp %lx%s with no trap handler",
                     vec < 32 && vector_names[vec] ? vector_names[vec] : "?", vec, error,
                     regs->rip, regs->rsp, vec == VEC_PF ? " (page fault)" : "");
        if (vec == VEC_PF)
            log_err("domain %u: the fault was at address %lx\n", v->d->id, v->cr2);
        pv_leave_to_idle();
    }
    pv_bounce_to(v, regs, t->address, vector_has_error(vec), error, t->flags & 4);
}

/* ---- syscall: a hypercall from guest kernel mode, a system call from user ---- */

void pv_syscall(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();
    if (!v)
        panic("pv: syscall with no vCPU");
    if (!v->kernel_mode) {
        if (!v->syscall_callback) {
            regs->rip -= 2;             /* #UD at the syscall instruction */
            regs->vector = VEC_UD;
            regs->error_code = 0;
            pv_guest_trap(regs);
        } else {
            pv_bounce_to(v, regs, v->syscall_callback, false, 0, v->syscall_flags & 1);
        }
    } else {
        hypercall_dispatch(v, regs);
        if (!vcpu_runnable(v))
            this_cpu()->need_resched = true;    /* went offline, paused or stopped */
        sched_maybe_switch(regs);
    }
    pv_deliver_pending_upcall(regs);
}

/* ---- iret hypercall (ref 3.7): the frame is at the guest's RSP ---- */


long pv_iret(struct vcpu *v, struct cpu_regs *regs)
{
    struct { uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss; } f;
    if (copy_from_guest(&f, regs->rsp, sizeof(f))) {
        domain_crash(v->d, "iret: frame at %lx unreadable", regs->rsp);
        pv_leave_to_idle();
    }
    if ((f.cs & 3) == 3 && v->kernel_mode) {
        if (!v->cr3_user) {
            domain_crash(v->d, "iret to user mode without a user page table");
            pv_leave_to_idle();
        }
        pv_toggle_guest_mode(v);
    }
    regs->rip = f.rip;
    regs->rsp = f.rsp;
    regs->cs = f.cs | 3;
    regs->ss = f.ss | 3;
    /* Arithmetic/control flags the guest may set; IOPL and VM never; real IF always. */
    regs->rflags = (f.rflags & 0x0000000000040dd5UL) | RFLAGS_IF | 2;
    pv_set_events_masked(v, !(f.rflags & RFLAGS_IF));
    regs->rax = f.rax;
    if (!(f.flags & VGCF_IN_SYSCALL)) {
        regs->r11 = f.r11;
        regs->rcx = f.rcx;
    }
    return HYPERCALL_KEEP_REGS;
}
