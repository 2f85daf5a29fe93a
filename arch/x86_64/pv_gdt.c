/* Guest GDTs (set_gdt, ref 3.2): the guest's descriptor frames, typed
 * "segment descriptor page" by the PV memory core (so the guest can never
 * map them writable and every entry is checked), appear in the first 14
 * pages of the running CPU's GDT; Keel's own entries follow at
 * 0x1c00 (FIRST_RESERVED_GDT_ENTRY). */
#include <keel/vcpu.h>
#include <keel/desc.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/pv_desc.h>
#include <keel/pv_glue.h>
#include <keel/smp.h>
#include <keel/x86.h>

/* Maps v's GDT frames (or the zero frame) into this CPU's GDT area. */
void pv_load_gdt(struct vcpu *v)
{
    struct percpu *pc = this_cpu();
    if (pc->gdt_vcpu == v)
        return;
    vaddr_t base = (vaddr_t)pc->gdt;
    unsigned pages = (v->gdt_ents + 511) / 512;
    for (unsigned i = 0; i < FIRST_RESERVED_GDT_PAGE; i++) {
        bool guest = i < pages;
        mfn_t mfn = guest ? v->gdt_frames[i] : vmap_zero_gdt_mfn();
        /* Writable for the CPU (it sets descriptors' accessed bits); the
         * guest never reaches this hypervisor-only mapping. */
        map_pages(base + i * PAGE_SIZE, mfn << PAGE_SHIFT, 1, PTE_NX | (guest ? PTE_W : PTE_G));
        invlpg(base + i * PAGE_SIZE);
    }
    pc->gdt_vcpu = v;
}

/* The GDT area of every CPU that shows v's frames goes back to empty (v's
 * frames are about to lose their type). */
static void forget_gdt(void *arg)
{
    struct vcpu *v = arg;
    struct percpu *pc = this_cpu();
    if (pc->gdt_vcpu != v)
        return;
    vaddr_t base = (vaddr_t)pc->gdt;
    for (unsigned i = 0; i < FIRST_RESERVED_GDT_PAGE; i++) {
        map_pages(base + i * PAGE_SIZE, vmap_zero_gdt_mfn() << PAGE_SHIFT, 1, PTE_NX | PTE_G);
        invlpg(base + i * PAGE_SIZE);
    }
    pc->gdt_vcpu = NULL;
}

static void release_gdt(struct vcpu *v, struct pv_mm_ctx *ctx)
{
    forget_gdt(v);
    smp_call_others(forget_gdt, v, true);
    for (unsigned i = 0; i < (v->gdt_ents + 511) / 512; i++)
        pv_put_type(ctx, v->gdt_frames[i]);
    v->gdt_ents = 0;
}

/* set_gdt(frame_list, entries) */
long pv_set_gdt(struct vcpu *v, uint64_t list, uint64_t entries)
{
    mfn_t frames[FIRST_RESERVED_GDT_PAGE];
    unsigned n = (unsigned)((entries + 511) / 512);

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    if (n && copy_from_guest(frames, list, n * sizeof(frames[0])))
        return -EFAULT;
    return pv_set_gdt_frames(v, frames, entries);
}

/* The GDT frames already copied in (set_gdt, VCPUOP_initialise). */
long pv_set_gdt_frames(struct vcpu *v, const mfn_t *frames, uint64_t entries)
{
    unsigned n = (unsigned)((entries + 511) / 512);
    long rc = 0;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    uint64_t f = domain_lock(v->d);
    unsigned got;
    for (got = 0; got < n; got++) {
        rc = pv_get_type(ctx, frames[got], PV_TYPE_SEG_DESC);
        if (rc)
            break;
        pv_desc_page_fixup(mfn_to_virt(frames[got]));
    }
    if (rc) {
        while (got--)
            pv_put_type(ctx, frames[got]);
    } else {
        release_gdt(v, ctx);
        for (unsigned i = 0; i < n; i++)
            v->gdt_frames[i] = frames[i];
        v->gdt_ents = (unsigned)entries;
    }
    domain_unlock(v->d, f);
    if (!rc && current_vcpu() == v) {
        this_cpu()->gdt_vcpu = NULL;
        pv_load_gdt(v);
    }
    return rc;
}

/* update_descriptor(maddr, desc): one entry of a descriptor page, or of a
 * page the guest may write anyway. */
long pv_update_descriptor(struct vcpu *v, uint64_t maddr, uint64_t desc)
{
    uint64_t stored;
    mfn_t mfn = maddr >> PAGE_SHIFT;
    if (maddr & 7)
        return -EINVAL;
    if (pv_desc_check(desc, &stored))
        return -EINVAL;
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    uint64_t f = domain_lock(v->d);
    long rc = 0;
    if (!pv_frame_owned(ctx, mfn))
        rc = -EPERM;
    else if (pv_ti_type(ctx->table[mfn].type_info) == PV_TYPE_SEG_DESC &&
             pv_ti_count(ctx->table[mfn].type_info))
        ((uint64_t *)mfn_to_virt(mfn))[(maddr & (PAGE_SIZE - 1)) / 8] = stored;
    else if (pv_frame_is_writable_mappable(ctx, mfn))
        ((uint64_t *)mfn_to_virt(mfn))[(maddr & (PAGE_SIZE - 1)) / 8] = stored;
    else
        rc = -EINVAL;
    domain_unlock(v->d, f);
    return rc;
}

void pv_release_gdt(struct vcpu *v)
{
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    uint64_t f = domain_lock(v->d);
    if (v->gdt_ents)
        release_gdt(v, ctx);
    domain_unlock(v->d, f);
}
