/* memory_op reservation sub-ops for a PV guest (ref 5.10): decrease_reservation
 * (GMFNs = MFNs in), populate_physmap (GPFNs in, MFNs out, M2P set),
 * increase_reservation, exchange; frames still referenced when given back,
 * frames not ours, bad orders, pointers and domains, start extents and a
 * batch long enough to be continued. Values in comments: what Xen 4.17 gave.
 * Works on frames past the bootstrap region (not mapped by anything). */
#include "guest.h"
#include <public/memory.h>
#include <keel/errno.h>

GUEST_TEST("memory_reservation");

#define EPERM 1

#define INVALID_M2P     (~0UL)
#define BIG             2048

static uint64_t list[BIG];
static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint64_t region_pfns;

static long reservation(unsigned cmd, uint64_t *l, uint64_t nr, unsigned order, unsigned flags,
                        uint16_t dom)
{
    struct xen_memory_reservation r = { .extent_start = (uint64_t)l, .nr_extents = nr,
                                        .extent_order = order, .mem_flags = flags, .domid = dom };
    return HYPERVISOR_memory_op(cmd, &r);
}

static long give_back(uint64_t *mfns, uint64_t nr, unsigned order)
{
    return reservation(XENMEM_decrease_reservation, mfns, nr, order, 0, DOMID_SELF);
}

static long populate(uint64_t *pfns, uint64_t nr, unsigned order, unsigned flags)
{
    return reservation(XENMEM_populate_physmap, pfns, nr, order, flags, DOMID_SELF);
}

static long cur_pages(void)
{
    struct xen_memory_domain d = { DOMID_SELF };
    return HYPERVISOR_memory_op(XENMEM_current_reservation, &d);
}

static void set_p2m(uint64_t pfn, uint64_t mfn)
{
    ((uint64_t *)start_info->mfn_list)[pfn] = mfn;
}

/* Pool frames: past the bootstrap region, mapped by nothing. */
static uint64_t pool(uint64_t i)
{
    return region_pfns + 16 + i;
}

/* The scratch page's VA shows frame mfn (0: its own frame again). */
static long show(uint64_t mfn)
{
    static uint64_t orig;
    volatile uint64_t *e = pt_entry((uint64_t)scratch, 1);
    if (!orig)
        orig = *e;
    uint64_t v = mfn ? (orig & ~PTE_MFN_MASK) | (mfn << 12) : orig;
    return HYPERVISOR_update_va_mapping((uint64_t)scratch, v, UVMF_INVLPG);
}

static bool frame_is_zero(uint64_t mfn)
{
    bool zero = true;
    check_eq("map a new frame", show(mfn), 0);
    for (unsigned i = 0; i < 4096; i++)
        zero &= ((volatile uint8_t *)scratch)[i] == 0;
    show(0);
    return zero;
}

/* Replaces the frame behind pfn with a fresh zeroed one; returns it. */
static uint64_t fresh(uint64_t pfn)
{
    uint64_t m = p2m(pfn);
    check_eq("fresh: give back", give_back(&m, 1, 0), 1);
    m = pfn;
    check_eq("fresh: populate", populate(&m, 1, 0, 0), 1);
    set_p2m(pfn, m);
    check_eq("fresh: map", show(m), 0);
    memset(scratch, 0, sizeof(scratch));
    show(0);
    return m;
}

static void give_back_and_populate(void)
{
    long cur0 = cur_pages();
    uint64_t mfns[8];
    for (unsigned i = 0; i < 8; i++) {
        list[i] = mfns[i] = p2m(pool(i));
        check(m2p(mfns[i]) == pool(i), "m2p of pool frame %u", i);
    }
    check_eq("decrease 8", give_back(list, 8, 0), 8);                      /* Xen: 8 */
    check_eq("current after decrease", cur_pages(), cur0 - 8);             /* Xen: -8 */
    for (unsigned i = 0; i < 8; i++) {
        check(m2p(mfns[i]) == INVALID_M2P, "m2p of a given-back frame %#lx", m2p(mfns[i]));
        set_p2m(pool(i), INVALID_M2P);
    }
    check_eq("decrease them again", give_back(list, 8, 0), 0);             /* Xen: 0 */
    for (unsigned i = 0; i < 8; i++)
        list[i] = pool(i);
    check_eq("populate 8", populate(list, 8, 0, 0), 8);                    /* Xen: 8 */
    check_eq("current after populate", cur_pages(), cur0);
    for (unsigned i = 0; i < 8; i++) {
        check(m2p(list[i]) == pool(i), "m2p of populated frame %u: %#lx", i, m2p(list[i]));
        check(frame_is_zero(list[i]), "populated frame %u not zero", i);
        set_p2m(pool(i), list[i]);
    }
}

/* An order-9 extent: one frame of it given back alone, then repopulated. */
static void order9_extent(void)
{
    long cur0 = cur_pages();
    uint64_t base = pool(64);
    for (unsigned i = 0; i < 512; i++)
        list[i] = p2m(base + i);
    check_eq("decrease 512", give_back(list, 512, 0), 512);                /* Xen: 512 */
    list[0] = base;
    check_eq("populate order 9", populate(list, 1, 9, 0), 1);              /* Xen: 1 */
    uint64_t m = list[0];
    check((m & 511) == 0, "order-9 extent at %#lx", m);
    for (unsigned i = 0; i < 512; i++) {
        check(m2p(m + i) == base + i, "m2p of extent frame %u", i);
        set_p2m(base + i, m + i);
    }
    check_eq("current after order 9", cur_pages(), cur0);
    list[0] = m + 100;
    check_eq("one frame of the extent", give_back(list, 1, 0), 1);         /* Xen: 1 */
    check(m2p(m + 100) == INVALID_M2P, "m2p of the frame given back");
    check_eq("current after one", cur_pages(), cur0 - 1);
    list[0] = base + 100;
    check_eq("populate it again", populate(list, 1, 0, 0), 1);             /* Xen: 1 */
    set_p2m(base + 100, list[0]);
    check(frame_is_zero(list[0]), "repopulated frame not zero");
    list[0] = m + 101;
    list[1] = m + 511;
    check_eq("two more of the extent", give_back(list, 2, 0), 2);          /* Xen: 2 */
    list[0] = base + 101;
    list[1] = base + 511;
    check_eq("populate them again", populate(list, 2, 0, 0), 2);           /* Xen: 2 */
    set_p2m(base + 101, list[0]);
    set_p2m(base + 511, list[1]);
}

/* 2048 frames each way: long enough for the hypervisor to continue. */
static void large_batch(void)
{
    long cur0 = cur_pages();
    uint64_t base = pool(1024);
    for (unsigned i = 0; i < BIG; i++)
        list[i] = p2m(base + i);
    check_eq("decrease 2048", give_back(list, BIG, 0), BIG);               /* Xen: 2048 */
    check_eq("current after 2048", cur_pages(), cur0 - BIG);
    for (unsigned i = 0; i < BIG; i++)
        list[i] = base + i;
    check_eq("populate 2048", populate(list, BIG, 0, 0), BIG);             /* Xen: 2048 */
    check_eq("current after repopulate", cur_pages(), cur0);
    unsigned bad = 0;
    for (unsigned i = 0; i < BIG; i++) {
        bad += m2p(list[i]) != base + i;
        set_p2m(base + i, list[i]);
    }
    check_eq("m2p of 2048 populated frames wrong", bad, 0);
    /* Start extents: cmd >> 6 is where to start; at or past the end it is
     * returned as is. */
    list[0] = list[1] = 1UL << 40;                  /* would stop the batch */
    list[2] = p2m(base);
    list[3] = p2m(base + 1);
    check_eq("decrease from extent 2",
             reservation(XENMEM_decrease_reservation | (2 << MEMOP_EXTENT_SHIFT), list, 4, 0, 0,
                         DOMID_SELF), 4);                                   /* Xen: 4 */
    check_eq("start extent past the end",
             reservation(XENMEM_populate_physmap | (5 << MEMOP_EXTENT_SHIFT), list, 3, 0, 0,
                         DOMID_SELF), 5);                                   /* Xen: 5 */
    list[0] = base;
    list[1] = base + 1;
    check_eq("populate the two again", populate(list, 2, 0, 0), 2);
    set_p2m(base, list[0]);
    set_p2m(base + 1, list[1]);
}

/* Frames still referenced count as given back; they go (tot_pages and
 * M2P change) only when the last reference does. */
static void referenced_frames(void)
{
    uint64_t pfn = pool(3100), m = fresh(pfn);
    long cur0 = cur_pages();
    check_eq("pin L1", pin_table(1, m), 0);
    list[0] = m;
    check_eq("decrease a pinned L1", give_back(list, 1, 0), 1);            /* Xen: 1 */
    check_eq("current while pinned", cur_pages(), cur0);                   /* Xen: unchanged */
    check(m2p(m) == pfn, "m2p while pinned %#lx", m2p(m));                 /* Xen: kept */
    check_eq("unpin it", unpin_table(m), 0);                               /* Xen: 0 */
    check_eq("current after unpin", cur_pages(), cur0 - 1);                /* Xen: -1 */
    check(m2p(m) == INVALID_M2P, "m2p after unpin %#lx", m2p(m));
    list[0] = pfn;
    check_eq("repopulate", populate(list, 1, 0, 0), 1);
    set_p2m(pfn, list[0]);

    pfn = pool(3101);
    m = fresh(pfn);
    cur0 = cur_pages();
    check_eq("map it", show(m), 0);
    scratch[5] = 0x5a;
    list[0] = m;
    check_eq("decrease a mapped frame", give_back(list, 1, 0), 1);         /* Xen: 1 */
    check_eq("current while mapped", cur_pages(), cur0);                   /* Xen: unchanged */
    check(((volatile uint8_t *)scratch)[5] == 0x5a, "mapped frame changed under the mapping");
    check_eq("decrease it again while mapped", give_back(list, 1, 0), 1);  /* Xen: 1 */
    show(0);
    check_eq("current after unmap", cur_pages(), cur0 - 1);                /* Xen: -1 */
    check(m2p(m) == INVALID_M2P, "m2p after unmap %#lx", m2p(m));
    check_eq("decrease it after it went", give_back(list, 1, 0), 0);       /* Xen: 0 */
    list[0] = pfn;
    check_eq("repopulate", populate(list, 1, 0, 0), 1);
    set_p2m(pfn, list[0]);
    check_eq("current at the end", cur_pages(), cur0);
}

static void not_ours(void)
{
    uint64_t m2p_frames[4] = { 0 };
    struct xen_machphys_mfn_list ml = { .max_extents = 4, .extent_start = (uint64_t)m2p_frames };
    check_eq("machphys_mfn_list", HYPERVISOR_memory_op(XENMEM_machphys_mfn_list, &ml), 0);
    long cur0 = cur_pages();
    list[0] = m2p_frames[0];
    check_eq("decrease an M2P frame", give_back(list, 1, 0), 0);           /* Xen: 0 */
    list[0] = 1UL << 40;
    check_eq("decrease a frame past RAM", give_back(list, 1, 0), 0);       /* Xen: 0 */
    uint64_t pfn = pool(3300);
    list[0] = p2m(pfn);
    list[1] = m2p_frames[0];
    list[2] = p2m(pfn + 1);
    check_eq("ours, then not ours", give_back(list, 3, 0), 1);             /* Xen: 1 */
    check_eq("current", cur_pages(), cur0 - 1);
    list[0] = pfn;
    check_eq("repopulate", populate(list, 1, 0, 0), 1);
    set_p2m(pfn, list[0]);
}

static void bad_arguments(void)
{
    long cur0 = cur_pages();
    list[0] = pool(3400);
    check_eq("populate order 19", populate(list, 1, 19, 0), 0);            /* Xen: 0 */
    check_eq("decrease order 19", give_back(list, 1, 19), 0);              /* Xen: 0 */
    check_eq("increase order 19",
             reservation(XENMEM_increase_reservation, list, 1, 19, 0, DOMID_SELF), 0);  /* Xen: 0 */
    check_eq("reservation at NULL", HYPERVISOR_memory_op(XENMEM_decrease_reservation, NULL), 0);
    check_eq("reservation in the hypervisor",
             HYPERVISOR_memory_op(XENMEM_populate_physmap, (void *)0xffff800000001000UL), 0); /* Xen: 0 */
    check_eq("populate, list NULL", populate(NULL, 1, 0, 0), 0);           /* Xen: 0 */
    check_eq("populate, list in the hypervisor",
             populate((uint64_t *)0xffff800000000000UL, 1, 0, 0), 0);      /* Xen: 0 */
    check_eq("decrease, list in the hypervisor",
             give_back((uint64_t *)0xffff800000000000UL, 1, 0), 0);        /* Xen: 0 */
    check_eq("nr_extents 2^26", give_back(list, 1UL << 26, 0), 0);         /* Xen: 0 */
    check_eq("populate for domain 77",
             reservation(XENMEM_populate_physmap, list, 1, 0, 0, 77), 0);  /* Xen: 0 */
    check_eq("address_bits 12", populate(list, 1, 0, XENMEMF_address_bits(12)), 0);  /* Xen: 0 */
    check_eq("exact node 200", populate(list, 1, 0, XENMEMF_node(200) | XENMEMF_exact_node_request), 0);
    check_eq("current unchanged", cur_pages(), cur0);

    /* Below 4 GiB. */
    uint64_t pfn = pool(3401);
    list[0] = p2m(pfn);
    check_eq("give back one", give_back(list, 1, 0), 1);
    list[0] = pfn;
    check_eq("populate below 4 GiB", populate(list, 1, 0, XENMEMF_address_bits(32)), 1);  /* Xen: 1 */
    check(list[0] < (1UL << 20), "frame %#lx above 4 GiB", list[0]);
    set_p2m(pfn, list[0]);

    /* increase_reservation: MFNs out, no M2P entry. */
    list[0] = p2m(pfn);
    check_eq("give back one", give_back(list, 1, 0), 1);
    list[0] = 0;
    check_eq("increase 1", reservation(XENMEM_increase_reservation, list, 1, 0, 0, DOMID_SELF), 1);
    check(list[0] && m2p(list[0]) == INVALID_M2P, "increase gave %#lx, m2p %#lx", list[0], m2p(list[0]));
    check_eq("current after increase", cur_pages(), cur0);
    uint64_t inc = list[0];
    check_eq("machphys update", mmu_update_one((inc << 12) | MMU_MACHPHYS_UPDATE, pfn), 0);
    set_p2m(pfn, inc);
}

/* At max_pages (Keel's dom0 is built at its maximum; Xen's dom0 may grow
 * to the host's memory unless dom0_mem=...,max:... says otherwise). */
static void beyond_max_pages(void)
{
    struct xen_memory_domain dm = { DOMID_SELF };
    long max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &dm), cur = cur_pages();
    long room = max - cur;
    printk("[memory_reservation] max_pages %ld, tot_pages %ld\n", max, cur);
    if (room < 0 || room > 64) {
        printk("[memory_reservation] room for %ld pages: limit not checked\n", room);
        return;
    }
    for (long i = 0; i < room + 2; i++)
        list[i] = pool(3500 + (uint64_t)i);
    check_eq("populate past max_pages", populate(list, (uint64_t)room + 2, 0, 0), room);  /* Xen, dom0_mem=256M,max:256M: room 0, 0 done */
    check_eq("current at max", cur_pages(), max);
    check_eq("give them back", give_back(list, (uint64_t)room, 0), room);
}

static long exchange(struct xen_memory_exchange *x)
{
    return HYPERVISOR_memory_op(XENMEM_exchange, x);
}

static void exchanges(void)
{
    long cur0 = cur_pages();
    uint64_t in[4], out[1], base = pool(3200);
    for (unsigned i = 0; i < 4; i++)
        in[i] = p2m(base + i);
    out[0] = base;
    struct xen_memory_exchange x = {
        .in = { .extent_start = (uint64_t)in, .nr_extents = 4, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .extent_start = (uint64_t)out, .nr_extents = 1, .extent_order = 2,
                 .mem_flags = XENMEMF_address_bits(32), .domid = DOMID_SELF },
    };
    /* Refused: the sizes differ, nr_exchanged past the end, other domid. */
    x.out.extent_order = 1;
    check_eq("exchange 4 pages for 2", exchange(&x), -EINVAL);             /* Xen: -EINVAL */
    x.out.extent_order = 2;
    x.nr_exchanged = 5;
    check_eq("exchange nr_exchanged 5", exchange(&x), -EINVAL);            /* Xen: -EINVAL */
    x.nr_exchanged = 0;
    x.out.domid = 0;
    check_eq("exchange in/out domids differ", exchange(&x), -EINVAL);      /* Xen: -EINVAL */
    x.out.domid = x.in.domid = 77;
    check_eq("exchange for domain 77", exchange(&x), -ESRCH);              /* Xen: -ESRCH */
    x.out.domid = x.in.domid = DOMID_SELF;
    x.in.extent_order = 19;
    check_eq("exchange order 19", exchange(&x), -EPERM);                   /* Xen: -EPERM */
    x.in.extent_order = 0;
    check_eq("exchange at NULL", HYPERVISOR_memory_op(XENMEM_exchange, NULL), -EFAULT);  /* Xen: -EFAULT */
    x.in.extent_start = 0xffff800000000000UL;
    check_eq("exchange list in the hypervisor", exchange(&x), -EFAULT);   /* Xen: -EFAULT */
    x.in.extent_start = (uint64_t)in;
    /* A frame that is mapped (the scratch page): nothing exchanged. */
    in[3] = va_to_mfn(scratch);
    check_eq("exchange with a mapped frame", exchange(&x), -EINVAL);       /* Xen: -EINVAL */
    check_eq("nr_exchanged after refusal", x.nr_exchanged, 0);
    check(m2p(in[0]) == base, "input frame lost after a refused exchange");
    check_eq("current after refusal", cur_pages(), cur0);
    in[3] = p2m(base + 3);
    /* Four pages for one contiguous order-2 extent below 4 GiB. */
    check_eq("exchange", exchange(&x), 0);                                 /* Xen: 0 */
    check_eq("nr_exchanged", x.nr_exchanged, 4);                           /* Xen: 4 */
    uint64_t m = out[0];
    check((m & 3) == 0 && m + 3 < (1UL << 20), "exchanged extent at %#lx", m);
    for (unsigned i = 0; i < 4; i++) {
        check(m2p(m + i) == base + i, "m2p of exchanged frame %u: %#lx", i, m2p(m + i));
        check(m2p(in[i]) == INVALID_M2P, "m2p of an input frame %u: %#lx", i, m2p(in[i]));
        set_p2m(base + i, m + i);
    }
    check_eq("current after exchange", cur_pages(), cur0);
    check_eq("exchange again, all done", exchange(&x), 0);                 /* Xen: 0 */
}

/* An unprivileged domain naming dom0: every sub-op refused (Xen's XSM
 * default: -EPERM, and a reservation op reports 0 extents done). Only
 * when this kernel runs as a domU (run-keel.sh's pairs); xen-ref boots
 * it as dom0, where domid 0 is itself. */
static void other_domain(void)
{
    if (start_info->flags & SIF_PRIVILEGED) {
        printk("memory_reservation: dom0 here: the unprivileged-caller checks run in the domU pair\n");
        return;
    }
    static uint8_t own_page[4096] __attribute__((aligned(4096)));
    uint64_t list[1] = { va_to_mfn(own_page) };
    struct xen_memory_domain d0 = { 0 };
    check_eq("domU: current_reservation of dom0", HYPERVISOR_memory_op(XENMEM_current_reservation, &d0), -EPERM);
    check_eq("domU: maximum_reservation of dom0", HYPERVISOR_memory_op(XENMEM_maximum_reservation, &d0), -EPERM);
    check_eq("domU: decrease dom0's reservation", reservation(XENMEM_decrease_reservation, list, 1, 0, 0, 0), 0);
    check_eq("domU: populate into dom0", reservation(XENMEM_populate_physmap, list, 1, 0, 0, 0), 0);
    check_eq("domU: increase dom0's reservation", reservation(XENMEM_increase_reservation, list, 1, 0, 0, 0), 0);
    check_eq("  its own frame untouched", m2p(va_to_mfn(own_page)), va_to_pfn(own_page));
}

/* A boot-module domU's console and store rings are written by Keel for as
 * long as the domain lives (hv/console_ring.c, hv/xenstore.c), so Keel
 * holds each frame as a writable page, as a backend's mapping does under
 * Xen: the guest can neither pin one as a page table nor have it freed
 * under Keel (given back, it stays until the domain goes). Keel only: under
 * xen-ref this kernel is dom0, which has no such rings. */
static void rings_held(void)
{
    if (start_info->flags & SIF_PRIVILEGED) {
        printk("memory_reservation: dom0 here: the ring checks run in the domU pair\n");
        return;
    }
    uint64_t con = start_info->console.domU.mfn, store = start_info->store_mfn;
    void *con_va = mfn_to_va(con), *store_va = mfn_to_va(store);
    check(con_va && store_va, "rings outside the bootstrap region (%#lx %#lx)", con, store);
    if (!con_va || !store_va)
        return;
    /* Its own mapping read-only, so only Keel's hold can refuse the pin. */
    check_eq("console ring mapped read-only", set_page_rw(con_va, false), 0);
    long rc = pin_table(1, con);
    check(rc < 0, "pinned the console ring as an L1 table (%ld)", rc);
    if (!rc)
        unpin_table(con);
    check_eq("console ring writable again", set_page_rw(con_va, true), 0);
    /* Unmapped by the guest, the store ring is referenced by Keel alone. */
    long cur0 = cur_pages();
    check_eq("unmap the store ring", HYPERVISOR_update_va_mapping((uint64_t)store_va, 0, UVMF_INVLPG), 0);
    list[0] = store;
    check_eq("give back the store ring", give_back(list, 1, 0), 1);
    check_eq("current while Keel holds the ring", cur_pages(), cur0);
    check(m2p(store) == va_to_pfn(store_va), "m2p of the held ring %#lx", m2p(store));
}

void test_main(void)
{
    region_pfns = va_to_pfn((void *)region_end());
    check(start_info->nr_pages > region_pfns + 16 + 3600, "only %lu pages", start_info->nr_pages);
    if (failures())
        return;
    give_back_and_populate();
    order9_extent();
    large_batch();
    referenced_frames();
    not_ours();
    bad_arguments();
    exchanges();
    beyond_max_pages();
    other_domain();
    rings_held();
}
