/* The hypercall table and dispatch. Numbers: ref/xen-pv-abi.md 5.1 (Xen's
 * public xen.h). A number with no handler returns -ENOSYS and is logged
 * once per domain. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/printf.h>
#include <keel/vcpu.h>

static const struct hypercall_def hypercall_table[NR_HYPERCALLS] = {
    [0]  = { "set_trap_table",   do_set_trap_table,   false },
    [1]  = { "mmu_update",       do_mmu_update,       false },
    [2]  = { "set_gdt",          do_set_gdt,          false },
    [3]  = { "stack_switch",     do_stack_switch,     false },
    [4]  = { "set_callbacks",    do_set_callbacks,    false },
    [5]  = { "fpu_taskswitch",   do_fpu_taskswitch,   false },
    [7]  = { "platform_op",      do_platform_op,      true },
    [8]  = { "set_debugreg",     do_set_debugreg,     false },
    [9]  = { "get_debugreg",     do_get_debugreg,     false },
    [10] = { "update_descriptor", do_update_descriptor, false },
    [12] = { "memory_op",        do_memory_op,        false },
    [13] = { "multicall",        do_multicall,        false },
    [14] = { "update_va_mapping", do_update_va_mapping, false },
    [16] = { "event_channel_op_compat", do_event_channel_op_compat, false },
    [15] = { "set_timer_op",     do_set_timer_op,     false },
    [17] = { "xen_version",      do_xen_version,      false },
    [18] = { "console_io",       do_console_io,       false },
    [21] = { "vm_assist",        do_vm_assist,        false },
    [23] = { "iret",             do_iret,             false },
    [24] = { "vcpu_op",          do_vcpu_op,          false },
    [25] = { "set_segment_base", do_set_segment_base, false },
    [26] = { "mmuext_op",        do_mmuext_op,        false },
    [29] = { "sched_op",         do_sched_op,         false },
    [30] = { "callback_op",      do_callback_op,      false },
    [32] = { "event_channel_op", do_event_channel_op, false },
    [33] = { "physdev_op",       do_physdev_op,       false },
};

const char *hypercall_name(unsigned nr)
{
    static char unknown[NR_HYPERCALLS][4];
    if (nr >= NR_HYPERCALLS)
        return "?";
    if (hypercall_table[nr].name)
        return hypercall_table[nr].name;
    if (!unknown[nr][0])
        keel_snprintf(unknown[nr], sizeof(unknown[nr]), "#%u", nr);
    return unknown[nr];
}

long hypercall_unimplemented(struct vcpu *v, unsigned nr, const char *what, uint64_t subop)
{
    struct domain *d = v->d;
    unsigned bit = nr < 128 ? nr : 127;
    if (!(d->enosys_logged[bit / 64] & (1UL << (bit % 64)))) {
        d->enosys_logged[bit / 64] |= 1UL << (bit % 64);
        log_warn("domain %u: hypercall %u (%s) sub-op %lu not implemented: -ENOSYS\n",
                 d->id, nr, what, subop);
    }
    return -ENOSYS;
}

/* One entry of a multicall: not iret (it rewrites the frame) and not a
 * nested multicall. */
long hypercall_call_nested(struct vcpu *v, struct cpu_regs *regs, uint64_t nr, const uint64_t args[6])
{
    const struct hypercall_def *h = nr < NR_HYPERCALLS ? &hypercall_table[nr] : NULL;
    if (nr == 13 || nr == 23)
        return -EINVAL;
    hypercall_count(v->d, nr, args[0]);
    if (!h || !h->fn)
        return hypercall_unimplemented(v, (unsigned)(nr < 127 ? nr : 127), "unknown", 0);
    if (h->privileged && !v->d->privileged)
        return -EPERM;
    return h->fn(v, regs, args[0], args[1], args[2], args[3], args[4]);
}

void hypercall_dispatch(struct vcpu *v, struct cpu_regs *regs)
{
    uint64_t nr = regs->rax;
    const struct hypercall_def *h = nr < NR_HYPERCALLS ? &hypercall_table[nr] : NULL;
    long ret;

    hypercall_count(v->d, nr, regs->rdi);
    if (!h || !h->fn)
        ret = hypercall_unimplemented(v, (unsigned)(nr < 127 ? nr : 127), "unknown", 0);
    else if (h->privileged && !v->d->privileged)
        ret = -EPERM;
    else
        ret = h->fn(v, regs, regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8);
    if (ret != HYPERCALL_KEEP_REGS)
        regs->rax = (uint64_t)ret;
}
