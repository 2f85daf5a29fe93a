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

/* vmx/vmcs_setup.c: the whole VMCS of a new vCPU (current on this CPU). */
int vmcs_setup(struct vmx_vcpu *vv);
/* Host fields that differ per CPU (after the VMCS is made current here). */
void vmcs_host_cpu_state(void);
/* Host fields that may change between entries (CR3, FS/GS bases). */
void vmcs_host_entry_state(void);

/* vmx/entry.S */
int vmx_enter(struct cpu_regs *regs, int launched);
void vmx_exit_stub(void);

#endif
