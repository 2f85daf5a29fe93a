/* set_gdt (#2) and update_descriptor (#10) (ref 3.2, 5.6). */
#include <keel/hypercall.h>
#include <keel/vcpu.h>

DECLARE_HYPERCALL(set_gdt)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    return pv_set_gdt(v, a1, a2);
}

DECLARE_HYPERCALL(update_descriptor)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    return pv_update_descriptor(v, a1, a2);
}
