/* The hypervisor's side of the PV memory safety core (mm/pv_pt.c,
 * mm/pv_refs.c): a context per domain over the real frame table, TLB
 * flushes, and the reference bookkeeping of building and destroying a
 * domain. Callers hold the domain's lock. */
#include <keel/pv_glue.h>
#include <keel/cpufeature.h>
#include <keel/domain.h>
#include <keel/iomem.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/pv_desc.h>
#include <keel/smp.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

static uint64_t *ctx_map(void *c, mfn_t mfn) { (void)c; return mfn_to_virt(mfn); }
static void ctx_unmap(void *c, uint64_t *p) { (void)c, (void)p; }
static bool ctx_backed(void *c, mfn_t mfn) { (void)c; return frames_entry_backed(mfn); }

/* Drops every translation on this CPU, global ones too (guest user pages
 * are global, ref 3.4): toggling CR4.PGE flushes them. */
void flush_tlb_local_all(void)
{
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

static void flush_ipi(void *arg)
{
    (void)arg;
    flush_tlb_local_all();
}

void flush_tlb_all_cpus(void)
{
    flush_tlb_local_all();
    smp_call_others(flush_ipi, NULL, true);
}

static int ctx_io_access(void *c, mfn_t mfn)
{
    (void)c;
    return iomem_access(mfn);
}

static int ctx_check_desc(void *c, const uint64_t *page)
{
    (void)c;
    return pv_desc_page_check(page);
}

struct flush_req {
    bool all;                           /* whole TLB, or just va */
    vaddr_t va;
};

static void flush_req_ipi(void *arg)
{
    const struct flush_req *r = arg;
    if (r->all)
        flush_tlb_local_all();
    else
        invlpg(r->va);
}

/* TLB shootdown for domain d: every CPU whose TLB may hold d's
 * translations (it ran d's vCPU last: switching vCPUs flushes the whole
 * TLB), or only those whose vCPU of d is in the bitmap `vcpus`. Waits
 * until each CPU has flushed. */
void pv_flush_domain_tlbs(struct domain *d, const uint64_t *vcpus, bool all, vaddr_t va)
{
    struct flush_req r = { all, va };
    for_each_online_cpu(cpu) {
        struct percpu *pc = cpu_percpu[cpu];
        if (READ_ONCE(pc->last_dom) != d)
            continue;
        unsigned id = READ_ONCE(pc->last_vcpu_id);
        if (vcpus && (id >= MAX_VCPUS_PER_DOMAIN || !((vcpus[id / 64] >> (id % 64)) & 1)))
            continue;
        smp_call_on_cpu(cpu, flush_req_ipi, &r, true);
    }
}

/* A frame lost a mapping before changing type or owner: no CPU may keep a
 * stale translation of it. Only the owner's CPUs can have one, unless the
 * mapping was another domain's (then every CPU is flushed). */
static void ctx_flush_stale(void *c, mfn_t mfn)
{
    struct domain *d = c;
    if (frame_table[mfn].owner == d->id)
        pv_flush_domain_tlbs(d, NULL, true, 0);
    else
        flush_tlb_all_cpus();
}

void pv_mm_ctx_init(struct pv_mm_ctx *ctx, struct domain *d)
{
    *ctx = (struct pv_mm_ctx){
        .table = frame_table,
        .nr_frames = frames_nr(),
        .domid = d->id,
        .maxphyaddr = boot_cpu.phys_addr_bits,
        .io_caps = d->privileged,
        .hv_l4_slots = &hv_l4[L4_SLOT(HV_VIRT_START)],
        .map = ctx_map,
        .unmap = ctx_unmap,
        .frame_backed = ctx_backed,
        .flush_stale_tlbs = ctx_flush_stale,
        .check_desc_page = ctx_check_desc,
        .io_access = ctx_io_access,
        .map_ctx = d,
    };
}

/* vCPU base pointers: kept as MFNs with 0 = none (frame 0 is never a
 * guest's), the core wants INVALID_MFN for none. */
int pv_vcpu_set_base(struct vcpu *v, mfn_t new_l4, bool user)
{
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    mfn_t *slot = user ? &v->cr3_user : &v->cr3_kernel;
    mfn_t cur = *slot ? *slot : INVALID_MFN;
    int rc = pv_set_baseptr(ctx, new_l4 ? new_l4 : INVALID_MFN, &cur);
    if (!rc)
        *slot = cur == INVALID_MFN ? 0 : cur;
    return rc;
}

/* Before a domain's frames are freed: base pointers dropped, every table
 * unpinned and devalidated, every count back to zero. */
void pv_mm_relinquish(struct domain *d)
{
    struct pv_mm_ctx *ctx = &d->mm_ctx;
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        pv_vcpu_set_base(v, 0, false);
        pv_vcpu_set_base(v, 0, true);
    }
    struct pv_frame_range *r = kmalloc(d->nr_extents * sizeof(*r) + 1);
    if (!r) {
        log_err("domain %u: no memory to release its page tables\n", d->id);
        return;
    }
    for (unsigned i = 0; i < d->nr_extents; i++)
        r[i] = (struct pv_frame_range){ d->extents[i].mfn, 1UL << d->extents[i].order };
    long forced = pv_relinquish_domain(ctx, r, d->nr_extents);
    if (forced)
        log_warn("domain %u: %ld references released by force\n", d->id, forced);
    kfree(r);
    flush_tlb_all_cpus();       /* before the frames are reused */
}
