/* grant_table_op (#20, ref 5.13) for a PV guest: set/get_version,
 * query_size and setup_table of our own table (its frames are ours to map writable, and
 * nothing else: never a page table), the table growing on demand up to its
 * maximum, the errors for bad counts, pointers, domains and sub-op bits;
 * as a domU (pairs.list) dom0's table refused.
 * Values in comments: what Xen 4.17 gave (dom0, run-xen.sh grant_table). */
#include "guest.h"
#include <public/grant_table.h>
#include <public/memory.h>
#include <keel/errno.h>

GUEST_TEST("grant_table");

#define NO_SUCH_DOMAIN  77
#define HV_VA           0xffff800000000000UL    /* Xen's own area: no guest pointer */

static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint64_t frames[80];

static long gnttab(unsigned cmd, void *arg, unsigned count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, count);
}

static long query(uint16_t dom, struct gnttab_query_size *q)
{
    *q = (struct gnttab_query_size){ .dom = dom, .status = 99 };
    return gnttab(GNTTABOP_query_size, q, 1);
}

static long setup(uint16_t dom, uint32_t nr, uint64_t list, int16_t *status)
{
    struct gnttab_setup_table s = { .dom = dom, .nr_frames = nr, .status = 99, .frame_list = list };
    long rc = gnttab(GNTTABOP_setup_table, &s, 1);
    *status = s.status;
    return rc;
}

/* The scratch page's VA shows frame mfn, writable (0: its own frame). */
static long show(uint64_t mfn)
{
    static uint64_t orig;
    volatile uint64_t *e = pt_entry((uint64_t)scratch, 1);
    if (!orig)
        orig = *e;
    uint64_t v = mfn ? (orig & ~PTE_MFN_MASK) | (mfn << 12) | PTE_RW : orig;
    return HYPERVISOR_update_va_mapping((uint64_t)scratch, v, UVMF_INVLPG);
}

static void sizes(void)
{
    struct gnttab_query_size q;
    check_eq("query_size", query(DOMID_SELF, &q), 0);                     /* Xen: 0 */
    printk("grant table: status %d, %u of %u frames\n", q.status, q.nr_frames, q.max_nr_frames);
    check_eq("query_size status", q.status, GNTST_okay);
    check_eq("frames at start", q.nr_frames, 1);                           /* Xen: 1 */
    check_eq("maximum frames", q.max_nr_frames, 64);                       /* Xen: 64 */
    /* Domain 0 by id: ourselves as dom0; as a domU (pairs.list) another
     * domain, which only the privileged may ask about. */
    bool dom0 = start_info->flags & SIF_INITDOMAIN;
    check_eq("query_size of domain 0", query(0, &q), 0);
    check_eq("status of domain 0", q.status, dom0 ? GNTST_okay : GNTST_permission_denied);
    int16_t st;
    check_eq("setup_table of domain 0", setup(0, 1, (uint64_t)frames, &st), 0);
    check_eq("setup_table status of domain 0", st, dom0 ? GNTST_okay : GNTST_permission_denied);
    check_eq("query_size of no domain", query(NO_SUCH_DOMAIN, &q), 0);     /* Xen: 0 */
    check_eq("status of no domain", q.status, GNTST_bad_domain);           /* Xen: -2 */
    check_eq("query_size count 2", gnttab(GNTTABOP_query_size, &q, 2), -EINVAL);
    check_eq("query_size count 0", gnttab(GNTTABOP_query_size, &q, 0), -EINVAL);
    check_eq("query_size count -1", gnttab(GNTTABOP_query_size, &q, ~0U), -EINVAL);
    check_eq("query_size unmapped", gnttab(GNTTABOP_query_size, (void *)HV_VA, 1), -EFAULT);
    check_eq("query_size with bits above", gnttab(GNTTABOP_query_size | 0x1000, &q, 1), -EINVAL);
}

static void frames_are_ours(void)
{
    int16_t st;
    check_eq("setup_table 1", setup(DOMID_SELF, 1, (uint64_t)frames, &st), 0);   /* Xen: 0 */
    check_eq("setup_table 1 status", st, GNTST_okay);
    uint64_t f0 = frames[0];
    printk("grant frame 0: mfn %#lx (m2p %#lx)\n", f0, m2p(f0));
    check(f0 != 0 && f0 != ~0UL, "frame 0 mfn %#lx", f0);
    /* Writable for us: the table is shared between us and the hypervisor. */
    check_eq("map frame 0 writable", show(f0), 0);                         /* Xen: 0 */
    bool zero = true;
    for (unsigned i = 0; i < 4096; i++)
        zero &= ((volatile uint8_t *)scratch)[i] == 0;
    check(zero, "a new grant frame not all zero");
    ((volatile uint32_t *)scratch)[2] = 0x12345678;
    check_eq("write to frame 0", ((volatile uint32_t *)scratch)[2], 0x12345678);
    ((volatile uint32_t *)scratch)[2] = 0;
    check_eq("unmap frame 0", show(0), 0);
    /* Never a page table. */
    struct mmuext_op pin = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = f0 };
    check_eq("pin frame 0 as an L1", HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF), -EINVAL); /* Xen: -22 */

    /* Grown on demand; frame 0 stays where it was. */
    check_eq("setup_table 3", setup(DOMID_SELF, 3, (uint64_t)frames, &st), 0);
    check_eq("setup_table 3 status", st, GNTST_okay);
    check_eq("frame 0 again", frames[0], f0);
    check(frames[1] != f0 && frames[2] != f0 && frames[1] != frames[2], "frames %#lx %#lx %#lx",
          frames[0], frames[1], frames[2]);
    struct gnttab_query_size q;
    query(DOMID_SELF, &q);
    check_eq("frames after growing", q.nr_frames, 3);                      /* Xen: 3 */
    check_eq("setup_table 1 after growing", setup(DOMID_SELF, 1, (uint64_t)frames, &st), 0);
    query(DOMID_SELF, &q);
    check_eq("a smaller request does not shrink", q.nr_frames, 3);
    check_eq("map frame 2 writable", show(frames[2]), 0);
    check_eq("unmap frame 2", show(0), 0);
}

static void refusals(void)
{
    int16_t st;
    struct gnttab_query_size q;
    check_eq("setup_table past the maximum", setup(DOMID_SELF, 65, (uint64_t)frames, &st), 0);
    check_eq("status past the maximum", st, GNTST_general_error);         /* Xen: -1 */
    query(DOMID_SELF, &q);
    check_eq("frames after a refusal", q.nr_frames, 3);
    check_eq("setup_table list unmapped", setup(DOMID_SELF, 1, HV_VA, &st), -EFAULT); /* Xen: -14 */
    check_eq("setup_table of no domain", setup(NO_SUCH_DOMAIN, 1, (uint64_t)frames, &st), 0);
    check_eq("status of no domain", st, GNTST_bad_domain);
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)frames };
    check_eq("setup_table count 0", gnttab(GNTTABOP_setup_table, &s, 0), -EINVAL);
    check_eq("setup_table count 2", gnttab(GNTTABOP_setup_table, &s, 2), -EINVAL);
    check_eq("setup_table unmapped", gnttab(GNTTABOP_setup_table, (void *)HV_VA, 1), -EFAULT);
    check_eq("an unknown sub-op", gnttab(99, &s, 1), -ENOSYS);             /* Xen: -38 */
    /* A grant frame is not memory to give back. */
    uint64_t f0 = frames[0], f = f0;
    struct xen_memory_reservation r = { .extent_start = (uint64_t)&f, .nr_extents = 1,
                                        .domid = DOMID_SELF };
    long cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &(struct xen_memory_domain){ DOMID_SELF });
    long rc = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r);
    /* Xen 4.17 counts it done (guest_remove_page drops the shared page's
     * allocation reference) yet the table keeps the frame, which we can
     * no longer map (-EBUSY). Keel refuses it as it refuses shared_info
     * (Xen too: 0): the frame stays ours and mappable. */
    bool keel = on_keel();
    check_eq("decrease_reservation of a grant frame", rc, keel ? 0 : 1);
    f = start_info->shared_info;
    check_eq("decrease_reservation of shared_info", HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 0);
    check_eq("reservation after both", HYPERVISOR_memory_op(XENMEM_current_reservation,
                                                        &(struct xen_memory_domain){ DOMID_SELF }), cur);
    check_eq("setup_table after it", setup(DOMID_SELF, 1, (uint64_t)frames, &st), 0);
    check_eq("frame 0 kept", frames[0], f0);
    struct gnttab_query_size q2;
    query(DOMID_SELF, &q2);
    check_eq("frames kept", q2.nr_frames, 3);
    check_eq("map frame 0 still", show(frames[0]), keel ? 0 : -EBUSY);  /* Xen: -16 */
    check_eq("unmap frame 0 still", show(0), 0);
}

/* Keel keeps version 1 only (as Xen with gnttab=max-ver:1): set_version 2
 * is -ENOSYS there; Xen 4.17's default allows 2 (0), then we go back. */
static void versions(void)
{
    struct gnttab_set_version sv = { 1 };
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    check_eq("get_version", gnttab(GNTTABOP_get_version, &gv, 1), 0);      /* Xen: 0 */
    check_eq("version at start", gv.version, 1);                           /* Xen: 1 */
    check_eq("set_version 1", gnttab(GNTTABOP_set_version, &sv, 1), 0);    /* Xen: 0 */
    check_eq("version after set 1", sv.version, 1);
    sv.version = 3;
    check_eq("set_version 3", gnttab(GNTTABOP_set_version, &sv, 1), -EINVAL);  /* Xen: -22 */
    check_eq("version after set 3", sv.version, 1);                        /* Xen: 1 */
    sv.version = 2;
    long rc = gnttab(GNTTABOP_set_version, &sv, 1);
    if (on_keel()) {
        check_eq("set_version 2", rc, -ENOSYS);
        check_eq("version after set 2", sv.version, 1);
    } else {
        check_eq("set_version 2 (Xen)", rc, 0);
        check_eq("version after set 2 (Xen)", sv.version, 2);
        sv.version = 1;
        check_eq("set_version 1 again (Xen)", gnttab(GNTTABOP_set_version, &sv, 1), 0);
    }
    gv = (struct gnttab_get_version){ .dom = NO_SUCH_DOMAIN };
    check_eq("get_version of no domain", gnttab(GNTTABOP_get_version, &gv, 1), -ESRCH); /* Xen: -3 */
    check_eq("set_version unmapped", gnttab(GNTTABOP_set_version, (void *)HV_VA, 1), -EFAULT);
}

void test_main(void)
{
    versions();
    sizes();
    frames_are_ours();
    refusals();
}
