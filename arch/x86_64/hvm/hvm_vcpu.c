/* PVH vCPUs: creation, switching in and out, and the run loop. The loop
 * keeps Keel's PV model: the vCPU's registers are the frame at the top of
 * this CPU's stack; each turn delivers pending events, enters the guest,
 * handles the exit, then runs the scheduler's checks, as every PV return
 * to the guest does. */
#include <keel/hvm.h>
#include <keel/alloc.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/fpu.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/traps.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

void reset_stack_and_call(void (*fn)(void *), void *arg) __attribute__((noreturn));

int hvm_vcpu_init(struct vcpu *v)
{
    struct domain *d = v->d;
    if (!hvm_vendor || !d->hvm)
        return -ENODEV;
    v->hvm = kzalloc(sizeof(*v->hvm));
    if (!v->hvm)
        return -ENOMEM;
    int rc = hvm_vendor->vcpu_create(v);
    if (rc) {
        kfree(v->hvm);
        v->hvm = NULL;
        return rc;
    }
    hvm_vendor->set_npt_root(v, d->hvm->npt.root);
    hvm_vendor->set_tsc_offset(v, 0);   /* the TSC the vcpu_info time scale is for */
    hvm_msr_setup(v);
    vlapic_reset(v);
    v->regs.rflags = 2;                 /* PVH entry: interrupts off */
    v->timer_period_ns = 0;             /* Xen's 100 Hz default tick is PV's only
                                         * (xen/arch/x86/pv/domain.c) */
    v->kernel_mode = true;
    return 0;
}

void hvm_vcpu_destroy(struct vcpu *v)
{
    if (!v->hvm)
        return;
    if (hvm_vendor)
        hvm_vendor->vcpu_destroy(v);
    kfree(v->hvm);
    v->hvm = NULL;
}

/* DR0-3 are not in the VMCB and the guest moves to them without an exit:
 * they are the running vCPU's, switched here (DR6/DR7 are in the VMCB). */
static void load_dr0_3(const struct vcpu *v)
{
    __asm__ __volatile__("mov %0, %%dr0" : : "r"(v->dr[0]));
    __asm__ __volatile__("mov %0, %%dr1" : : "r"(v->dr[1]));
    __asm__ __volatile__("mov %0, %%dr2" : : "r"(v->dr[2]));
    __asm__ __volatile__("mov %0, %%dr3" : : "r"(v->dr[3]));
}

static void save_dr0_3(struct vcpu *v)
{
    __asm__ __volatile__("mov %%dr0, %0" : "=r"(v->dr[0]));
    __asm__ __volatile__("mov %%dr1, %0" : "=r"(v->dr[1]));
    __asm__ __volatile__("mov %%dr2, %0" : "=r"(v->dr[2]));
    __asm__ __volatile__("mov %%dr3, %0" : "=r"(v->dr[3]));
}

/* The frame becomes next's; Keel's own page tables under it (the guest's
 * are nested, the host keeps hv_l4). */
void hvm_switch_to(struct vcpu *next, struct cpu_regs *regs)
{
    struct percpu *pc = this_cpu();
    get_cpu_info()->current = next;
    *regs = next->regs;
    write_cr3(virt_to_phys(hv_l4));
    if (pc->last_vcpu != next) {
        pc->last_vcpu = next;
        WRITE_ONCE(pc->last_vcpu_id, next->id);
        WRITE_ONCE(pc->last_dom, next->d);
    }
    hvm_vendor->vcpu_load(next);
    load_dr0_3(next);
    fpu_restore(next);
    vcpu_switch_in_time(next);
}

void hvm_switch_from(struct vcpu *prev, const struct cpu_regs *regs)
{
    prev->regs = *regs;
    vcpu_periodic_switch_out(prev);
    save_dr0_3(prev);
    fpu_save(prev);
    hvm_vendor->vcpu_put(prev);
}

static const char *const exit_names[HVM_EXIT_NR] = {
    [HVM_EXIT_NONE] = "none", [HVM_EXIT_INTR] = "intr", [HVM_EXIT_NMI] = "nmi",
    [HVM_EXIT_INTR_WINDOW] = "intr-window", [HVM_EXIT_CPUID] = "cpuid", [HVM_EXIT_HLT] = "hlt",
    [HVM_EXIT_HYPERCALL] = "hypercall", [HVM_EXIT_IO] = "io", [HVM_EXIT_MSR_READ] = "rdmsr",
    [HVM_EXIT_MSR_WRITE] = "wrmsr", [HVM_EXIT_NPF] = "npf", [HVM_EXIT_VIRT_INSN] = "virt-insn",
    [HVM_EXIT_XSETBV] = "xsetbv", [HVM_EXIT_EXCEPTION] = "exception", [HVM_EXIT_PAUSE] = "pause",
    [HVM_EXIT_INVD] = "invd", [HVM_EXIT_SHUTDOWN] = "shutdown", [HVM_EXIT_INVALID] = "invalid",
    [HVM_EXIT_OTHER] = "other",
};

const char *hvm_exit_name(enum hvm_exit_reason r)
{
    return r < HVM_EXIT_NR && exit_names[r] ? exit_names[r] : "?";
}

static void log_exit_counts(struct vcpu *v)
{
    for (unsigned r = 1; r < HVM_EXIT_NR; r++)
        if (v->hvm->exit_counts[r])
            log_err("domain %u vcpu %u: %lu %s exits\n", v->d->id, v->id,
                    v->hvm->exit_counts[r], exit_names[r]);
}

void hvm_crash(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e, const char *why)
{
    struct hvm_seg cs;
    hvm_vendor->get_seg(v, HVM_SEG_CS, &cs);
    domain_crash(v->d, "PVH vcpu %u: %s (exit %s, code %#lx, info %#lx %#lx) at %04x:%lx",
                 v->id, why, e ? exit_names[e->reason] : "-", e ? e->raw : 0,
                 e ? e->info1 : 0, e ? e->info2 : 0, cs.sel, regs->rip);
    log_err("RIP: %016lx  RSP: %016lx  RFLAGS: %016lx\n", regs->rip, regs->rsp, regs->rflags);
    log_err("RAX: %016lx  RBX: %016lx  RCX: %016lx\n", regs->rax, regs->rbx, regs->rcx);
    log_err("RDX: %016lx  RSI: %016lx  RDI: %016lx\n", regs->rdx, regs->rsi, regs->rdi);
    log_err("RBP: %016lx  R8:  %016lx  R9:  %016lx\n", regs->rbp, regs->r8, regs->r9);
    log_err("R10: %016lx  R11: %016lx  R12: %016lx\n", regs->r10, regs->r11, regs->r12);
    log_err("R13: %016lx  R14: %016lx  R15: %016lx\n", regs->r13, regs->r14, regs->r15);
    log_err("CR0: %016lx  CR3: %016lx  CR4: %016lx  EFER: %lx\n",
            hvm_vendor->get_reg(v, HVM_REG_CR0), hvm_vendor->get_reg(v, HVM_REG_CR3),
            hvm_vendor->get_reg(v, HVM_REG_CR4), hvm_vendor->get_reg(v, HVM_REG_EFER));
    log_exit_counts(v);
    pv_leave_to_idle();
}

/* XCR0 is not switched by VMRUN/#VMEXIT, and QEMU TCG does not intercept
 * XSETBV (seen with QEMU 7.2: no xsetbv exits, the guest's value is live
 * after the exit). So the live value is the guest's: adopt it when it is
 * one Keel switches, else crash the domain (its state would not fit). */
static void sync_xcr0(struct vcpu *v, struct cpu_regs *regs)
{
    uint64_t max = fpu_xcr0_max(), live;
    if (!max || (live = xgetbv(0)) == v->fpu->xcr0)
        return;
    if (xcr0_valid(live, max)) {
        v->fpu->xcr0 = live;
        return;
    }
    xsetbv(0, v->fpu->xcr0);
    hvm_crash(v, regs, NULL, "set XCR0 to components Keel does not switch");
}

static void __attribute__((noreturn)) run_loop(void *arg)
{
    struct cpu_regs *regs = guest_regs();
    struct hvm_exit exit;
    (void)arg;
    for (;;) {
        struct vcpu *v = current_vcpu();
        hvm_deliver_events(v, regs);
        hvm_vendor->run(v, regs, &exit);
        sync_xcr0(v, regs);
        if (exit.reason < HVM_EXIT_NR)
            v->hvm->exit_counts[exit.reason]++;
        if (exit.reason == HVM_EXIT_INTR) {
            /* The host interrupt is taken here. STI holds interrupts off
             * for one more instruction: "sti; cli" would take nothing and
             * the next entry would exit again at once, for ever. */
            __asm__ __volatile__("sti; nop; cli" ::: "memory");
        }
        hvm_handle_exit(v, regs, &exit);
        if (!vcpu_runnable(v))
            this_cpu()->need_resched = true;    /* halted, down, paused or stopped */
        sched_maybe_switch(regs);       /* may switch to another vCPU (or PV: no return) */
    }
}

void hvm_resume(void)
{
    irq_disable();
    reset_stack_and_call(run_loop, NULL);
}
