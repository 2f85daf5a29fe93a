/* Intel VMX backend: what the rest of Keel sees. The vendor-neutral HVM
 * layer drives a struct vmx_vcpu through these calls; the VMCS itself stays
 * inside arch/x86_64/vmx/. */
#ifndef KEEL_VMX_H
#define KEEL_VMX_H

#include <keel/types.h>
#include <keel/traps.h>
#include <keel/vmx_caps.h>
#include <keel/ept.h>

/* ---- per CPU (vmx/enable.c) ---- */
/* Boot CPU: reads the capability MSRs once and decides whether Keel uses
 * VMX (needs EPT and unrestricted guest); every CPU then enters VMX
 * operation in vmx_cpu_init (from cpu_init). */
void vmx_boot_init(void);
void vmx_cpu_init(unsigned cpu);
/* VMX usable: the boot CPU qualified and no CPU failed VMXON so far. */
bool vmx_usable(void);
extern struct vmx_caps vmx_caps;
/* "VMX (EPT, VPID, unrestricted guest)" */
const char *vmx_describe(void);

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
};

#define VMX_EXIT_COUNTERS   65

struct vmx_vcpu {
    void *vmcs;                         /* one page, revision id first */
    paddr_t vmcs_pa;
    int cpu;                            /* CPU it is active on, -1: clear */
    bool launched;                      /* VMLAUNCH done since the last VMCLEAR */
    uint16_t vpid;                      /* 0: VPIDs not used */
    struct ept *ept;                    /* the domain's (shared by its vCPUs) */
    uint8_t *msr_bitmap;                /* 1 page: a set bit = the access exits */
    uint8_t *io_bitmap;                 /* 2 pages (A: ports 0-0x7fff, B: the rest) */
    uint64_t cr2;                       /* the guest's CR2 (not in the VMCS) */
    uint64_t cr0_shadow, cr4_shadow;    /* CR0/CR4 as the guest believes them */
    uint64_t efer;                      /* the guest's IA32_EFER */
    uint32_t entry_ctls;                /* VM-entry controls as last written */
    uint32_t proc_ctls;                 /* primary processor-based controls */
    uint32_t pending_event;             /* VM-entry interruption info to inject (0: none) */
    uint32_t pending_error;
    uint32_t pending_insn_len;          /* software interrupts / exceptions */
    uint64_t exits[VMX_EXIT_COUNTERS];  /* per basic exit reason */
};

/* A VMCS for a vCPU of a domain whose memory `ept` maps, in the PVH
 * start state (vmx_vcpu_set_pvh_entry); every port and MSR exits. */
int vmx_vcpu_init(struct vmx_vcpu *vv, struct ept *ept);
void vmx_vcpu_destroy(struct vmx_vcpu *vv);
/* PVH entry (ref/xen-pv-abi.md, PVH): 32-bit protected mode, paging off,
 * flat 4 GiB CS/DS/ES/SS, TR a 32-bit TSS; EBX = start info, EIP = entry. */
void vmx_vcpu_set_pvh_entry(struct vmx_vcpu *vv, struct cpu_regs *regs, uint64_t entry,
                            uint64_t start_info);
/* Runs the guest from regs (GPRs, RIP, RSP, RFLAGS) until it exits; regs and
 * *exit then describe the exit. 0, or -EIO when VMLAUNCH/VMRESUME failed
 * (the VM-instruction error is logged: the caller crashes the domain).
 * Interrupts must be on; they are off only around the entry. */
int vmx_vcpu_run(struct vmx_vcpu *vv, struct cpu_regs *regs, struct vmx_exit *exit);
/* The guest instruction that exited is done: RIP past it (exit->insn_len),
 * and a blocking-by-STI/MOV-SS shadow ends. */
void vmx_skip_insn(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit);
/* Queues an event for the next entry: an external interrupt (vector), NMI
 * or hardware exception (with an error code when has_error). */
void vmx_inject_exception(struct vmx_vcpu *vv, unsigned vector, bool has_error, uint32_t error);
void vmx_inject_interrupt(struct vmx_vcpu *vv, unsigned vector);
/* Whether the guest takes an external interrupt now (RFLAGS.IF, no STI or
 * MOV-SS shadow, nothing queued); interrupt-window exiting on/off. */
bool vmx_interrupt_allowed(struct vmx_vcpu *vv, const struct cpu_regs *regs);
void vmx_set_interrupt_window(struct vmx_vcpu *vv, bool on);
/* Ports and MSRs the guest may use without exits. */
void vmx_io_allow(struct vmx_vcpu *vv, uint16_t port, bool allow);
void vmx_msr_allow(struct vmx_vcpu *vv, uint32_t msr, bool read, bool write);
/* Guest control registers and EFER as the guest sees them (MOV CR exits and
 * the MSR policy call these): fixed bits, shadows, IA-32e mode kept right. */
int vmx_set_cr0(struct vmx_vcpu *vv, uint64_t val);
int vmx_set_cr4(struct vmx_vcpu *vv, uint64_t val);
void vmx_set_efer(struct vmx_vcpu *vv, uint64_t val);
/* Handles a CR-access exit (MOV to/from CR0/3/4, CLTS, LMSW): 0, or -EINVAL
 * when the guest must get #GP (injected already). */
int vmx_handle_cr_access(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit);
/* Name of a basic exit reason ("CPUID", "EPT violation", ...). */
const char *vmx_exit_name(uint32_t reason);
/* The vCPU's VMCS state, to the log (crash reports). */
void vmx_vcpu_dump(struct vmx_vcpu *vv);

#endif
