/* physdev_op (#33) (ref 5.19): the virtual IOPL for now; interrupts and
 * PCI come with dom0's device support. */
#include <keel/hypercall.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <public/physdev.h>

DECLARE_HYPERCALL(physdev_op)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    switch ((int)a1) {
    case PHYSDEVOP_set_iopl: {
        uint32_t iopl;
        if (copy_from_guest(&iopl, a2, sizeof(iopl)))
            return -EFAULT;
        if (iopl > 3)
            return -EINVAL;
        v->iopl = iopl;
        return 0;
    }
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_physdev_op, "physdev_op", a1);
    }
}
