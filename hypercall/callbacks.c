/* callback_op (#30) and set_callbacks (#4) (ref 5.9): the guest's event,
 * failsafe and syscall entry points. 32-bit entry points (syscall32,
 * sysenter) are accepted and never used: Keel runs no 32-bit guest code.
 * NMI callbacks: not delivered (Keel reflects no NMIs to guests). */
#include <keel/hypercall.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/callback.h>

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static long set_callback(struct vcpu *v, unsigned type, unsigned flags, uint64_t address)
{
    if (!canonical(address) || !guest_range_ok(address, 1))
        return -EINVAL;
    switch (type) {
    case CALLBACKTYPE_event:
        v->event_callback = address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = address;
        v->failsafe_masks_events = flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = address;
        v->syscall_flags = flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
        return 0;
    default:
        return -EINVAL;
    }
}

DECLARE_HYPERCALL(callback_op)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    switch ((int)a1) {
    case CALLBACKOP_register: {
        struct callback_register cb;
        if (copy_from_guest(&cb, a2, sizeof(cb)))
            return -EFAULT;
        return set_callback(v, cb.type, cb.flags, cb.address);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister cb;
        if (copy_from_guest(&cb, a2, sizeof(cb)))
            return -EFAULT;
        return set_callback(v, cb.type, 0, 0);
    }
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_callback_op, "callback_op", a1);
    }
}

DECLARE_HYPERCALL(set_callbacks)
{
    (void)regs, (void)a4, (void)a5;
    long rc = set_callback(v, CALLBACKTYPE_event, 0, a1);
    if (!rc)
        rc = set_callback(v, CALLBACKTYPE_failsafe, 0, a2);
    if (!rc)
        rc = set_callback(v, CALLBACKTYPE_syscall, 0, a3);
    return rc;
}
