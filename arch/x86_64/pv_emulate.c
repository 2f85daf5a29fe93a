/* Emulation of the privileged instructions a PV kernel executes in ring 3
 * (ref/xen-pv-abi.md 8). Not yet: every #GP is the guest's to handle. */
#include <keel/vcpu.h>

bool pv_emulate_privileged(struct vcpu *v, struct cpu_regs *regs)
{
    (void)v, (void)regs;
    return false;
}
