/* Inside the VMX backend only. */
#ifndef KEEL_VMX_INTERNAL_H
#define KEEL_VMX_INTERNAL_H

#include <keel/vmx.h>

bool vmx_vpid_usable(void);
/* VPIDs (vmx/vpid.c): 0 when VPIDs are not used or all are taken. */
uint16_t vpid_alloc(void);
void vpid_free(uint16_t vpid);
/* INVVPID single context (all contexts where single is not offered). */
void vpid_flush(uint16_t vpid);
/* INVEPT single context for eptp (all contexts where single is not offered). */
void vmx_invept(uint64_t eptp);

/* vmx/vmcs_setup.c: the whole VMCS of a new vCPU (current on this CPU). */
int vmcs_setup(struct vmx_vcpu *vv);
/* Host fields that differ per CPU (after the VMCS is made current here). */
void vmcs_host_cpu_state(void);
/* Host FS/GS bases, when a vCPU is loaded. */
void vmcs_host_load_state(void);

/* Access to the VMCS of a vCPU that is current here or loaded nowhere: the
 * latter is made current for the access and cleared after, and this CPU's
 * own current VMCS (if any) is current again. Interrupts off in between. */
struct vmcs_access {
    struct vmx_vcpu *prev;
    uint64_t flags;
    bool borrowed;
};
bool vmcs_begin(struct vmx_vcpu *vv, struct vmcs_access *a);
void vmcs_end(struct vmx_vcpu *vv, struct vmcs_access *a);

/* Exits the backend serves itself (vmx/cr.c, vmx/dr.c): 0, or -EINVAL
 * when the guest got #GP instead. */
int vmx_handle_cr_access(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit);
int vmx_handle_dr_access(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit);
/* GPR n in the order of exit qualifications (SDM table 27-3: 0 RAX .. 15 R15). */
uint64_t *vmx_gpr(struct cpu_regs *regs, unsigned n);

/* vmx/entry.S */
int vmx_enter(struct cpu_regs *regs, int launched);
void vmx_exit_stub(void);

#endif
