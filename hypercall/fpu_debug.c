/* fpu_taskswitch (#5), set_debugreg (#8), get_debugreg (#9) (ref 5.7). */
#include <keel/hypercall.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

DECLARE_HYPERCALL(fpu_taskswitch)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    v->fpu_ts = a1 != 0;
    write_cr0(v->fpu_ts ? read_cr0() | CR0_TS : read_cr0() & ~CR0_TS);
    return 0;
}

/* DR7: local/global enables (0-7), LE/GE (8-9), and per breakpoint RW/LEN
 * (16-31); never GD (13), never I/O breakpoints (RW = 10b). */
static bool dr7_ok(uint64_t v)
{
    if (v >> 32 || (v & (1UL << 13)))
        return false;
    for (unsigned i = 0; i < 4; i++)
        if (((v >> (16 + 4 * i)) & 3) == 2)
            return false;
    return true;
}

/* One debug register of v (set_debugreg, VCPUOP_initialise); loaded at
 * once when v runs here. */
long pv_set_debugreg(struct vcpu *v, unsigned reg, uint64_t value)
{
    bool here = v == current_vcpu();
    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!guest_range_ok(value, 8))  /* never a hypervisor address */
            return -EPERM;
        v->dr[reg] = value;
        if (here && (v->dr[7] & 0xff))
            load_debug_regs(v);
        return 0;
    case 6:
        v->dr[6] = (value & 0xe00f) | 0xffff0ff0;
        return 0;
    case 7:
        if (!dr7_ok(value))
            return -EPERM;
        v->dr[7] = (value & 0xffff23ff) | 0x400;
        if (!here)
            return 0;
        if (v->dr[7] & 0xff)
            load_debug_regs(v);
        else
            __asm__ __volatile__("mov %0, %%dr7" : : "r"(0x400UL));
        return 0;
    default:
        return -EINVAL;
    }
}

DECLARE_HYPERCALL(set_debugreg)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    return a1 > 7 ? -EINVAL : pv_set_debugreg(v, (unsigned)a1, a2);
}

DECLARE_HYPERCALL(get_debugreg)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    if (a1 > 7 || a1 == 4 || a1 == 5)
        return -EINVAL;
    return (long)v->dr[a1];
}
