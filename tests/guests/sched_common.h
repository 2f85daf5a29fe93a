/* Helpers of the scheduler test kernels (t_sched_*.c): runstate figures
 * (VCPUOP_get_runstate_info, ref 5.15) and starting a vCPU; the pvclock
 * and command-line options are the library's (common/test.h). */
#ifndef SCHED_COMMON_H
#define SCHED_COMMON_H

#include "guest.h"
#include <public/vcpu.h>

#define ENOENT 2
#define EFAULT 14

static inline void runstate(unsigned vcpu, struct vcpu_runstate_info *r)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, vcpu, r);
    if (rc)
        guest_abort("get_runstate_info(%u): %ld", vcpu, rc);
}

/* System time covered by the figures (sum of the four states). */
static inline uint64_t runstate_total(const struct vcpu_runstate_info *r)
{
    return r->time[0] + r->time[1] + r->time[2] + r->time[3];
}

/* Starts vCPU `id` in kernel mode at entry() on the given stack, with its
 * id in rbx (VCPUOP_initialise + up, ref 5.15); ctx is scratch. */
static inline void start_vcpu(struct vcpu_guest_context *ctx, unsigned id, void (*entry)(void),
                              void *stack_top)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->flags = VGCF_IN_KERNEL;
    ctx->user_regs.rip = (uint64_t)entry;
    ctx->user_regs.rsp = (uint64_t)stack_top;
    ctx->user_regs.rbx = id;
    ctx->user_regs.cs = FLAT_KERNEL_CS;
    ctx->user_regs.ss = FLAT_KERNEL_SS;
    ctx->user_regs.rflags = 0x200;
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = ctx->user_regs.rsp;
    ctx->ctrlreg[3] = l4_mfn() << 12;
    check_eq("initialise", HYPERVISOR_vcpu_op(VCPUOP_initialise, id, ctx), 0);
    check_eq("up", HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL), 0);
}

#endif
