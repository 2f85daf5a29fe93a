/* VMCS host-state area: what the CPU loads on every VM exit (SDM vol. 3
 * 25.5, 28.5). The exit lands in vmx_exit_stub on the stack vmx_enter left
 * (host RSP is written there, per entry). Fields that differ per CPU are
 * written when a VMCS becomes current on a CPU; CR3 before an entry when it
 * changed (vmx/run.c). */
#include <keel/desc.h>
#include <keel/percpu.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

#define MSR_SYSENTER_CS     0x174
#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176

static inline uint16_t read_sel(int which)
{
    uint16_t s = 0;
    switch (which) {
    case 0: __asm__ __volatile__("mov %%cs, %0" : "=r"(s)); break;
    case 1: __asm__ __volatile__("mov %%ss, %0" : "=r"(s)); break;
    }
    return s;
}

void vmcs_host_cpu_state(void)
{
    struct desc_ptr gdt, idt;
    __asm__ __volatile__("sgdt %0" : "=m"(gdt));
    __asm__ __volatile__("sidt %0" : "=m"(idt));

    vmcs_writen(VMCS_HOST_CR0, read_cr0());
    vmcs_writen(VMCS_HOST_CR4, read_cr4());
    vmcs_write16(VMCS_HOST_CS_SEL, read_sel(0));
    /* SS: RPL 0 required; Keel's own SS may be a null selector. Data
     * segments are null in 64-bit mode; FS/GS bases come from the fields. */
    vmcs_write16(VMCS_HOST_SS_SEL, read_sel(1) & ~7);
    vmcs_write16(VMCS_HOST_DS_SEL, 0);
    vmcs_write16(VMCS_HOST_ES_SEL, 0);
    vmcs_write16(VMCS_HOST_FS_SEL, 0);
    vmcs_write16(VMCS_HOST_GS_SEL, 0);
    vmcs_write16(VMCS_HOST_TR_SEL, TSS_SEL);
    vmcs_writen(VMCS_HOST_TR_BASE, (uint64_t)&this_cpu()->tss);
    vmcs_writen(VMCS_HOST_GDTR_BASE, gdt.base);
    vmcs_writen(VMCS_HOST_IDTR_BASE, idt.base);
    vmcs_write32(VMCS_HOST_SYSENTER_CS, (uint32_t)rdmsr(MSR_SYSENTER_CS));
    vmcs_writen(VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
    vmcs_writen(VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
    vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
    vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_PAT));
    vmcs_writen(VMCS_HOST_RIP, (uint64_t)vmx_exit_stub);
}

/* FS/GS bases: Keel itself does not use them, so those of the moment the
 * vCPU is loaded serve until it is put. */
void vmcs_host_load_state(void)
{
    vmcs_writen(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmcs_writen(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
}
