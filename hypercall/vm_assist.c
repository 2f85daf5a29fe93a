/* vm_assist (#21) (ref 5.14): enable 0 / disable 1 of the assists valid
 * for a 64-bit PV guest (types 0-5 and 32); unknown types -EINVAL.
 * Assists belong to the domain, as in Xen (struct domain's vm_assist). */
#include <keel/hypercall.h>
#include <keel/errno.h>
#include <keel/domain.h>
#include <keel/vcpu.h>

#define VMASST_CMD_enable   0
#define VMASST_CMD_disable  1
#define VMASST_VALID        (0x3fUL | (1UL << 32))

DECLARE_HYPERCALL(vm_assist)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    if (a2 >= 64 || !(VMASST_VALID & (1UL << a2)))
        return -EINVAL;
    switch (a1) {
    case VMASST_CMD_enable:
        __atomic_fetch_or(&v->d->vm_assist, 1UL << a2, __ATOMIC_RELAXED);
        return 0;
    case VMASST_CMD_disable:
        __atomic_fetch_and(&v->d->vm_assist, ~(1UL << a2), __ATOMIC_RELAXED);
        return 0;
    default:
        return -ENOSYS;
    }
}
