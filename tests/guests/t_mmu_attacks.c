/* mmu_attacks: the PV page-table rule (DESIGN.md; ref §3.4, §5.3-5.5): no
 * writable mapping of a page table, of hypervisor memory (here the M2P) or
 * of anything in the hypervisor's L4 slots, whichever hypercall is used,
 * and pinning validates the whole table. Each refusal is checked with the
 * code Xen 4.17 returned (recorded at each check), each next to a
 * positive control that must succeed, and the attacked entry is re-read to
 * make sure nothing changed. Codes seen on Xen 4.17:
 *   -EBUSY  (16) a writable mapping of a frame typed as page table, and
 *                any mapping of a Xen-owned frame (M2P data, M2P L3);
 *   -EINVAL (22) pinning a page that is still mapped writable, pinning a
 *                pinned / unpinning an unpinned table, PSE in an L2,
 *                any write to L4 slots 256-271, a writable linear L4
 *                self-map, update_va_mapping of a VA without a guest L1;
 *   -EPERM  (1)  an L1 entry naming a frame beyond the machine (bit 51). */
#include "guest.h"
#include <public/version.h>

GUEST_TEST("mmu_attacks");

#define EPERM 1
#define EBUSY 16
#define EINVAL 22
#define ENOSYS 38
#define PF (PTE_P | PTE_RW | PTE_A | PTE_D)
#define RO (PTE_P | PTE_A)

static uint8_t scratch[3][4096] __attribute__((aligned(4096)));
static uint64_t s0, s0_pte;     /* a data page whose L1 entry we retarget */

static long map_at_s0(uint64_t mfn, uint64_t flags)
{
    return HYPERVISOR_update_va_mapping(s0, (mfn << 12) | flags, UVMF_INVLPG);
}

static void restore_s0(void)
{
    check_eq("restore scratch mapping", HYPERVISOR_update_va_mapping(s0, s0_pte, UVMF_INVLPG), 0);
}

/* The bootstrap L1 (typed L1 under the builder's pinned L4) and the L4. */
static void bootstrap_tables(void)
{
    uint64_t l1_va = (uint64_t)pt_entry(GUEST_VIRT_BASE, 1) & ~0xfffUL;
    uint64_t l1_mfn = va_to_mfn((void *)l1_va), l1_pte = *pt_entry(l1_va, 1);
    uint64_t l4_va = start_info->pt_base, l4 = l4_mfn(), l4_pte = *pt_entry(l4_va, 1);

    check_eq("L1 RW in place", HYPERVISOR_update_va_mapping(l1_va, l1_pte | PTE_RW, UVMF_INVLPG), -EBUSY);
    check_eq("L1 still RO", *pt_entry(l1_va, 1) & PTE_RW, 0);
    check_eq("L1 RW at another VA", map_at_s0(l1_mfn, PF), -EBUSY);
    check_eq("L1 RO at another VA (allowed)", map_at_s0(l1_mfn, RO), 0);
    restore_s0();

    check_eq("L4 RW in place", HYPERVISOR_update_va_mapping(l4_va, l4_pte | PTE_RW, UVMF_INVLPG), -EBUSY);
    check_eq("L4 RW at another VA", map_at_s0(l4, PF), -EBUSY);
    check_eq("mmu_update: L1e -> L4 RW", mmu_update_one(pt_entry_maddr(s0, 1), (l4 << 12) | PF), -EBUSY);
    check_eq("scratch L1e unchanged", *pt_entry(s0, 1), s0_pte);
    check_eq("mmu_update: L1e -> L4 RO (allowed)", mmu_update_one(pt_entry_maddr(s0, 1), (l4 << 12) | RO), 0);
    restore_s0();

    check_eq("pin the builder's pinned L4 again", pin_table(4, l4), -EINVAL);
    check_eq("unpin an L1 that is typed but not pinned", unpin_table(l1_mfn), -EINVAL);
    check_eq("pin that L1 explicitly", pin_table(1, l1_mfn), 0);
    check_eq("unpin it", unpin_table(l1_mfn), 0);
}

/* Our own L1: pin rules and the writable-mapping rule while it is pinned. */
static void own_l1(void)
{
    void *t = scratch[1], *data = scratch[2];
    uint64_t mfn = va_to_mfn(t), ma = mfn << 12;

    memset(t, 0, 4096);
    check_eq("pin while mapped RW", pin_table(1, mfn), -EINVAL);
    check_eq("make it RO", set_page_rw(t, false), 0);
    check_eq("pin as L1", pin_table(1, mfn), 0);
    check_eq("pin twice", pin_table(1, mfn), -EINVAL);
    check_eq("pinned L1 RW in place", set_page_rw(t, true), -EBUSY);
    check_eq("pinned L1 RW at another VA", map_at_s0(mfn, PF), -EBUSY);

    check_eq("mmu_update: entry -> data page RW", mmu_update_one(ma, (va_to_mfn(data) << 12) | PF), 0);
    check_eq("mmu_update: entry -> itself RW", mmu_update_one(ma + 8, ma | PF), -EBUSY);
    /* MMU_PT_UPDATE_PRESERVE_AD (command 2 in ptr's low bits, ref 5.3):
     * Accessed and Dirty of the old entry are kept (Linux's mprotect uses
     * it); commands 4..7 are unknown (Xen: -ENOSYS). */
    uint64_t ad = (1UL << 5) | (1UL << 6), dmfn = va_to_mfn(data);
    check_eq("mmu_update: entry with A and D", mmu_update_one(ma + 24, (dmfn << 12) | PTE_P | ad), 0);
    check_eq("PRESERVE_AD update", mmu_update_one((ma + 24) | 2, (dmfn << 12) | PTE_P), 0);
    check_eq("A and D kept", ((volatile uint64_t *)t)[3] & ad, ad);
    check_eq("command 5", mmu_update_one((ma + 24) | 5, 0), -ENOSYS);
    check_eq("clear entry 3", mmu_update_one(ma + 24, 0), 0);
    check_eq("entry 1 unchanged", ((volatile uint64_t *)t)[1], 0);
    check_eq("mmu_update: entry -> itself RO", mmu_update_one(ma + 16, ma | PTE_P), 0);
    check_eq("clear entry 2", mmu_update_one(ma + 16, 0), 0);
    check_eq("clear entry 0", mmu_update_one(ma, 0), 0);

    check_eq("unpin", unpin_table(mfn), 0);
    check_eq("unpin twice", unpin_table(mfn), -EINVAL);
    check_eq("RW again after unpin", set_page_rw(t, true), 0);
    /* A plain (non page-table) frame: mmu_update just stores the value. */
    check_eq("mmu_update into a plain page", mmu_update_one(ma, 0x1234), 0);
    check_eq("value stored", *(volatile uint64_t *)t, 0x1234);
}

/* Pinning validates every entry; the page stays unpinned on failure. */
static void pin_bad_table(int level, uint64_t index, uint64_t entry, long want, const char *what)
{
    uint64_t *t = (uint64_t *)scratch[1];
    uint64_t mfn = va_to_mfn(t);
    long rc;

    memset(t, 0, 4096);
    t[index] = entry;
    check_eq("make it RO", set_page_rw(t, false), 0);
    rc = pin_table(level, mfn);
    check(rc == want, "%s: pin returned %ld, want %ld", what, rc, want);
    if (rc == 0) {
        check(t[index] != entry, "%s: junk left in a hypervisor slot", what);
        check_eq("unpin", unpin_table(mfn), 0);
    } else {
        check_eq("not pinned after the failure", unpin_table(mfn), -EINVAL);
    }
    check_eq("RW again", set_page_rw(t, true), 0);
}

static void bad_tables(uint64_t m2p_l3)
{
    uint64_t l4 = l4_mfn(), other = va_to_mfn(scratch[2]);

    pin_bad_table(1, 0, (l4 << 12) | PF, -EBUSY, "L1 mapping the L4 RW");
    pin_bad_table(1, 0, (m2p_l3 << 12) | PF, -EBUSY, "L1 mapping Xen's M2P L3 RW");
    pin_bad_table(1, 0, (m2p_l3 << 12) | PTE_P, -EBUSY, "L1 mapping Xen's M2P L3 RO");
    pin_bad_table(1, 0, (1UL << 51) | (other << 12) | PTE_P, -EPERM, "L1 naming a frame beyond RAM");
    pin_bad_table(2, 0, (other << 12) | PF | PTE_PSE, -EINVAL, "L2 with a superpage");
    /* Junk in a hypervisor slot of an L4 is not an error: the hypervisor
     * owns those slots and rewrites them (Xen 4.17 reads back 0 in slot
     * 256 until the L4 is loaded as a kernel base). */
    pin_bad_table(4, 256, 0x1234067, 0, "L4 with junk in slot 256");
}

/* The hypervisor's L4 slots and the M2P. The one deliberate difference from Xen: Xen accepts a read-only "linear"
 * L4 entry (an L4 pointing at an L4); Keel refuses every same-level page
 * table reference (include/keel/pv_mm.h), so it answers -EINVAL. */
static void hypervisor_area(uint64_t m2p_l3, uint64_t m2p_frame)
{
    uint64_t l4 = l4_mfn() << 12;
    volatile uint64_t *l4t = (volatile uint64_t *)start_info->pt_base;
    uint64_t slot256 = l4t[256];

    check_eq("mmu_update L4[256] = 0", mmu_update_one(l4 + 256 * 8, 0), -EINVAL);
    check_eq("mmu_update L4[256] = its own value", mmu_update_one(l4 + 256 * 8, slot256), -EINVAL);
    check_eq("mmu_update L4[260] = L4 RW", mmu_update_one(l4 + 260 * 8, l4 | PF), -EINVAL);
    check_eq("mmu_update L4[271] = 0", mmu_update_one(l4 + 271 * 8, 0), -EINVAL);
    check_eq("L4[256] unchanged", l4t[256], slot256);
    check_eq("mmu_update L4[255] = 0 (guest slot)", mmu_update_one(l4 + 255 * 8, 0), 0);
    if (on_keel()) {
        check_eq("linear L4 self-map RO (refused by Keel)", mmu_update_one(l4 + 200 * 8, l4 | RO), -EINVAL);
    } else {
        check_eq("linear L4 self-map RO (allowed by Xen)", mmu_update_one(l4 + 200 * 8, l4 | RO), 0);
        check_eq("remove it", mmu_update_one(l4 + 200 * 8, 0), 0);
    }
    check_eq("linear L4 self-map RW", mmu_update_one(l4 + 200 * 8, l4 | PF), -EINVAL);
    check_eq("L4[200] still empty", l4t[200], 0);

    check_eq("update_va_mapping of the M2P VA", HYPERVISOR_update_va_mapping(
                 MACH2PHYS_VIRT_START, s0_pte, UVMF_INVLPG), -EINVAL);
    check_eq("update_va_mapping in the direct map", HYPERVISOR_update_va_mapping(
                 0xffff830000000000UL, s0_pte, UVMF_INVLPG), -EINVAL);
    check_eq("update_va_mapping without a guest L1", HYPERVISOR_update_va_mapping(
                 0x1000, s0_pte, UVMF_INVLPG), -EINVAL);
    check_eq("M2P L3 RW", map_at_s0(m2p_l3, PF), -EBUSY);
    check_eq("M2P L3 RO", map_at_s0(m2p_l3, RO), -EBUSY);
    check_eq("M2P data frame RW", map_at_s0(m2p_frame, PF), -EBUSY);
    check_eq("M2P data frame RO", map_at_s0(m2p_frame, RO), -EBUSY);
    check_eq("mmu_update: L1e -> M2P data RW", mmu_update_one(pt_entry_maddr(s0, 1), (m2p_frame << 12) | PF), -EBUSY);
    check_eq("scratch L1e unchanged", *pt_entry(s0, 1), s0_pte);
    check_eq("shared_info RW (allowed)", map_at_s0(start_info->shared_info >> 12, PF), 0);
    restore_s0();
}

/* A RAM frame this domain does not own: free, or another domain's (in
 * the Keel pairs run-keel.sh starts, the other domain's frames are here
 * too). Ours are exactly those whose M2P entry maps back through our p2m. */
static uint64_t unowned_ram_frame(uint64_t start)
{
    long max = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    for (uint64_t m = start; max > 0 && m < (uint64_t)max; m++) {
        uint64_t pfn = m2p(m);
        if (pfn < start_info->nr_pages && p2m(pfn) == m)
            continue;
        return m;
    }
    return 0;
}

/* Frames that are not the domain's: no mapping at all, as any level. */
static void unowned_frames(void)
{
    uint64_t va2 = (region_end() + (1UL << 21) - 1) & ~((1UL << 21) - 1);
    uint64_t l2e = pt_entry_maddr(va2, 2);
    for (uint64_t start = 0x1000, n = 0; n < 4; n++, start += 0x1234) {
        uint64_t m = unowned_ram_frame(start);
        if (!m) {
            fail("no unowned RAM frame found above %#lx", start);
            return;
        }
        check_eq("map an unowned frame RO", map_at_s0(m, RO), -EBUSY);
        check_eq("map an unowned frame RW", map_at_s0(m, PF), -EBUSY);
        check_eq("mmu_update: L1e -> unowned RW", mmu_update_one(pt_entry_maddr(s0, 1), (m << 12) | PF), -EBUSY);
        check_eq("scratch L1e unchanged", *pt_entry(s0, 1), s0_pte);
        check(l2e != 0, "no L2 entry for %#lx", va2);
        check_eq("mmu_update: L2e -> unowned", mmu_update_one(l2e, (m << 12) | PF), -EINVAL);
        check_eq("pin an unowned frame as L1", pin_table(1, m), -EINVAL);
        check_eq("pin an unowned frame as L4", pin_table(4, m), -EINVAL);
        check_eq("unpin an unowned frame", unpin_table(m), -EINVAL);
        check_eq("mmu_update with a PTE pointer into an unowned frame", mmu_update_one(m << 12, 0), -EINVAL);
    }
}

void test_main(void)
{
    uint64_t m2p_frames[4] = { 0 };
    struct xen_machphys_mfn_list ml = { .max_extents = 4, .extent_start = (uint64_t)m2p_frames };
    struct xen_machphys_mapping mm = { 0 };

    s0 = (uint64_t)scratch[0];
    s0_pte = *pt_entry(s0, 1);

    check_eq("XENMEM_machphys_mapping", HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mm), 0);
    check(mm.v_start == MACH2PHYS_VIRT_START && mm.v_end == MACH2PHYS_VIRT_END,
          "machphys_mapping %#lx-%#lx", mm.v_start, mm.v_end);
    check_eq("XENMEM_machphys_mfn_list", HYPERVISOR_memory_op(XENMEM_machphys_mfn_list, &ml), 0);
    check(ml.nr_extents >= 1 && m2p_frames[0], "machphys_mfn_list gave %u extents", ml.nr_extents);
    uint64_t m2p_l3 = PTE_MFN(((volatile uint64_t *)start_info->pt_base)[256]);
    check(m2p_l3 != 0, "L4[256] (M2P) empty in the kernel L4");

    bootstrap_tables();
    own_l1();
    bad_tables(m2p_l3);
    hypervisor_area(m2p_l3, m2p_frames[0]);
    unowned_frames();
}
