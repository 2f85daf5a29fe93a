/* Secondary vCPUs: VCPUOP_initialise with a vcpu_hvm_context in 64-bit
 * mode (public/hvm/hvm_vcpu.h: CR0/CR3/CR4/EFER, RIP, RSP, RDI; Xen gives
 * flat 64-bit segments, hvm/domain.c arch_set_info_hvm_guest), then
 * VCPUOP_up (docs/misc/pvh.pandoc "AP startup"). */
#include "pvh.h"

extern char pvh_ap_start64[];
static void (*ap_fn[2])(unsigned);

void pvh_ap_main(uint64_t id)
{
    wrmsr(0xc0000101, id);                  /* GS base = vCPU id (traps.c) */
    idt_load();
    if (id < 2 && ap_fn[id])
        ap_fn[id]((unsigned)id);
    for (;;)
        __asm__ __volatile__("cli; hlt");
}

long start_ap(unsigned id, void (*fn)(unsigned), void *stack_top)
{
    struct vcpu_hvm_context ctx;
    uint64_t cr0, cr4;

    memset(&ctx, 0, sizeof(ctx));
    __asm__ __volatile__("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    ctx.mode = 1;                           /* VCPU_HVM_MODE_64B */
    ctx.cpu_regs.x86_64.rip = (uint64_t)pvh_ap_start64;
    ctx.cpu_regs.x86_64.rsp = (uint64_t)stack_top;
    ctx.cpu_regs.x86_64.rdi = id;
    ctx.cpu_regs.x86_64.rflags = 0x2;
    ctx.cpu_regs.x86_64.cr0 = cr0;
    ctx.cpu_regs.x86_64.cr3 = read_cr3();
    ctx.cpu_regs.x86_64.cr4 = cr4;
    ctx.cpu_regs.x86_64.efer = rdmsr(0xc0000080);
    if (id < 2)
        ap_fn[id] = fn;
    long rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &ctx);
    if (rc)
        return rc;
    return HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
}
