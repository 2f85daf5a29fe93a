/* Intel VMX backend: what the rest of Keel sees. The vendor-neutral HVM
 * layer drives a struct vmx_vcpu through these calls; the VMCS itself stays
 * inside arch/x86_64/vmx/. */
#ifndef KEEL_VMX_H
#define KEEL_VMX_H

#include <keel/types.h>
#include <keel/traps.h>
#include <keel/vmx_caps.h>
#include <keel/ept.h>

/* ---- per CPU (vmx/enable.c), through hvm_vendor_ops ---- */
/* Boot CPU: reads the capability MSRs once; Keel uses VMX only with EPT
 * (4-level, WB), unrestricted guest and EFER load/save. */
bool vmx_probe(char *features, size_t len);
/* Every CPU: IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, VMXON. */
int vmx_cpu_enable(void);
/* VMX on: the boot CPU entered VMX operation and no CPU failed to. */
bool vmx_usable(void);
extern struct vmx_caps vmx_caps;

/* ---- a vCPU (vmx/vcpu.c) ---- */
struct vmx_exit {
    uint32_t reason;                    /* basic reason (vmcs.h enum vmx_exit_reason) */
    bool entry_failed;                  /* bit 31: the guest never ran */
    uint64_t qualification;
    uint64_t guest_phys;                /* EPT violations / misconfigurations */
    uint64_t guest_linear;
    uint32_t insn_len;
    uint32_t intr_info;                 /* exits on exceptions / interrupts */
    uint32_t intr_error;
    uint32_t idt_vectoring_info;        /* an event cut short by this exit */
    uint32_t insn_info;                 /* INS/OUTS: address size, segment (SDM 28.2.5) */
    bool has_insn_info;
};

#define VMX_EXIT_COUNTERS   65
#define VMX_NR_SYSCALL_MSRS 5           /* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE */

struct vmx_vcpu {
    void *vmcs;                         /* one page, revision id first */
    paddr_t vmcs_pa;
    int cpu;                            /* CPU it is active on, -1: clear (nowhere) */
    int last_cpu;                       /* where it last ran: a move flushes its VPID */
    bool launched;                      /* VMLAUNCH done since the last VMCLEAR */
    bool flush_pending;                 /* INVEPT + INVVPID before the next entry */
    uint16_t vpid;                      /* 0: VPIDs not used */
    uint64_t eptp;                      /* 0: no EPT root yet (entry would fail) */
    uint8_t *msr_bitmap;                /* 1 page: a set bit = the access exits */
    uint8_t *io_bitmap;                 /* 2 pages (A: ports 0-0x7fff, B: the rest) */
    uint64_t cr2;                       /* the guest's CR2 (not in the VMCS) */
    uint64_t exit_rip;                  /* guest RIP at the last exit */
    uint64_t host_cr3;                  /* VMCS host CR3 as last written (0: not yet) */
    uint64_t dr[4], dr6, dr7;           /* the guest's debug registers (virtual only) */
    /* Syscall MSRs are not in the VMCS: the guest's are on the CPU from
     * vcpu_load to vcpu_put, Keel's own are put back then. */
    uint64_t guest_msrs[VMX_NR_SYSCALL_MSRS], host_msrs[VMX_NR_SYSCALL_MSRS];
    uint32_t proc_ctls;                 /* primary processor-based controls */
    uint32_t preempt_ticks;             /* VMX-preemption timer per entry (0: not used) */
    uint32_t pending_event;             /* VM-entry interruption info to inject (0: none) */
    uint32_t pending_error;
    uint32_t pending_insn_len;          /* software interrupts / exceptions */
    uint64_t exits[VMX_EXIT_COUNTERS];  /* per basic exit reason */
};

/* ---- life cycle (vmx/vcpu.c) ---- */
/* A VMCS in the PVH start state (32-bit protected mode, paging off, flat
 * 4 GiB CS/DS/ES/SS, TR a busy 32-bit TSS; ref/xen-pv-abi.md, PVH); every
 * port and MSR exits; no EPT root yet. Leaves the VMCS clear. */
int vmx_vcpu_init(struct vmx_vcpu *vv);
void vmx_vcpu_destroy(struct vmx_vcpu *vv);
/* vv becomes current on this CPU / leaves it (VMCLEAR: then it may be
 * loaded on any CPU). Either may be called with interrupts off. */
void vmx_vcpu_load(struct vmx_vcpu *vv);
void vmx_vcpu_put(struct vmx_vcpu *vv);
/* The registers of the PVH entry: EIP = entry, EBX = start info. */
void vmx_pvh_entry_regs(struct cpu_regs *regs, uint64_t entry, uint64_t start_info);

/* ---- one round trip (vmx/run.c) ---- */
/* Runs the guest from regs (GPRs, RIP, RSP, RFLAGS) until an exit Keel's
 * generic code must see; regs and *exit then describe it. MOV CR and MOV DR
 * exits are served inside. 0, or -EIO when VMLAUNCH/VMRESUME failed (the
 * VM-instruction error is logged: the caller crashes the domain). Loads vv
 * if it is not current here. Interrupts: left as found, except that with
 * them on, an interrupt that made the guest exit is taken before return. */
int vmx_vcpu_run(struct vmx_vcpu *vv, struct cpu_regs *regs, struct vmx_exit *exit);
/* The guest instruction that exited is done: RIP past it (exit->insn_len),
 * and a blocking-by-STI/MOV-SS shadow ends. (Generic code may just move
 * regs->rip: the shadow ends then too, see vmx_settle_shadow.) */
void vmx_skip_insn(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit);

/* ---- events, intercepts (vmx/events.c) ---- */
/* Queues an event for the next entry: a hardware exception (NMI for vector
 * 2), with an error code when has_error; an external interrupt; a software
 * interrupt (INT n, insn_len bytes). */
void vmx_inject_exception(struct vmx_vcpu *vv, unsigned vector, bool has_error, uint32_t error);
void vmx_inject_interrupt(struct vmx_vcpu *vv, unsigned vector);
void vmx_inject_swint(struct vmx_vcpu *vv, unsigned vector, unsigned insn_len);
/* Whether the guest takes an external interrupt now (RFLAGS.IF, no STI or
 * MOV-SS shadow, nothing queued); interrupt-window exiting on/off. */
bool vmx_interrupt_allowed(struct vmx_vcpu *vv, const struct cpu_regs *regs);
/* An STI or MOV SS shadow covers one instruction: if RIP moved since the
 * exit, the exiting instruction was completed for the guest (e.g. "sti;
 * hlt" with HLT emulated) and the shadow is over; left set, no interrupt
 * could ever be injected at the "cli" that often follows. */
void vmx_settle_shadow(struct vmx_vcpu *vv, const struct cpu_regs *regs);
void vmx_set_interrupt_window(struct vmx_vcpu *vv, bool on);
/* Ports and MSRs the guest may use without exits. */
void vmx_io_allow(struct vmx_vcpu *vv, uint16_t port, bool allow);
void vmx_msr_allow(struct vmx_vcpu *vv, uint32_t msr, bool read, bool write);

/* ---- guest state (vmx/cr.c, vmx/state.c) ---- */
/* These reach the VMCS of a vCPU current on this CPU or of one loaded
 * nowhere (borrowed for the access). */
int vmx_set_cr0(struct vmx_vcpu *vv, uint64_t val);
/* CR0/CR3/CR4 as the guest sees them; EFER with LMA. */
uint64_t vmx_get_cr(struct vmx_vcpu *vv, unsigned cr);
uint64_t vmx_get_efer(struct vmx_vcpu *vv);
int vmx_set_cr4(struct vmx_vcpu *vv, uint64_t val);
void vmx_set_efer(struct vmx_vcpu *vv, uint64_t val);
void vmx_set_eptp(struct vmx_vcpu *vv, uint64_t eptp);
void vmx_set_tsc_offset(struct vmx_vcpu *vv, int64_t offset);
/* Name of a basic exit reason ("CPUID", "EPT violation", ...). */
const char *vmx_exit_name(uint32_t reason);
/* The vCPU's VMCS state, to the log (crash reports). */
void vmx_vcpu_dump(struct vmx_vcpu *vv);

#endif
