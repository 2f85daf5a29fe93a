/* The one interface between Keel's vendor-neutral HVM code (arch/x86_64/hvm/)
 * and a hardware backend (arch/x86_64/svm/ for AMD SVM, arch/x86_64/vmx/ for
 * Intel VMX). The CPU decides at run time which backend applies, so the
 * backend is an ops table chosen once at boot (hvm_vendor, NULL: none).
 *
 * Contract
 * --------
 * Registers. A running HVM vCPU's general registers live in the frame at the
 * top of its CPU's stack (struct cpu_regs, guest_regs()), as a PV vCPU's do.
 * run() takes that frame: before entering it loads every GPR from it and
 * also regs->rip, regs->rsp and regs->rflags into the guest state (VMCB /
 * VMCS); after the exit it stores them all back. So generic code reads and
 * writes RIP/RSP/RFLAGS/RAX.. in the frame only, and never needs a vendor
 * call for them. regs->cs/ss/vector/error_code are not used by run().
 *
 * Everything else of the guest (segments, control registers, EFER, syscall
 * MSRs, CR2, DR7, PAT, interruptibility) is reached with get_seg/set_seg
 * and get_reg/set_reg, which may be called for the vCPU current on this CPU
 * or for one that is not running (it is then not loaded anywhere). A set_*
 * on a vCPU that is not running counts as a whole state load: SVM then
 * reloads every cached VMCB group (clean bits) at its next entry.
 *
 * Interrupts and GIF. run() is called with host interrupts off and returns
 * with them off (and, on SVM, GIF set again). A host interrupt that arrives
 * while the guest runs causes an exit (HVM_EXIT_INTR) and stays pending in
 * the host: generic code opens interrupts briefly (sti; cli) to take it
 * through the IDT as usual. NMIs likewise (HVM_EXIT_NMI).
 *
 * Events. inject() queues one event for the next entry (an external
 * interrupt only when can_inject() says so; exceptions always). An event
 * whose delivery an exit interrupted (EXITINTINFO / IDT-vectoring info) is
 * re-queued by the backend itself, so generic code never sees it. When an
 * interrupt is pending but cannot be taken, generic code asks for an
 * interrupt window (set_intr_window(v, true)): the next entry exits with
 * HVM_EXIT_INTR_WINDOW as soon as the guest can take it.
 *
 * Instruction length. exit->insn_len is the length of the instruction that
 * exited when the hardware says (VMX always; SVM with NRIP save), else 0:
 * generic code then uses the fixed length of the few intercepted
 * instructions it emulates (hvm_skip_insn). Stepping over an instruction
 * also ends an interrupt shadow it sat in (set_reg(HVM_REG_INTR_SHADOW, 0)):
 * "sti; hlt" must take the interrupt that wakes the HLT.
 *
 * Nested page faults. exit->npf has the guest-physical address and the
 * access; where the hardware hands over the faulting instruction's bytes
 * (SVM decode assists, APM vol. 2 §15.33.5) insn_bytes() copies them
 * (optional op: NULL or 0 bytes, and generic code fetches them from
 * CS:RIP itself, hvm_mmio.c). Only valid right after an NPF exit.
 *
 * Nested paging. Generic code builds the tables (arch/x86_64/hvm/p2m.c) in
 * the format the backend names (npt_format: x86-64 page-table format for
 * SVM NPT, EPT format for VMX) and gives the root with set_npt_root();
 * flush_guest_tlb() makes the vCPU drop all guest translations (guest-
 * linear and guest-physical) before its next entry (SVM: fresh ASID or
 * TLB_CONTROL flush-all; VMX: INVEPT/INVVPID).
 *
 * Per-CPU and per-vCPU life cycle. probe() once on the boot CPU (false: the
 * backend cannot be used, with a log line saying why); cpu_enable() on
 * every CPU, boot CPU first. vcpu_create() sets up the vendor state of a
 * new HVM vCPU in the 32-bit PVH entry state defaults (all intercepts in
 * place, no NPT root yet); vcpu_destroy() frees it. vcpu_load() before the
 * first run() after the vCPU came to this CPU (VMX: VMPTRLD; a vCPU that ran
 * on another CPU last is flushed), vcpu_put() when it leaves the CPU.
 *
 * Storage. The backend keeps its per-vCPU state behind v->hvm_vendor_state
 * (include/keel/vcpu.h; set by vcpu_create, freed by vcpu_destroy) and its
 * per-CPU state in its own arrays indexed by smp_processor_id().
 *
 * Intercepts. By default every MSR and every I/O port is intercepted;
 * set_msr_intercept/set_io_intercept open (intercept=false) or close them
 * per vCPU.
 *
 * Errors are negative errno values. A backend never crashes the hypervisor
 * for a guest's doing: it reports HVM_EXIT_INVALID (bad guest state at
 * entry) or HVM_EXIT_SHUTDOWN (triple fault), and generic code crashes the
 * domain. */
#ifndef KEEL_HVM_VENDOR_H
#define KEEL_HVM_VENDOR_H

#include <keel/types.h>

struct vcpu;
struct cpu_regs;

/* Why the guest exited, vendor-neutral. Keep HVM_EXIT_NR last. */
enum hvm_exit_reason {
    HVM_EXIT_NONE = 0,
    HVM_EXIT_INTR,          /* host external interrupt */
    HVM_EXIT_NMI,           /* host NMI */
    HVM_EXIT_INTR_WINDOW,   /* the guest can take an interrupt now */
    HVM_EXIT_CPUID,
    HVM_EXIT_HLT,
    HVM_EXIT_HYPERCALL,     /* VMMCALL (SVM) / VMCALL (VMX) */
    HVM_EXIT_IO,            /* port I/O: exit->io */
    HVM_EXIT_MSR_READ,      /* RDMSR: exit->msr.index (ECX) */
    HVM_EXIT_MSR_WRITE,     /* WRMSR: exit->msr.index, value in EDX:EAX */
    HVM_EXIT_NPF,           /* nested page fault / EPT violation: exit->npf */
    HVM_EXIT_VIRT_INSN,     /* VMRUN/VMLOAD/VMSAVE/STGI/CLGI/SKINIT/INVLPGA,
                             * VMX instructions: the guest gets #UD */
    HVM_EXIT_XSETBV,
    HVM_EXIT_EXCEPTION,     /* an intercepted guest exception: exit->exception */
    HVM_EXIT_PAUSE,
    HVM_EXIT_INVD,
    HVM_EXIT_SHUTDOWN,      /* triple fault */
    HVM_EXIT_INVALID,       /* entry failed (bad guest state) */
    HVM_EXIT_OTHER,         /* any other reason: exit->raw says which */
    HVM_EXIT_NR
};

struct hvm_exit {
    enum hvm_exit_reason reason;
    uint64_t raw;           /* vendor exit code (EXITCODE / basic reason), for logs */
    uint64_t info1, info2;  /* vendor qualification (EXITINFO1/2 / qualification, GPA) */
    unsigned insn_len;      /* length of the exiting instruction, 0: unknown */
    union {
        struct {
            uint16_t port;
            uint8_t size;   /* 1, 2 or 4 bytes */
            bool in, string, rep;
            /* String I/O only, 0 when the backend cannot tell (generic code
             * then assumes the mode's default and DS): the address size in
             * bytes (2, 4, 8) and OUTS' source segment (enum hvm_seg_id + 1). */
            uint8_t addr_size, seg;
        } io;
        struct {
            uint32_t index;
        } msr;
        struct {
            uint64_t gpa;
            bool read, write, exec;
            bool present;   /* the nested entry was present (a permission fault) */
            bool walk;      /* while the CPU walked the guest's own page tables */
        } npf;
        struct {
            uint8_t vector;
            bool has_error;
            uint32_t error;
        } exception;
    };
};

/* Segment state in the SVM attribute packing (also what VMX's access rights
 * reduce to): bits 0-3 type, 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G. */
struct hvm_seg {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

enum hvm_seg_id {
    HVM_SEG_ES, HVM_SEG_CS, HVM_SEG_SS, HVM_SEG_DS, HVM_SEG_FS, HVM_SEG_GS,
    HVM_SEG_LDTR, HVM_SEG_TR, HVM_SEG_GDTR, HVM_SEG_IDTR,   /* GDTR/IDTR: base, limit */
    HVM_SEG_NR
};

enum hvm_reg {
    HVM_REG_CR0, HVM_REG_CR2, HVM_REG_CR3, HVM_REG_CR4, HVM_REG_EFER,
    HVM_REG_DR6, HVM_REG_DR7, HVM_REG_PAT,
    HVM_REG_STAR, HVM_REG_LSTAR, HVM_REG_CSTAR, HVM_REG_SFMASK, HVM_REG_KERNEL_GS_BASE,
    HVM_REG_SYSENTER_CS, HVM_REG_SYSENTER_ESP, HVM_REG_SYSENTER_EIP,
    HVM_REG_INTR_SHADOW,    /* 1: in an STI/MOV SS shadow; set 0 clears it (generic
                             * code does when it steps over an emulated instruction) */
    HVM_REG_NR
};

enum hvm_event_type {
    HVM_EVENT_EXTINT,       /* external interrupt (the callback vector) */
    HVM_EVENT_NMI,
    HVM_EVENT_EXCEPTION,    /* hardware exception, error code if has_error */
    HVM_EVENT_SWINT,        /* INTn (needs insn_len on VMX) */
};

struct hvm_event {
    enum hvm_event_type type;
    uint8_t vector;
    bool has_error;
    uint32_t error;
};

enum hvm_npt_format {
    HVM_NPT_X86_64,         /* SVM NPT: ordinary 4-level long-mode entries */
    HVM_NPT_EPT,            /* VMX EPT: 4-level EPT entries, write-back */
};

struct hvm_vendor_ops {
    const char *name;                       /* "SVM", "VMX" */
    enum hvm_npt_format npt_format;

    /* Boot CPU: can this backend run here? Fills the feature text for the
     * boot line (e.g. "NPT, ASIDs 16, no NRIPS"). */
    bool (*probe)(char *features, size_t len);
    /* Every CPU (boot CPU first): turn the extension on, per-CPU areas. */
    int (*cpu_enable)(void);

    int (*vcpu_create)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*vcpu_load)(struct vcpu *v);      /* v becomes current on this CPU */
    void (*vcpu_put)(struct vcpu *v);       /* v leaves this CPU */

    /* Enter the guest with the frame `regs` (see the contract above);
     * returns at the next exit, described in *exit. */
    void (*run)(struct vcpu *v, struct cpu_regs *regs, struct hvm_exit *exit);

    void (*get_seg)(struct vcpu *v, enum hvm_seg_id seg, struct hvm_seg *out);
    void (*set_seg)(struct vcpu *v, enum hvm_seg_id seg, const struct hvm_seg *in);
    uint64_t (*get_reg)(struct vcpu *v, enum hvm_reg reg);
    void (*set_reg)(struct vcpu *v, enum hvm_reg reg, uint64_t value);

    /* Can an external interrupt be delivered at the next entry (RFLAGS.IF,
     * no interrupt shadow, no event already queued)? */
    bool (*can_inject)(struct vcpu *v, const struct cpu_regs *regs);
    void (*inject)(struct vcpu *v, const struct hvm_event *ev);
    void (*set_intr_window)(struct vcpu *v, bool on);

    void (*set_npt_root)(struct vcpu *v, paddr_t root);
    void (*flush_guest_tlb)(struct vcpu *v);
    void (*set_tsc_offset)(struct vcpu *v, int64_t offset);

    void (*set_msr_intercept)(struct vcpu *v, uint32_t msr, bool read, bool write);
    void (*set_io_intercept)(struct vcpu *v, uint16_t port, bool intercept);

    /* Optional: the bytes of the instruction that caused the last NPF
     * exit, as the CPU fetched them (up to 15); 0: none given. */
    unsigned (*insn_bytes)(struct vcpu *v, uint8_t *buf);
};

/* The active backend, chosen at boot (NULL: no usable HVM support). */
extern const struct hvm_vendor_ops *hvm_vendor;

/* Backends (each file defines its own; absent at link time is a build error). */
extern const struct hvm_vendor_ops svm_vendor_ops;
extern const struct hvm_vendor_ops vmx_vendor_ops;     /* arch/x86_64/vmx/vendor_ops.c */

#endif
