/* Exit dispatch: one table, exit reason -> handler. A handler returns true
 * when it handled the exit; false (or a reason with no handler) crashes
 * the guest's domain with a log line and a register dump, never Keel. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include <keel/fpu.h>
#include <keel/log.h>
#include <keel/sched.h>
#include <keel/traps.h>
#include <keel/vcpu.h>
#include <public/sched.h>

typedef bool (*hvm_exit_fn)(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);

/* The instruction is done: RIP past it, and any interrupt shadow it sat in
 * (STI; HLT) is over, else the event that wakes a HLT could never be
 * injected (seen on Bochs, which reports the shadow at the HLT exit). */
void hvm_skip_insn(struct cpu_regs *regs, const struct hvm_exit *e, unsigned fallback)
{
    regs->rip += e->insn_len ? e->insn_len : fallback;
    hvm_vendor->set_reg(current_vcpu(), HVM_REG_INTR_SHADOW, 0);
}

void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct hvm_event ev = { HVM_EVENT_EXCEPTION, vector, has_error, error };
    hvm_vendor->inject(v, &ev);
}

static bool nothing_to_do(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    (void)v, (void)regs, (void)e;
    return true;                        /* host interrupt / NMI: already taken */
}

static bool intr_window(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    (void)regs, (void)e;
    hvm_vendor->set_intr_window(v, false);  /* hvm_deliver_events injects now */
    return true;
}

/* (A static wrapper: the linker cannot relax a GOT reference to a
 * function of another file in Keel's image.) */
static bool halt_wake_now(struct vcpu *v)
{
    return hvm_upcall_pending(v) || vlapic_has_pending(v);
}

/* HLT: the vCPU sleeps until an event is pending for it. With interrupts
 * off nothing can wake it: as Xen 4.17's hvm_hlt, the vCPU goes down, and
 * the last one down powers the domain off. */
static bool hlt(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    hvm_skip_insn(regs, e, 1);
    if (regs->rflags & RFLAGS_IF) {
        if (!halt_wake_now(v))
            sched_block(v, halt_wake_now);
        return true;
    }
    /* Interrupts off: down even with an interrupt pending (Xen looks only
     * at an event already being injected, which Keel never has here): a
     * "cli; hlt" loop (Linux's stop_this_cpu) must not spin. */
    struct domain *d = v->d;
    v->online = false;
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->online)
            return true;
    log_info("domain %u: every vCPU halted with interrupts off: powering it off\n", d->id);
    domain_shutdown(d, SHUTDOWN_poweroff);
    return true;
}

/* VMRUN and the other SVM/VMX instructions: the guest has no nested
 * virtualization, so they are undefined opcodes for it (#UD). */
static bool virt_insn(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    (void)regs, (void)e;
    hvm_inject_exception(v, VEC_UD, false, 0);
    return true;
}

/* XSETBV: the guest's XCR0 is the vCPU's (loaded while it runs, keel/fpu.h),
 * within the components Keel switches; anything else is #GP, as on a CPU. */
static bool xsetbv_exit(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    struct hvm_seg ss;
    hvm_vendor->get_seg(v, HVM_SEG_SS, &ss);
    uint64_t value = (regs->rdx << 32) | (uint32_t)regs->rax;
    if (((ss.attr >> 5) & 3) || fpu_set_xcr(v, (uint32_t)regs->rcx, value)) {
        hvm_inject_exception(v, VEC_GP, true, 0);
        return true;
    }
    hvm_skip_insn(regs, e, 3);          /* 0f 01 d1 */
    return true;
}

/* PAUSE exits only after a run of them (SVM pause filter): the guest spins,
 * likely on a lock a descheduled vCPU holds; let another vCPU run. The
 * exit comes before the PAUSE runs: stepped over when its length is known
 * (a PAUSE may carry prefixes), else it simply runs again after the yield
 * (a hint, harmless twice; the filter's count starts afresh). */
static bool pause_exit(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    static bool logged;
    if (!logged) {
        logged = true;
        log_info("hvm: domain %u vcpu %u spun past the pause filter: yields (logged once)\n",
                 v->d->id, v->id);
    }
    if (e->insn_len)
        hvm_skip_insn(regs, e, 0);
    sched_yield();
    return true;
}

/* The xAPIC page is emulated (hvm_mmio.c); anything else is outside the
 * domain's memory. */
static bool npf(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    if (hvm_mmio_npf(v, regs, e))
        return true;
    log_err("domain %u vcpu %u: nested page fault at guest-physical %#lx (%s%s%s%s), outside its memory\n",
            v->d->id, v->id, e->npf.gpa, e->npf.read ? "read" : "", e->npf.write ? "write" : "",
            e->npf.exec ? "fetch" : "", e->npf.present ? ", present" : ", not present");
    return false;
}

static bool hvm_msr_read_h(struct vcpu *v, struct cpu_regs *r, const struct hvm_exit *e) { return hvm_msr_read(v, r, e); }
static bool hvm_msr_write_h(struct vcpu *v, struct cpu_regs *r, const struct hvm_exit *e) { return hvm_msr_write(v, r, e); }

static const struct {
    hvm_exit_fn fn;
    const char *unhandled;              /* the log's reason when fn is NULL or fails */
} exit_table[HVM_EXIT_NR] = {
    [HVM_EXIT_INTR]        = { nothing_to_do, "" },
    [HVM_EXIT_NMI]         = { nothing_to_do, "" },
    [HVM_EXIT_INTR_WINDOW] = { intr_window, "" },
    [HVM_EXIT_CPUID]       = { hvm_cpuid, "CPUID not emulated" },
    [HVM_EXIT_HLT]         = { hlt, "" },
    [HVM_EXIT_HYPERCALL]   = { hvm_hypercall, "hypercall from outside ring 0" },
    [HVM_EXIT_IO]          = { hvm_io, "I/O port access not emulated" },
    [HVM_EXIT_MSR_READ]    = { hvm_msr_read_h, "RDMSR not emulated" },
    [HVM_EXIT_MSR_WRITE]   = { hvm_msr_write_h, "WRMSR not emulated" },
    [HVM_EXIT_NPF]         = { npf, "access outside its memory" },
    [HVM_EXIT_VIRT_INSN]   = { virt_insn, "" },
    [HVM_EXIT_PAUSE]       = { pause_exit, "" },
    [HVM_EXIT_XSETBV]      = { xsetbv_exit, "" },
    [HVM_EXIT_EXCEPTION]   = { NULL, "unexpected exception intercept" },
    [HVM_EXIT_INVD]        = { NULL, "INVD" },
    [HVM_EXIT_SHUTDOWN]    = { NULL, "triple fault (shutdown)" },
    [HVM_EXIT_INVALID]     = { NULL, "the CPU refused its state (invalid VMCB/VMCS guest state)" },
    [HVM_EXIT_OTHER]       = { NULL, "unhandled exit" },
};

void hvm_handle_exit(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    unsigned r = e->reason;
    if (r >= HVM_EXIT_NR || r == HVM_EXIT_NONE)
        hvm_crash(v, regs, e, "unknown exit reason");
    if (!exit_table[r].fn || !exit_table[r].fn(v, regs, e))
        hvm_crash(v, regs, e, exit_table[r].unhandled);
}
