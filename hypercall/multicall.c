/* multicall (#13) (ref 5.8): a batch of hypercalls, each entry's result
 * written back. Entries run in order; a domain that stops (shutdown,
 * crash) stops the batch. iret and multicall itself cannot be batched. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/xen.h>

#define MULTICALL_MAX   512     /* per call; longer batches are the guest's to split */

DECLARE_HYPERCALL(multicall)
{
    (void)a3, (void)a4, (void)a5;
    if (a2 > MULTICALL_MAX)
        return -EINVAL;
    for (uint64_t i = 0; i < a2; i++) {
        struct multicall_entry e;
        uint64_t at = a1 + i * sizeof(e);
        if (copy_from_guest(&e, at, sizeof(e)))
            return -EFAULT;
        /* A long entry finishes here: it cannot rewind the guest to
         * continue, the guest is in the middle of the multicall. */
        v->in_multicall = true;
        long ret = hypercall_call_nested(v, regs, e.op, e.args);
        v->in_multicall = false;
        e.result = (uint64_t)ret;
        if (copy_to_guest(at + offsetof(struct multicall_entry, result), &e.result, sizeof(e.result)))
            return -EFAULT;
        if (v->d->state != DOMAIN_RUNNING)
            break;
    }
    return 0;
}
