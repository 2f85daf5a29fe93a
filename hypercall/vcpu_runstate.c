/* vcpu_op runstate sub-ops (ref 5.15, 6.4): VCPUOP_get_runstate_info and
 * VCPUOP_register_runstate_memory_area, and the copy of a vCPU's runstate
 * into its registered area, as Xen 4.17 does it:
 * - get_runstate_info: the target's figures with the current state's time
 *   counted up to now; -EFAULT if the buffer cannot be written.
 * - register: -EFAULT if the argument is unreadable or the area (48 bytes)
 *   is not guest memory by address; otherwise 0, even if the first copy
 *   faults (address 0 turns the copies off). The area is written at once
 *   (through the caller's page tables), then whenever the vCPU is switched
 *   in or out (on its own page tables; its kernel ones when it is in user
 *   mode, where Xen defers the copy to the next kernel entry).
 * - With VMASST_TYPE_runstate_update_flag, bit 63 of state_entry_time
 *   (XEN_RUNSTATE_UPDATE) is set in the guest's copy first, the figures
 *   written, and the bit cleared last, so a reader on another vCPU can see
 *   that the copy is in progress. */
#include <keel/sched.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <public/vcpu.h>

BUILD_BUG_ON(sizeof(struct sched_runstate) != sizeof(struct vcpu_runstate_info));
BUILD_BUG_ON(__builtin_offsetof(struct sched_runstate, entry_time) !=
             __builtin_offsetof(struct vcpu_runstate_info, state_entry_time));
BUILD_BUG_ON(__builtin_offsetof(struct sched_runstate, time) !=
             __builtin_offsetof(struct vcpu_runstate_info, time));

#define ENTRY_TIME_TOP_BYTE (__builtin_offsetof(struct vcpu_runstate_info, state_entry_time) + 7)

static void to_guest_info(const struct sched_runstate *r, struct vcpu_runstate_info *g)
{
    *g = (struct vcpu_runstate_info){
        .state = r->state, .state_entry_time = r->entry_time,
        .time = { r->time[0], r->time[1], r->time[2], r->time[3] },
    };
}

/* A PV vCPU's copy goes through the page tables loaded now; a PVH vCPU's
 * through its own (its CR3 in the VMCB, whichever vCPU runs here), as
 * Xen's HVM update_runstate_area translates the address each time. */
static void put(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    if (is_hvm_vcpu(v))
        hvm_copy_to_guest(v, va, src, len);
    else
        copy_to_guest(va, src, len);
}

/* The copy itself. */
static void write_area(struct vcpu *v, uint64_t va, struct vcpu_runstate_info *g)
{
    /* VMASST_TYPE_runstate_update_flag: a domain-wide assist (ref 5.14). */
    uint64_t assists = READ_ONCE(v->d->vm_assist);
    bool flag = assists & (1UL << VMASST_TYPE_runstate_update_flag);
    if (flag) {
        g->state_entry_time |= XEN_RUNSTATE_UPDATE;
        uint8_t top = (uint8_t)(g->state_entry_time >> 56);
        put(v, va + ENTRY_TIME_TOP_BYTE, &top, 1);
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    put(v, va, g, sizeof(*g));
    if (flag) {
        g->state_entry_time &= ~XEN_RUNSTATE_UPDATE;
        uint8_t top = (uint8_t)(g->state_entry_time >> 56);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        put(v, va + ENTRY_TIME_TOP_BYTE, &top, 1);
    }
}

void vcpu_runstate_area_update(struct vcpu *v)
{
    uint64_t va = READ_ONCE(v->runstate_area);
    if (!va || (!v->cr3_kernel && !is_hvm_vcpu(v)))
        return;
    struct sched_runstate r;
    struct vcpu_runstate_info g;
    sched_runstate_get(v, &r);
    to_guest_info(&r, &g);
    if (v->kernel_mode || is_hvm_vcpu(v)) {
        write_area(v, va, &g);
        return;
    }
    /* In user mode: through its kernel page tables (interrupts are off). */
    uint64_t f = irq_save();
    write_cr3(v->cr3_kernel << PAGE_SHIFT);
    write_area(v, va, &g);
    write_cr3((v->cr3_user ? v->cr3_user : v->cr3_kernel) << PAGE_SHIFT);
    irq_restore(f);
}

long vcpu_op_runstate(struct vcpu *v, struct vcpu *target, int cmd, uint64_t arg)
{
    struct sched_runstate r;
    struct vcpu_runstate_info g;
    (void)v;
    switch (cmd) {
    case VCPUOP_get_runstate_info:
        sched_runstate_get(target, &r);
        to_guest_info(&r, &g);
        return copy_to_guest(arg, &g, sizeof(g)) ? -EFAULT : 0;
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_memory_area area;
        if (copy_from_guest(&area, arg, sizeof(area)))
            return -EFAULT;
        if (!is_hvm_vcpu(target) && !guest_range_ok(area.addr, sizeof(g)))
            return -EFAULT;
        WRITE_ONCE(target->runstate_area, area.addr);
        sched_runstate_get(target, &r);
        to_guest_info(&r, &g);
        if (area.addr)
            copy_to_guest(area.addr, &g, sizeof(g));   /* a fault is not an error (Xen) */
        return 0;
    }
    default:
        return -ENOSYS;
    }
}
