/* The guest-physical map of a PVH domain through memory_op
 * (public/memory.h; Xen 4.17 arch/x86/mm/p2m.c xenmem_add_to_physmap_one):
 * shared_info mapped again at another GFN (the library mapped it first;
 * its old GFN is left alone: Xen unmaps it, and touching a hole is
 * pvh_oob's business), shared_info index 1 -EINVAL, an unknown space
 * refused; grant-table frame 0 at a GFN of ours (GNTTABOP_query_size,
 * public/grant_table.h), setup_table then listing its GFN, a frame past
 * the maximum -EINVAL; a page of our
 * RAM given back (decrease_reservation by GFN) and populated again
 * (populate_physmap) with current_reservation following, the new page
 * zeroed - on Keel only: Xen 4.17 does not scrub a page a live domain
 * frees (common/page_alloc.c free_domheap_pages) and may hand the same one
 * back, still 0xa5, depending on where our image puts the page (one page
 * more of library code was enough), as pvh_balloon_smp found. Xen 4.17's
 * values (run-xen.sh pvh_physmap) noted. */
#include "pvh.h"

GUEST_TEST("pvh_physmap");

#define GNTTABOP_setup_table 2          /* public/grant_table.h */
#define GNTTABOP_query_size 6
struct gnttab_query_size {
    uint16_t dom;
    uint32_t nr_frames, max_nr_frames;
    int16_t status;
};
struct gnttab_setup_table {
    uint16_t dom;
    uint32_t nr_frames;
    int16_t status;
    uint64_t frame_list;
};

static uint8_t pages[3][4096] __attribute__((aligned(4096)));

static long add_to_physmap(unsigned space, uint64_t idx, const void *gpa)
{
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = space, .idx = idx,
                                    .gpfn = (uint64_t)gpa >> 12 };
    return HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);
}

static long reservation(unsigned cmd, uint64_t gfn)
{
    uint64_t list[1] = { gfn };
    struct xen_memory_reservation r = { .extent_start = (uint64_t)list, .nr_extents = 1,
                                        .domid = DOMID_SELF };
    return HYPERVISOR_memory_op(cmd, &r);
}

void test_main(void)
{
    /* shared_info again, at pages[0]: the same vcpu_info/time there. */
    check_eq("shared_info index 1", add_to_physmap(XENMAPSPACE_shared_info, 1, pages[0]), -EINVAL);
    long rc = add_to_physmap(XENMAPSPACE_shared_info, 0, pages[0]);
    check_eq("shared_info at a second GFN", rc, 0);
    if (!rc) {
        shared_info = (struct shared_info *)pages[0];
        check(shared_info->vcpu_info[0].time.version != 0 && shared_info->vcpu_info[0].time.tsc_to_system_mul,
              "no time info in the remapped shared_info");
        uint64_t t0 = pvclock_ns();
        check(t0 > 0, "system time %lu", t0);
    }
    check_eq("add_to_physmap space 77", add_to_physmap(77, 0, pages[1]), -EINVAL);

    /* Grant table. */
    /* Xen 4.17 dom0: 1 of 64 frames. */
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, 1, 0, 0);
    printk("grant table: rc %ld status %d, %u of %u frames\n", rc, q.status, q.nr_frames, q.max_nr_frames);
    check_eq("query_size", rc, 0);
    check_eq("query_size status", q.status, 0);
    check(q.nr_frames >= 1 && q.max_nr_frames >= q.nr_frames, "grant frames %u of %u", q.nr_frames, q.max_nr_frames);
    memset(pages[1], 0x5a, 4096);
    check_eq("grant frame 0 at a GFN", add_to_physmap(XENMAPSPACE_grant_table, 0, pages[1]), 0);
    bool zero = true;
    for (unsigned i = 0; i < 4096; i++)
        zero &= pages[1][i] == 0;
    check(zero, "grant frame 0 not all zero");
    /* setup_table of a translated guest lists GFNs: where frame 0 is now. */
    uint64_t gfns[1] = { 0 };
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)gfns };
    check_eq("setup_table", HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0), 0);
    check_eq("setup_table status", st.status, 0);
    check_eq("setup_table: frame 0's GFN", gfns[0], (uint64_t)pages[1] >> 12);
    check_eq("grant frame past the maximum",
             add_to_physmap(XENMAPSPACE_grant_table, q.max_nr_frames, pages[2]), -EINVAL);

    /* A page of RAM given back and populated again (Xen 4.17 dom0 with
     * 256 MiB: 65533 -> 65532 -> 65533 pages). */
    uint64_t before = (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &(uint16_t){ DOMID_SELF });
    memset(pages[2], 0xa5, 4096);
    check_eq("decrease_reservation of one GFN", reservation(XENMEM_decrease_reservation, (uint64_t)pages[2] >> 12), 1);
    uint64_t less = (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &(uint16_t){ DOMID_SELF });
    check_eq("reservation after giving one back", less, before - 1);
    check_eq("populate_physmap of that GFN", reservation(XENMEM_populate_physmap, (uint64_t)pages[2] >> 12), 1);
    uint64_t again = (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &(uint16_t){ DOMID_SELF });
    printk("current_reservation %lu -> %lu -> %lu pages\n", before, less, again);
    check_eq("reservation after populating", again, before);
    zero = true;
    for (unsigned i = 0; i < 4096; i++)
        zero &= pages[2][i] == 0;
    if (on_keel())
        check(zero, "populated page not zeroed (first byte %#x)", pages[2][0]);
    else
        printk("populated page %s (first byte %#x)\n", zero ? "zeroed" : "not zeroed", pages[2][0]);
    pages[2][100] = 7;
    check_eq("populated page writable", pages[2][100], 7);

    /* RAM populated over grant frame 0's GFN replaces it (Xen's p2m holds
     * it as RAM); the frame is then mapped nowhere: setup_table lists ~0. */
    check_eq("populate_physmap over grant frame 0", reservation(XENMEM_populate_physmap, (uint64_t)pages[1] >> 12), 1);
    check_eq("that page is RAM again", pages[1][8], 0);
    gfns[0] = 0;
    check_eq("setup_table after", HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0), 0);
    check_eq("frame 0's GFN after", gfns[0], ~0UL);
}
