/* A VMX vCPU's life cycle: its VMCS and bitmaps, and which CPU holds the
 * VMCS. A VMCS is active on at most one CPU; vmx_vcpu_put clears it
 * (VMCLEAR), so a vCPU not running is loaded nowhere and any CPU may load
 * it next (SDM vol. 3 25.1, 25.11.1). */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

static struct vmx_vcpu *loaded[NR_CPUS];    /* the current VMCS of each CPU */

static const uint32_t syscall_msrs[VMX_NR_SYSCALL_MSRS] = {
    MSR_STAR, MSR_LSTAR, 0xc0000083 /* CSTAR */, 0xc0000084 /* SFMASK */, MSR_KERNEL_GS_BASE,
};

bool vmcs_begin(struct vmx_vcpu *vv, struct vmcs_access *a)
{
    unsigned cpu = smp_processor_id();
    a->flags = irq_save();
    a->borrowed = false;
    a->prev = loaded[cpu];
    if (a->prev == vv)
        return true;
    if (vv->cpu >= 0 || vmx_vmptrld(vv->vmcs_pa)) {
        log_err("vmx: VMCS of a vCPU active on CPU %d reached from CPU %u\n", vv->cpu, cpu);
        irq_restore(a->flags);
        return false;
    }
    a->borrowed = true;
    loaded[cpu] = vv;               /* nested accesses find it current */
    return true;
}

void vmcs_end(struct vmx_vcpu *vv, struct vmcs_access *a)
{
    if (a->borrowed) {
        vmx_vmclear(vv->vmcs_pa);
        loaded[smp_processor_id()] = a->prev;
        if (a->prev)
            vmx_vmptrld(a->prev->vmcs_pa);
    }
    irq_restore(a->flags);
}

void vmx_vcpu_load(struct vmx_vcpu *vv)
{
    unsigned cpu = smp_processor_id();
    if (vv->cpu == (int)cpu && loaded[cpu] == vv)
        return;
    if (vv->cpu >= 0 && vv->cpu != (int)cpu) {
        log_err("vmx: vCPU still active on CPU %d loaded on CPU %u\n", vv->cpu, cpu);
        return;
    }
    uint64_t flags = irq_save();
    if (vmx_vmptrld(vv->vmcs_pa)) {
        irq_restore(flags);
        log_err("vmx: VMPTRLD failed on CPU %u\n", cpu);
        return;
    }
    loaded[cpu] = vv;
    vmcs_host_load_state();
    if (vv->cpu != (int)cpu) {
        vv->cpu = (int)cpu;
        vv->launched = false;
        vv->host_cr3 = 0;
        vmcs_host_cpu_state();
        for (unsigned i = 0; i < VMX_NR_SYSCALL_MSRS; i++) {
            vv->host_msrs[i] = rdmsr(syscall_msrs[i]);
            wrmsr(syscall_msrs[i], vv->guest_msrs[i]);
        }
        /* Translations its VPID left on this CPU may be stale. */
        if (vv->last_cpu != (int)cpu)
            vv->flush_pending = true;
        vv->last_cpu = (int)cpu;
    }
    irq_restore(flags);
}

void vmx_vcpu_put(struct vmx_vcpu *vv)
{
    unsigned cpu = smp_processor_id();
    if (vv->cpu != (int)cpu)
        return;
    uint64_t flags = irq_save();
    for (unsigned i = 0; i < VMX_NR_SYSCALL_MSRS; i++) {
        vv->guest_msrs[i] = rdmsr(syscall_msrs[i]);
        wrmsr(syscall_msrs[i], vv->host_msrs[i]);
    }
    vmx_vmclear(vv->vmcs_pa);
    if (loaded[cpu] == vv)
        loaded[cpu] = NULL;
    vv->cpu = -1;
    vv->launched = false;
    irq_restore(flags);
}

/* The guest's syscall MSR i: on the CPU while vv is loaded, else saved. */
uint64_t vmx_syscall_msr(struct vmx_vcpu *vv, unsigned i)
{
    return vv->cpu == (int)smp_processor_id() ? rdmsr(syscall_msrs[i]) : vv->guest_msrs[i];
}

void vmx_set_syscall_msr(struct vmx_vcpu *vv, unsigned i, uint64_t val)
{
    vv->guest_msrs[i] = val;
    if (vv->cpu == (int)smp_processor_id())
        wrmsr(syscall_msrs[i], val);
}

static void *filled_pages(unsigned order, uint8_t fill)
{
    void *p = alloc_pages(order);
    if (p)
        memset(p, fill, PAGE_SIZE << order);
    return p;
}

static void set_segment(enum vmcs16 sel, uint16_t s, enum vmcs_nat base, enum vmcs32 limit,
                        uint32_t l, enum vmcs32 ar, uint32_t a)
{
    vmcs_write16(sel, s);
    vmcs_writen(base, 0);
    vmcs_write32(limit, l);
    vmcs_write32(ar, a);
}

/* The PVH start state (SDM 27.3.1 checks it at entry). */
static void pvh_state(struct vmx_vcpu *vv)
{
    set_segment(VMCS_GUEST_CS_SEL, 0x08, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, 0xffffffff,
                VMCS_GUEST_CS_AR, AR_CODE32_FLAT);
    set_segment(VMCS_GUEST_DS_SEL, 0x10, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, 0xffffffff,
                VMCS_GUEST_DS_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_ES_SEL, 0x10, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, 0xffffffff,
                VMCS_GUEST_ES_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_SS_SEL, 0x10, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, 0xffffffff,
                VMCS_GUEST_SS_AR, AR_DATA32_FLAT);
    set_segment(VMCS_GUEST_FS_SEL, 0, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, 0,
                VMCS_GUEST_FS_AR, AR_UNUSABLE);
    set_segment(VMCS_GUEST_GS_SEL, 0, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, 0,
                VMCS_GUEST_GS_AR, AR_UNUSABLE);
    set_segment(VMCS_GUEST_TR_SEL, 0x18, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT, 0x67,
                VMCS_GUEST_TR_AR, AR_TSS32_BUSY);
    vmcs_writen(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0);
    vmcs_writen(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0);
    vmcs_writen(VMCS_GUEST_CR3, 0);
    vmcs_writen(VMCS_GUEST_RIP, 0);
    vmcs_writen(VMCS_GUEST_RSP, 0);
    vmcs_writen(VMCS_GUEST_RFLAGS, 0x2);
    vmx_set_efer(vv, 0);
    vmx_set_cr4(vv, 0);
    vmx_set_cr0(vv, CR0_PE | (1UL << 4));       /* ET: hard-wired 1 since the 486 */
    vv->dr6 = 0xffff0ff0;                       /* reset values */
    vv->dr7 = 0x400;
}

void vmx_pvh_entry_regs(struct cpu_regs *regs, uint64_t entry, uint64_t start_info)
{
    memset(regs, 0, sizeof(*regs));
    regs->rip = entry;
    regs->rbx = start_info;
    regs->rflags = 0x2;                         /* bit 1 reads as 1 */
}

int vmx_vcpu_init(struct vmx_vcpu *vv)
{
    struct vmcs_access a;
    memset(vv, 0, sizeof(*vv));
    vv->cpu = vv->last_cpu = -1;
    vv->vmcs = filled_pages(0, 0);
    vv->msr_bitmap = filled_pages(0, 0xff);     /* every MSR access exits */
    vv->io_bitmap = filled_pages(1, 0xff);      /* every port exits */
    if (!vv->vmcs || !vv->msr_bitmap || !vv->io_bitmap) {
        vmx_vcpu_destroy(vv);
        return -ENOMEM;
    }
    *(uint32_t *)vv->vmcs = VMX_BASIC_REVISION(vmx_caps.basic);
    vv->vmcs_pa = virt_to_phys(vv->vmcs);
    vv->vpid = vpid_alloc();
    int rc = -EIO;
    if (!vmx_vmclear(vv->vmcs_pa) && vmcs_begin(vv, &a)) {
        rc = vmcs_setup(vv);
        if (!rc)
            pvh_state(vv);
        vmcs_end(vv, &a);
    }
    if (rc) {
        log_err("vmx: cannot set up a VMCS (%d)\n", rc);
        vmx_vcpu_destroy(vv);
    }
    return rc;
}

static void clear_here(void *arg)
{
    vmx_vcpu_put(arg);
}

void vmx_vcpu_destroy(struct vmx_vcpu *vv)
{
    if (vv->cpu >= 0)
        smp_call_on_cpu((unsigned)vv->cpu, clear_here, vv, true);
    vpid_free(vv->vpid);
    if (vv->vmcs)
        free_pages(vv->vmcs, 0);
    if (vv->msr_bitmap)
        free_pages(vv->msr_bitmap, 0);
    if (vv->io_bitmap)
        free_pages(vv->io_bitmap, 1);
    memset(vv, 0, sizeof(*vv));
    vv->cpu = vv->last_cpu = -1;
}
