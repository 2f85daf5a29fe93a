/* The hypercall table and dispatch. Numbers: ref/xen-pv-abi.md 5.1 (Xen's
 * public xen.h). A number with no handler returns -ENOSYS and is logged
 * once per domain. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/printf.h>
#include <keel/vcpu.h>

/* Columns: name, handler, privileged only, also for PVH guests (Xen 4.17's
 * hvm64 column in xen/include/hypercall-defs.c; a PV-only call from a PVH
 * guest is -ENOSYS there too). */
static const struct hypercall_def hypercall_table[NR_HYPERCALLS] = {
    [0]  = { "set_trap_table",   do_set_trap_table,   false, false },
    [1]  = { "mmu_update",       do_mmu_update,       false, false },
    [2]  = { "set_gdt",          do_set_gdt,          false, false },
    [3]  = { "stack_switch",     do_stack_switch,     false, false },
    [4]  = { "set_callbacks",    do_set_callbacks,    false, false },
    [5]  = { "fpu_taskswitch",   do_fpu_taskswitch,   false, false },
    [7]  = { "platform_op",      do_platform_op,      true, true },
    [8]  = { "set_debugreg",     do_set_debugreg,     false, false },
    [9]  = { "get_debugreg",     do_get_debugreg,     false, false },
    [10] = { "update_descriptor", do_update_descriptor, false, false },
    [12] = { "memory_op",        do_memory_op,        false, true },
    [13] = { "multicall",        do_multicall,        false, true },
    [14] = { "update_va_mapping", do_update_va_mapping, false, false },
    [16] = { "event_channel_op_compat", do_event_channel_op_compat, false, false },
    [15] = { "set_timer_op",     do_set_timer_op,     false, true },
    [17] = { "xen_version",      do_xen_version,      false, true },
    [18] = { "console_io",       do_console_io,       false, true },
    [20] = { "grant_table_op",   do_grant_table_op,   false, true },
    [21] = { "vm_assist",        do_vm_assist,        false, true },
    [23] = { "iret",             do_iret,             false, false },
    [24] = { "vcpu_op",          do_vcpu_op,          false, true },
    [25] = { "set_segment_base", do_set_segment_base, false, false },
    [26] = { "mmuext_op",        do_mmuext_op,        false, false },
    [29] = { "sched_op",         do_sched_op,         false, true },
    [30] = { "callback_op",      do_callback_op,      false, false },
    [32] = { "event_channel_op", do_event_channel_op, false, true },
    [33] = { "physdev_op",       do_physdev_op,       false, false },
    [34] = { "hvm_op",           do_hvm_op,           false, true },
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
    if (nr == 13 || nr == 23)
        return -EINVAL;
    return hypercall_invoke(v, regs, nr, args);
}

long hypercall_invoke(struct vcpu *v, struct cpu_regs *regs, uint64_t nr, const uint64_t a[5])
{
    const struct hypercall_def *h = nr < NR_HYPERCALLS ? &hypercall_table[nr] : NULL;
    if (h)
        hypercall_count(v->d->hc_stats, nr, a[0]);
    if (!h || !h->fn || (v->d->type == DOMAIN_PVH && !h->hvm))
        return hypercall_unimplemented(v, (unsigned)(nr < 127 ? nr : 127),
                                       h && h->name ? h->name : "unknown", 0);
    if (h->privileged && !v->d->privileged)
        return -EPERM;
    return h->fn(v, regs, a[0], a[1], a[2], a[3], a[4]);
}

void hypercall_dispatch(struct vcpu *v, struct cpu_regs *regs)
{
    const uint64_t a[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };
    long ret = hypercall_invoke(v, regs, regs->rax, a);
    if (ret != HYPERCALL_KEEP_REGS)
        regs->rax = (uint64_t)ret;
}
