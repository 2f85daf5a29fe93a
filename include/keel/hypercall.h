/* The hypercall table: one entry per Xen hypercall number (ref/xen-pv-abi.md
 * 5.1), handlers named do_<name>, one file per family in hypercall/. */
#ifndef KEEL_HYPERCALL_H
#define KEEL_HYPERCALL_H

#include <keel/types.h>
#include <keel/traps.h>

#define NR_HYPERCALLS           64
/* A handler that set the guest's registers itself (iret) returns this. */
#define HYPERCALL_KEEP_REGS     ((long)0x7fffffffffff0001L)

struct vcpu;

typedef long (*hypercall_fn)(struct vcpu *v, struct cpu_regs *regs, uint64_t a1,
                             uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

struct hypercall_def {
    const char *name;
    hypercall_fn fn;
    bool privileged;        /* only for a privileged domain (dom0) */
    bool hvm;               /* also for PVH guests (else -ENOSYS for them) */
};

void hypercall_dispatch(struct vcpu *v, struct cpu_regs *regs);
/* One call with its arguments (PV: RDI RSI RDX R10 R8; PVH 64-bit the
 * same; PVH 32-bit: EBX ECX EDX ESI EDI): the value for RAX, or
 * HYPERCALL_KEEP_REGS. */
long hypercall_invoke(struct vcpu *v, struct cpu_regs *regs, uint64_t nr, const uint64_t a[5]);
/* The handler's name ("#n" for a number with none). */
const char *hypercall_name(unsigned nr);
/* Counts per domain (hypercall/stats.c): set up at creation, one call
 * counted (nr, first argument), reported and freed at destruction. */
struct domain;
int hypercall_stats_init(struct domain *d);
void hypercall_stats_report(struct domain *d);

#define HYPERCALL_SUBOPS    64          /* sub-ops 0..62; 63 counts the rest */
struct hypercall_stats {
    uint32_t n[NR_HYPERCALLS][HYPERCALL_SUBOPS];
};
/* Numbers whose first argument is the sub-op (Xen's public headers):
 * platform_op 7 and the compat event-channel op 16 carry it in a struct. */
#define HYPERCALL_BY_SUBOP ((1UL << 12) | (1UL << 17) | (1UL << 18) | (1UL << 20) | \
                            (1UL << 24) | (1UL << 29) | (1UL << 30) | (1UL << 32) | \
                            (1UL << 33) | (1UL << 34) | (1UL << 40))
#define HYPERCALL_MEMOP_CMD_MASK 0x3f   /* memory_op: the rest of a1 is a start extent */

/* On every hypercall: inline, one relaxed atomic add (vCPUs of a domain
 * count into the same table). nr is below NR_HYPERCALLS. */
static inline void hypercall_count(struct hypercall_stats *s, uint64_t nr, uint64_t a1)
{
    if (!s)
        return;
    uint64_t sub = 0;
    if (HYPERCALL_BY_SUBOP & (1UL << nr))
        sub = nr == 12 ? (a1 & HYPERCALL_MEMOP_CMD_MASK)
                       : (a1 < HYPERCALL_SUBOPS - 1 ? a1 : HYPERCALL_SUBOPS - 1);
    __atomic_fetch_add(&s->n[nr][sub], 1, __ATOMIC_RELAXED);
}
/* -ENOSYS for an unimplemented sub-op, logged once per domain and number. */
long hypercall_unimplemented(struct vcpu *v, unsigned nr, const char *what, uint64_t subop);

#define DECLARE_HYPERCALL(name) \
    long do_##name(struct vcpu *v, struct cpu_regs *regs, uint64_t a1, uint64_t a2, \
                   uint64_t a3, uint64_t a4, uint64_t a5)

DECLARE_HYPERCALL(set_trap_table);
DECLARE_HYPERCALL(console_io);
DECLARE_HYPERCALL(xen_version);
DECLARE_HYPERCALL(sched_op);
DECLARE_HYPERCALL(iret);
DECLARE_HYPERCALL(stack_switch);
DECLARE_HYPERCALL(set_segment_base);
DECLARE_HYPERCALL(vm_assist);
DECLARE_HYPERCALL(grant_table_op);
DECLARE_HYPERCALL(callback_op);
DECLARE_HYPERCALL(memory_op);
DECLARE_HYPERCALL(multicall);
DECLARE_HYPERCALL(fpu_taskswitch);
DECLARE_HYPERCALL(set_debugreg);
DECLARE_HYPERCALL(get_debugreg);
DECLARE_HYPERCALL(mmu_update);
DECLARE_HYPERCALL(update_va_mapping);
DECLARE_HYPERCALL(mmuext_op);
DECLARE_HYPERCALL(physdev_op);
DECLARE_HYPERCALL(platform_op);
DECLARE_HYPERCALL(set_gdt);
DECLARE_HYPERCALL(vcpu_op);
DECLARE_HYPERCALL(set_timer_op);
DECLARE_HYPERCALL(update_descriptor);
long hypercall_call_nested(struct vcpu *v, struct cpu_regs *regs, uint64_t nr, const uint64_t args[6]);
DECLARE_HYPERCALL(set_callbacks);
DECLARE_HYPERCALL(event_channel_op);
DECLARE_HYPERCALL(event_channel_op_compat);
DECLARE_HYPERCALL(hvm_op);

#endif
