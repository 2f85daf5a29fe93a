/* VMCB clean bits: the mask for one VMRUN (keel/vmcb_clean.h; AMD APM
 * vol. 2, 15.15). Pure code, also built into the host unit test. */
#include <keel/vmcb_clean.h>

void vmcb_clean_forget(struct vmcb_clean *c)
{
    c->dirty = VMCB_CLEAN_DEFINED;
    c->last_cpu = -1;
}

uint32_t vmcb_clean_for_entry(struct vmcb_clean *c, int cpu, const void **cpu_last,
                              const void *vmcb, uint32_t supported)
{
    uint32_t clean = supported & VMCB_CLEAN_USED & ~c->dirty;
    /* The CPU's cached copy, if any, is of this VMCB only when this VMCB
     * was the last one VMRUN'd here and has run nowhere else since. */
    if (c->last_cpu != cpu || *cpu_last != vmcb)
        clean = 0;
    c->dirty = 0;
    c->last_cpu = cpu;
    *cpu_last = vmcb;
    return clean;
}
