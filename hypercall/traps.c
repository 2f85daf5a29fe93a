/* set_trap_table (#0) and iret (#23) (ref 5.2, 3.7). */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/string.h>
#include <keel/vcpu.h>

struct guest_trap_info {        /* ref 5.2: 16 bytes */
    uint8_t vector;
    uint8_t flags;
    uint16_t cs;
    uint32_t pad;
    uint64_t address;
};

DECLARE_HYPERCALL(set_trap_table)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    if (!a1) {
        memset(v->traps, 0, sizeof(v->traps));
        return 0;
    }
    /* Entries until one with address 0; 256 vectors bound the walk. */
    for (unsigned i = 0; i <= PV_NR_TRAPS; i++) {
        struct guest_trap_info t;
        if (copy_from_guest(&t, a1 + i * sizeof(t), sizeof(t)))
            return -EFAULT;
        if (!t.address)
            return 0;
        v->traps[t.vector] = (struct pv_trap){ t.address, t.cs, t.flags };
    }
    return -EINVAL;
}

DECLARE_HYPERCALL(iret)
{
    (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    return pv_iret(v, regs);
}
