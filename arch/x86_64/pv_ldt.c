/* Guest LDTs (MMUEXT_SET_LDT, ref 5.4): the frames under the guest's LDT
 * range, typed "segment descriptor page" by the PV memory core (so the
 * guest can never map them writable and every entry is checked, as for
 * GDT frames), appear in the running CPU's LDT area, which the LDT
 * descriptor at LDT_SEL in the CPU's GDT describes.
 *
 * WHEN THE FRAMES ARE TAKEN. Xen 4.17 checks only the arguments at
 * SET_LDT and maps each LDT page lazily, on the first fault through it:
 * the guest's kernel mapping of the page must be present and the frame
 * must take the descriptor-page type; if not, the guest gets a #PF at
 * ldt_base + offset instead (#GP if that address is not canonical). Keel
 * does the same work at SET_LDT: it resolves every page of the range
 * through the vCPU's kernel page tables and takes the type references at
 * once, so
 *  - a guest with a good LDT (Linux makes its LDT pages read-only before
 *    SET_LDT and uses selectors afterwards) sees what it sees on Xen;
 *  - a bad LDT (a refused descriptor, a page mapped writable or not at
 *    all) makes SET_LDT fail with -EINVAL and keeps the previous LDT,
 *    where Xen returns 0 and the first use faults;
 *  - LDT pages are typed before their first use (on Xen an unused LDT
 *    page could still be mapped writable);
 *  - Keel never faults on its own LDT area, not even when it reloads a
 *    guest's selectors on a context switch (no lazy-fault path needed).
 * As on Xen, the frames stay referenced until the next SET_LDT that
 * changes base or size (or the vCPU's end), whatever the guest does to
 * its mapping of the range meanwhile.
 *
 * WHICH LDT A CPU SHOWS. Each installed LDT gets a number from a global
 * counter (0 = no LDT); a CPU remaps its area and reloads LDTR only when
 * the incoming vCPU's number differs from the one it shows. A dropped LDT
 * needs no IPI: another CPU still showing it is running no vCPU of it,
 * and loads the next vCPU's LDT (pv_switch_to) before any guest selector
 * can reach its area again. */
#include <keel/vcpu.h>
#include <keel/desc.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/pv_desc.h>
#include <keel/pv_glue.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/x86.h>

BUILD_BUG_ON(sizeof(((struct vcpu *)0)->ldt_frames) != PV_LDT_MAX_PAGES * sizeof(mfn_t));

#define LDT_GDT_INDEX   (LDT_SEL >> 3)

static uint64_t ldt_gen_last;
static spinlock_t area_lock = SPINLOCK_INIT;

static void lldt(uint16_t sel)
{
    __asm__ __volatile__("lldt %w0" : : "r"(sel) : "memory");
}

/* The area's first `n` pages show `frames`, the rest the zero frame. Only
 * pages whose content changes are remapped. */
static void show_frames(struct percpu *pc, const mfn_t *frames, unsigned n)
{
    unsigned old = pc->ldt_pages;
    for (unsigned i = 0; i < MAX(n, old); i++) {
        vaddr_t va = pc->ldt_area + i * PAGE_SIZE;
        bool guest = i < n;
        /* Writable for the CPU (it sets descriptors' accessed bits); the
         * guest never reaches this hypervisor-only mapping. */
        map_pages(va, (guest ? frames[i] : vmap_zero_gdt_mfn()) << PAGE_SHIFT, 1,
                  PTE_NX | (guest ? PTE_W : PTE_G));
        invlpg(va);
    }
    pc->ldt_pages = n;
}

/* LDTR null: an LDT selector faults. Also replaces the LDTR a CPU comes
 * out of reset with (base 0, limit 0xffff, present), which would read
 * descriptors, unchecked, from whatever the guest maps at address 0. */
static void show_no_ldt(struct percpu *pc)
{
    lldt(0);
    pc->ldtr_loaded = true;
    if (pc->ldt_area)
        show_frames(pc, NULL, 0);
    pc->ldt_gen = 0;
}

/* Every online CPU gets its LDT area before the first LDT is installed:
 * a vCPU may move to any of them. */
static int areas_ready(void)
{
    int rc = 0;
    uint64_t f = spin_lock_irqsave(&area_lock);
    for_each_online_cpu(cpu) {
        struct percpu *pc = cpu_percpu[cpu];
        if (pc->ldt_area)
            continue;
        vaddr_t va = vmap_ldt_area(PV_LDT_MAX_PAGES);
        if (!va) {
            rc = -ENOMEM;
            break;
        }
        WRITE_ONCE(pc->ldt_area, va);
    }
    spin_unlock_irqrestore(&area_lock, f);
    return rc;
}

/* Shows v's LDT on this CPU (or none) and loads LDTR. */
void pv_load_ldt(struct vcpu *v)
{
    struct percpu *pc = this_cpu();
    uint64_t gen = v->ldt_ents ? v->ldt_gen : 0;
    if (pc->ldtr_loaded && pc->ldt_gen == gen)
        return;
    if (!gen || !pc->ldt_area) {
        if (gen)
            log_err("pv: CPU %u has no LDT area: domain %u vCPU %u runs without its LDT\n",
                    pc->cpu_id, v->d->id, v->id);
        show_no_ldt(pc);
        return;
    }
    uint64_t desc[2];
    show_frames(pc, v->ldt_frames, pv_ldt_pages(v->ldt_ents));
    pv_ldt_system_desc(pc->ldt_area, v->ldt_ents, desc);
    pc->gdt[LDT_GDT_INDEX].raw = desc[0];
    pc->gdt[LDT_GDT_INDEX + 1].raw = desc[1];
    lldt(LDT_SEL);
    pc->ldtr_loaded = true;
    pc->ldt_gen = gen;
}

static void put_frames(struct pv_mm_ctx *ctx, const mfn_t *frames, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        pv_put_type(ctx, frames[i]);
}

/* Type refs on the frames mapped (present, in v's kernel page tables) at
 * the n pages from base; each page left in its checked, fixed-up form.
 * All or nothing. */
static long take_frames(struct vcpu *v, struct pv_mm_ctx *ctx, uint64_t base, unsigned n,
                        mfn_t *frames)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t va = base + (uint64_t)i * PAGE_SIZE;
        mfn_t l1;
        unsigned index;
        int rc = pv_find_l1_slot(ctx, v->cr3_kernel, va, &l1, &index);
        uint64_t e = rc ? 0 : ((const uint64_t *)mfn_to_virt(l1))[index];
        if (!rc && !(e & PV_PTE_P))
            rc = -EINVAL;
        if (!rc)
            rc = pv_get_type(ctx, pv_pte_mfn(e), PV_TYPE_SEG_DESC);
        if (rc) {
            log_debug("pv: d%u: SET_LDT: page at %lx unusable (%d)\n", v->d->id, va, rc);
            put_frames(ctx, frames, i);
            return -EINVAL;
        }
        frames[i] = pv_pte_mfn(e);
        /* The checker only reads: store every entry in its safe form. */
        pv_desc_page_fixup(mfn_to_virt(frames[i]));
    }
    return 0;
}

long pv_set_ldt(struct vcpu *v, uint64_t linear, uint64_t nr_ents)
{
    mfn_t frames[PV_LDT_MAX_PAGES];
    uint64_t base = linear;

    if (pv_ldt_check_args(&base, nr_ents))
        return -EINVAL;
    if (base == v->ldt_base && nr_ents == v->ldt_ents)
        return 0;                       /* Xen: no change, nothing redone */
    unsigned n = pv_ldt_pages(nr_ents);
    if (n && areas_ready())
        return -ENOMEM;
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    long rc = take_frames(v, ctx, base, n, frames);
    if (rc)
        return rc;
    /* New refs first: a frame in both the old and the new LDT stays typed. */
    put_frames(ctx, v->ldt_frames, pv_ldt_pages(v->ldt_ents));
    memcpy(v->ldt_frames, frames, n * sizeof(frames[0]));
    v->ldt_base = base;
    v->ldt_ents = (unsigned)nr_ents;
    v->ldt_gen = n ? __atomic_add_fetch(&ldt_gen_last, 1, __ATOMIC_RELAXED) : 0;
    if (v == current_vcpu())
        pv_load_ldt(v);
    return 0;
}

/* v goes away: its LDT frames lose their references. */
void pv_release_ldt(struct vcpu *v)
{
    struct pv_mm_ctx *ctx = &v->d->mm_ctx;
    uint64_t f = domain_lock(v->d);
    struct percpu *pc = this_cpu();
    if (v->ldt_ents && pc->ldt_gen == v->ldt_gen)
        show_no_ldt(pc);
    put_frames(ctx, v->ldt_frames, pv_ldt_pages(v->ldt_ents));
    v->ldt_base = 0;
    v->ldt_ents = 0;
    v->ldt_gen = 0;
    domain_unlock(v->d, f);
}
