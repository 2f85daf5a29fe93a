/* Validation of PV guest GDT/LDT descriptors (rules in keel/pv_desc.h).
 * The fixups matter for safety, not only for correctness: a DPL-0 code
 * segment plus a DPL-3 call gate to it would carry guest code into ring 0.
 * Code/data DPL is therefore always 3, and gates always DPL 0. */
#include <keel/pv_desc.h>
#include <keel/errno.h>
#include <public/arch_x86_64.h>

#define GUEST_KERNEL_RPL    3u
#define SEL_RPL_MASK        3u
#define SEL_TI_LDT          4u
#define SEL_INDEX_SHIFT     3

/* May a call gate of a PV guest point at this code selector? Any LDT
 * selector (the whole LDT is the guest's), a GDT selector below the
 * hypervisor's entries, or the flat kernel code segment. */
static bool gate_target_ok(uint16_t sel)
{
    if (sel & SEL_TI_LDT)
        return true;
    if ((sel >> SEL_INDEX_SHIFT) < FIRST_RESERVED_GDT_ENTRY)
        return true;
    return (sel & ~SEL_RPL_MASK) == (FLAT_KERNEL_CS & ~SEL_RPL_MASK);
}

static int check_call_gate(uint64_t desc, uint64_t *out)
{
    uint16_t sel = (uint16_t)((desc & PV_DESC_GATE_SEL_MASK) >> PV_DESC_GATE_SEL_SHIFT);
    unsigned dpl = pv_desc_dpl(desc);

    if (desc & PV_DESC_GATE_RSVD)
        return -EINVAL;
    if (!gate_target_ok(sel))
        return -EINVAL;
    /* The gate's DPL, raised like a code segment's, moves to the target
     * RPL; the gate itself gets DPL 0 so that any use faults. */
    if (dpl < GUEST_KERNEL_RPL)
        dpl = GUEST_KERNEL_RPL;
    sel = (uint16_t)((sel & ~SEL_RPL_MASK) | dpl);
    desc &= ~(PV_DESC_DPL_MASK | PV_DESC_GATE_SEL_MASK);
    *out = desc | ((uint64_t)sel << PV_DESC_GATE_SEL_SHIFT);
    return 0;
}

int pv_desc_check(uint64_t desc, uint64_t *out)
{
    if (!(desc & PV_DESC_P)) {
        *out = desc;                /* always faults when loaded */
        return 0;
    }
    if (desc & PV_DESC_S) {
        if ((desc & PV_DESC_L) && (desc & PV_DESC_DB))
            return -EINVAL;         /* reserved: L=1 requires D=0 */
        *out = desc | ((uint64_t)GUEST_KERNEL_RPL << PV_DESC_DPL_SHIFT);
        return 0;
    }
    switch (pv_desc_type(desc)) {
    case PV_DESC_SYS_UPPER_HALF:
        *out = desc;
        return 0;
    case PV_DESC_SYS_CALL_GATE64:
        return check_call_gate(desc, out);
    default:
        return -EINVAL;             /* TSS, LDT, int/trap/task gates, ... */
    }
}

int pv_desc_page_check(const uint64_t *page)
{
    uint64_t stored;

    for (unsigned i = 0; i < PV_DESC_PAGE_ENTRIES; i++)
        if (pv_desc_check(page[i], &stored))
            return -EINVAL;
    return 0;
}

void pv_desc_page_fixup(uint64_t *page)
{
    uint64_t stored;

    for (unsigned i = 0; i < PV_DESC_PAGE_ENTRIES; i++)
        if (!pv_desc_check(page[i], &stored) && stored != page[i])
            page[i] = stored;
}

int pv_desc_page_validate(uint64_t *page)
{
    int rc = pv_desc_page_check(page);

    if (!rc)
        pv_desc_page_fixup(page);
    return rc;
}

int pv_ldt_check_args(uint64_t *base, uint64_t nr_ents)
{
    if (nr_ents > PV_LDT_MAX_ENTS)
        return -EINVAL;
    if (!nr_ents) {
        *base = 0;
        return 0;
    }
    if (*base & (PAGE_SIZE - 1))
        return -EINVAL;
    if (*base >= (1ULL << 48) && *base < HYPERVISOR_VIRT_END)
        return -EINVAL;
    return 0;
}

#define LDT_SYS_TYPE    0x2ULL

void pv_ldt_system_desc(uint64_t base, uint64_t nr_ents, uint64_t out[2])
{
    uint64_t limit = nr_ents * 8 - 1;       /* < 64 KiB: fits 20 bits */

    out[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
             (LDT_SYS_TYPE << PV_DESC_TYPE_SHIFT) | PV_DESC_P |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    out[1] = base >> 32;
}
