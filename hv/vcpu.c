/* vCPU objects: creation with the ABI's start-of-day register state
 * (ref/xen-pv-abi.md 2.3), start on a physical CPU, destruction. */
#include <keel/vcpu.h>
#include <keel/apic.h>
#include <keel/desc.h>
#include <keel/domain.h>
#include <keel/fpu.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pv_glue.h>
#include <keel/sched.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/x86.h>

BUILD_BUG_ON(sizeof(struct cpu_regs) != 22 * 8);

struct vcpu *vcpu_create(struct domain *d, unsigned id, unsigned processor)
{
    if (id >= MAX_VCPUS_PER_DOMAIN || d->vcpu[id])
        return NULL;
    struct vcpu *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->d = d;
    v->id = id;
    v->processor = processor;
    v->kernel_mode = true;
    v->regs.cs = FLAT_RING3_CS64;
    v->regs.ss = FLAT_RING3_DS;
    v->regs.rflags = RFLAGS_IF | 2;
    v->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (1UL << 6);
    v->dr[6] = 0xffff0ff0;              /* architectural reset values (ref 2.3) */
    v->dr[7] = 0x400;
    if (fpu_alloc(v)) {
        kfree(v);
        return NULL;
    }
    if (d->shared_info)
        v->vcpu_info = (uint8_t *)d->shared_info + 64 * id;   /* ref 6.1: vcpu_info[32] at 0 */
    if (v->vcpu_info)
        ((uint8_t *)v->vcpu_info)[1] = 1;                       /* events masked at start */
    vcpu_timers_init(v);
    d->vcpu[id] = v;
    if (id >= d->nr_vcpus)
        d->nr_vcpus = id + 1;
    return v;
}

void vcpu_destroy(struct vcpu *v)
{
    vcpu_timers_stop(v);
    hvm_vcpu_destroy(v);                /* PVH: the backend's state (VMCB/VMCS) */
    pv_release_gdt(v);
    pv_release_ldt(v);
    uint64_t f = domain_lock(v->d);
    pv_vcpu_set_base(v, 0, false);      /* drop its page-table references */
    pv_vcpu_set_base(v, 0, true);
    if (v->vcpu_info_mfn) {             /* register_vcpu_info's frame */
        struct pv_mm_ctx *ctx = &v->d->mm_ctx;
        pv_put_type(ctx, v->vcpu_info_mfn);
        v->vcpu_info_mfn = 0;
    }
    domain_unlock(v->d, f);
    for_each_online_cpu(cpu)            /* a new vCPU may reuse this address */
        if (cpu_percpu[cpu]->last_vcpu == v) {
            cpu_percpu[cpu]->last_vcpu = NULL;
            cpu_percpu[cpu]->last_dom = NULL;
        }
    /* (pv_release_gdt already emptied every GDT area showing v's frames.) */
    v->d->vcpu[v->id] = NULL;
    fpu_free(v);
    kfree(v);
}

void vcpu_start(struct vcpu *v)
{
    v->online = true;
    pv_time_update(v);
    sched_wake(v);
}
