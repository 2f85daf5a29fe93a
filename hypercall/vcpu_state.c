/* stack_switch (#3), set_segment_base (#25) (ref 5.7). */
#include <keel/hypercall.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

DECLARE_HYPERCALL(stack_switch)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    v->kernel_ss = a1;
    v->kernel_sp = a2;
    return 0;
}

DECLARE_HYPERCALL(set_segment_base)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    if (!canonical(a2))
        return -EINVAL;
    switch ((unsigned)a1) {
    case SEGBASE_FS:
        v->fs_base = a2;
        wrmsr(MSR_FS_BASE, a2);
        return 0;
    case SEGBASE_GS_USER:
        v->gs_base_user = a2;
        if (v->kernel_mode)
            wrmsr(MSR_KERNEL_GS_BASE, a2);      /* the inactive one */
        else
            wrmsr(MSR_GS_BASE, a2);
        return 0;
    case SEGBASE_GS_KERNEL:
        v->gs_base_kernel = a2;
        if (v->kernel_mode)
            wrmsr(MSR_GS_BASE, a2);
        else
            wrmsr(MSR_KERNEL_GS_BASE, a2);
        return 0;
    case SEGBASE_GS_USER_SEL:
        pv_load_user_gs_selector(v, (uint16_t)a2);
        return 0;
    default:
        return -EINVAL;
    }
}
