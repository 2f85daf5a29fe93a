/* MOV DR exits (MOV-DR exiting is always on): the guest's debug registers
 * are kept virtual, never loaded into the CPU, so a guest cannot plant
 * breakpoints on Keel; reads give back what it wrote. Hardware breakpoints
 * inside HVM guests therefore do not fire (not needed by PVH Linux, which
 * only clears them). Qualification: SDM vol. 3 table 28-4. */
#include <keel/errno.h>
#include "vmcs.h"
#include "vmx_internal.h"

#define DR_QUAL_REG(q)      ((unsigned)(q) & 7)
#define DR_QUAL_FROM(q)     (((q) >> 4) & 1)        /* 1: MOV from DR */
#define DR_QUAL_GPR(q)      ((unsigned)((q) >> 8) & 15)
#define DR6_FIXED1          0xffff0ff0UL
#define DR7_FIXED1          0x400UL

static uint64_t *dr_slot(struct vmx_vcpu *vv, unsigned n)
{
    if (n < 4)
        return &vv->dr[n];
    return n == 6 || n == 4 ? &vv->dr6 : &vv->dr7;     /* DR4/5 alias DR6/7 (CR4.DE=0) */
}

int vmx_handle_dr_access(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *exit)
{
    uint64_t q = exit->qualification;
    uint64_t *gpr = vmx_gpr(regs, DR_QUAL_GPR(q)), *dr = dr_slot(vv, DR_QUAL_REG(q));
    bool long_mode = vmx_get_efer(vv) & (1UL << 10);     /* LMA */

    if (DR_QUAL_FROM(q)) {
        *gpr = long_mode ? *dr : (uint32_t)*dr;
    } else {
        uint64_t v = long_mode ? *gpr : (uint32_t)*gpr;
        if (DR_QUAL_REG(q) >= 6 && (v >> 32)) {
            vmx_inject_exception(vv, 13, true, 0);
            return -EINVAL;
        }
        if (dr == &vv->dr6)
            v |= DR6_FIXED1;
        else if (dr == &vv->dr7)
            v |= DR7_FIXED1;
        *dr = v;
    }
    vmx_skip_insn(vv, regs, exit);
    return 0;
}
