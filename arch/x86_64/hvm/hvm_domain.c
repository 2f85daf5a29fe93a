/* PVH domains: the p2m (gfn -> mfn) is the nested page tables the
 * hardware walks, in the backend's format. A guest reaches
 * exactly the frames mapped here: its own RAM and what Keel adds for it
 * (shared_info through XENMEM_add_to_physmap). */
#include <keel/hvm.h>
#include <keel/alloc.h>
#include <keel/cpufeature.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/pvh_acpi.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/vcpu.h>

static paddr_t table_alloc(void *arg)
{
    mfn_t m;
    (void)arg;
    if (alloc_frames(0, &m))
        return 0;
    memset(mfn_to_virt(m), 0, PAGE_SIZE);
    return m << PAGE_SHIFT;
}

static void table_free(void *arg, paddr_t pa)
{
    (void)arg;
    free_frames(pa >> PAGE_SHIFT, 0);
}

static uint64_t *table_at(void *arg, paddr_t pa)
{
    (void)arg;
    return phys_to_virt(pa);
}

int hvm_domain_init(struct domain *d, uint64_t nr_gfns)
{
    if (!hvm_vendor)
        return -ENODEV;
    struct hvm_domain *h = kzalloc(sizeof(*h));
    if (!h)
        return -ENOMEM;
    /* The guest may put things (grant frames, shared_info) anywhere below
     * its physical address width, as on Xen: Linux maps its grant frames
     * into unpopulated space above 4 GiB. The nested tables are the p2m,
     * so a wide space costs nothing until used. */
    unsigned bits = MIN(boot_cpu.phys_addr_bits, 48U);
    h->nr_gfns = MAX(nr_gfns, 1UL << (bits - PAGE_SHIFT));
    h->npt = (struct npt_ctx){ .fmt = hvm_vendor->npt_format, .alloc_table = table_alloc,
                               .free_table = table_free, .table = table_at };
    if (npt_init(&h->npt)) {
        kfree(h);
        return -ENOMEM;
    }
    d->type = DOMAIN_PVH;
    d->hvm = h;
    return 0;
}

void hvm_domain_destroy(struct domain *d)
{
    struct hvm_domain *h = d->hvm;
    if (!h)
        return;
    npt_destroy(&h->npt);
    kfree(h);
    d->hvm = NULL;
}

int hvm_p2m_set(struct domain *d, uint64_t gfn, mfn_t mfn, unsigned perms)
{
    struct hvm_domain *h = d->hvm;
    if (!h || gfn >= h->nr_gfns || (perms && gfn == PVH_LAPIC_ADDR >> PAGE_SHIFT))
        return -EINVAL;                 /* the xAPIC page is never mapped (hvm_mmio.c) */
    int rc = npt_map(&h->npt, gfn, mfn, perms);
    if (rc)
        return rc;
    /* A changed mapping: no vCPU may keep a stale guest-physical
     * translation. (A vCPU running on another CPU meanwhile flushes at
     * its next entry; the builder and add_to_physmap change mappings only
     * of frames the guest is not using yet.) */
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->hvm_vendor_state)
            hvm_vendor->flush_guest_tlb(d->vcpu[i]);
    return 0;
}

/* On a CPU that may be running a vCPU of d (arg): that vCPU flushes before
 * it enters the guest again. Runs after the interrupt made it exit, and
 * on its own CPU, so no entry can race with it. */
static void flush_if_running_here(void *arg)
{
    struct vcpu *c = current_vcpu();
    if (c && c->d == arg && c->hvm_vendor_state)
        hvm_vendor->flush_guest_tlb(c);
}

void hvm_flush_domain_sync(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->hvm_vendor_state)
            hvm_vendor->flush_guest_tlb(d->vcpu[i]);
    /* A vCPU in guest mode elsewhere keeps its translations until it
     * exits: the call interrupts it (a physical interrupt exits) and
     * returns only once it is out; a vCPU being switched in meanwhile
     * either sees the flags set above or is interrupted the same way.
     * The same wait covers Keel's own accesses through the p2m on other
     * CPUs (hypercall buffers): exits are handled with interrupts off, so
     * a CPU answers only once the access it was making is over. */
    smp_call_others(flush_if_running_here, d, true);
}

mfn_t hvm_gfn_to_mfn(const struct domain *d, uint64_t gfn)
{
    const struct hvm_domain *h = d->hvm;
    mfn_t mfn;
    unsigned perms;
    if (!h || gfn >= h->nr_gfns || npt_lookup(&h->npt, gfn, &mfn, &perms))
        return 0;
    return mfn;
}
