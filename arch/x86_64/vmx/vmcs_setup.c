/* A new vCPU's VMCS: execution controls, exit and entry controls, and the
 * guest fields that do not depend on where the guest starts (SDM vol. 3
 * chapter 25; checks on the values: 27.2-27.3). Every control value goes
 * through vmx_ctl_compute, so bits the CPU forces are set and missing
 * required features fail here, not at VM entry. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/timer.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

#define MSR_DEBUGCTL    0x1d9

/* What a guest may not do without Keel: halt, touch ports, MSRs, debug
 * registers, MONITOR/MWAIT, performance counters. CPUID, VMCALL and the VMX
 * instructions exit unconditionally. External interrupts and NMIs always
 * leave the guest: they belong to Keel. */
#define PIN_REQUIRED    (PIN_EXT_INTR_EXIT | PIN_NMI_EXIT)
#define PROC_REQUIRED   (PROC_HLT_EXIT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY | \
                         PROC_MOV_DR_EXIT | PROC_MWAIT_EXIT | PROC_MONITOR_EXIT | PROC_RDPMC_EXIT)
#define PROC2_REQUIRED  (PROC2_EPT | PROC2_UNRESTRICTED)
#define EXIT_REQUIRED   (EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER)
#define EXIT_OPTIONAL   (EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG)
#define ENTRY_REQUIRED  (ENTRY_LOAD_EFER)
#define ENTRY_OPTIONAL  (ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG)

/* The VMX-preemption timer bounds every stay in the guest to a slice even
 * when no host interrupt makes it exit. Real CPUs do not need it (external
 * interrupts exit whatever the guest's IF), but Bochs 2.7 keeps host
 * interrupts masked while a guest it entered with RFLAGS.IF=0 never changes
 * IF (VM entry loads RFLAGS before it marks the CPU as in the guest, so the
 * SDM's "external-interrupt exiting ignores IF" never applies; seen in
 * bochs/cpu/vmx.cc VMenterLoadCheckGuestState): a vCPU spinning with
 * interrupts off would hold the CPU and every IPI to it for ever. */
#define PREEMPT_SLICE_HZ    100         /* 10 ms */

static uint32_t preempt_ticks(void)
{
    /* IA32_VMX_MISC bits 4:0: the timer counts once per 2^rate TSC ticks (SDM A.6). */
    unsigned rate = vmx_caps.misc & 0x1f;
    uint64_t ticks = (tsc_hz / PREEMPT_SLICE_HZ) >> rate;
    return ticks > UINT32_MAX ? UINT32_MAX : ticks ? (uint32_t)ticks : 1;
}

#define PAT_DEFAULT     0x0007040600070406UL    /* the reset value (SDM 13.12.4) */
#define DR7_DEFAULT     0x400UL

static int controls(struct vmx_vcpu *vv)
{
    uint32_t pin, proc, proc2, exit, entry;
    /* RDTSCP, INVPCID and XSAVES stay off: #UD in the guest, as the HVM
     * CPUID policy hides them (RDTSCP would read Keel's TSC_AUX). */
    uint32_t proc2_opt = vv->vpid ? PROC2_VPID : 0;

    if (vmx_ctl_compute(vmx_caps.pin, PIN_REQUIRED, PIN_PREEMPTION_TIMER, &pin) ||
        vmx_ctl_compute(vmx_caps.proc, PROC_REQUIRED, PROC_TSC_OFFSET, &proc) ||
        vmx_ctl_compute(vmx_caps.proc2, PROC2_REQUIRED, proc2_opt, &proc2) ||
        vmx_ctl_compute(vmx_caps.exit, EXIT_REQUIRED, EXIT_OPTIONAL, &exit) ||
        vmx_ctl_compute(vmx_caps.entry, ENTRY_REQUIRED, ENTRY_OPTIONAL, &entry)) {
        log_err("vmx: the CPU refuses a control Keel requires\n");
        return -ENODEV;
    }
    /* Without the TRUE_ MSRs the CPU may force CR3-load/store exiting:
     * vmx_handle_cr_access then serves MOV CR3. */
    vmcs_write32(VMCS_PIN_CTLS, pin);
    /* Without "save VMX-preemption timer value" the field keeps its value
     * and every entry starts a full slice (SDM 26.7.4, 27.5.1). */
    vv->preempt_ticks = (pin & PIN_PREEMPTION_TIMER) ? preempt_ticks() : 0;
    if (vv->preempt_ticks)
        vmcs_write32(VMCS_PREEMPTION_TIMER, vv->preempt_ticks);
    vmcs_write32(VMCS_PROC_CTLS, proc);
    vmcs_write32(VMCS_PROC_CTLS2, proc2);
    vmcs_write32(VMCS_EXIT_CTLS, exit);
    vmcs_write32(VMCS_ENTRY_CTLS, entry);
    vv->proc_ctls = proc;

    vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write32(VMCS_PF_ERROR_MASK, 0);
    vmcs_write32(VMCS_PF_ERROR_MATCH, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    vmcs_write64(VMCS_IO_BITMAP_A, virt_to_phys(vv->io_bitmap));
    vmcs_write64(VMCS_IO_BITMAP_B, virt_to_phys(vv->io_bitmap + PAGE_SIZE));
    vmcs_write64(VMCS_MSR_BITMAP, virt_to_phys(vv->msr_bitmap));
    vmcs_write64(VMCS_EPT_POINTER, vv->eptp);
    if (vv->vpid)
        vmcs_write16(VMCS_VPID, vv->vpid);
    vmcs_write64(VMCS_TSC_OFFSET, 0);
    return 0;
}

/* Guest fields every start state shares. CR0/CR4: the bits VMX fixes are
 * owned by Keel (guest/host mask): the guest reads its own values from the
 * shadows, and a write that changes an owned bit exits. Unrestricted guest
 * frees PE and PG from CR0_FIXED0 (SDM 27.3.1.1). CD and NW are owned too:
 * VM entry leaves them as the host has them (SDM 27.3.2.1; Bochs' BIOS
 * leaves caching off, so a guest read CD|NW it never set), and a guest
 * must not turn the CPU's caches off for Keel. */
#define CR0_CD      (1UL << 30)
#define CR0_NW      (1UL << 29)

static void guest_common(struct vmx_vcpu *vv)
{
    uint64_t cr0_fixed0 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
    vmcs_writen(VMCS_CR0_MASK, cr0_fixed0 | ~vmx_caps.cr0_fixed1 | CR0_CD | CR0_NW);
    vmcs_writen(VMCS_CR4_MASK, vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1);
    vmcs_write64(VMCS_LINK_POINTER, ~0UL);
    vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
    vmcs_write64(VMCS_GUEST_PAT, PAT_DEFAULT);
    vmcs_writen(VMCS_GUEST_DR7, DR7_DEFAULT);
    vmcs_writen(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY, 0);
    vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
    vmcs_writen(VMCS_GUEST_SYSENTER_ESP, 0);
    vmcs_writen(VMCS_GUEST_SYSENTER_EIP, 0);
    vmcs_write16(VMCS_GUEST_LDTR_SEL, 0);
    vmcs_writen(VMCS_GUEST_LDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_LDTR_LIMIT, 0);
    vmcs_write32(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
}

int vmcs_setup(struct vmx_vcpu *vv)
{
    int rc = controls(vv);
    if (rc)
        return rc;
    vmcs_host_cpu_state();
    guest_common(vv);
    return vmx_write_errors ? -EIO : 0;
}
