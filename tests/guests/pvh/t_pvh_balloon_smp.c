/* Giving a page back and populating it again, 200 times, while vCPU 1
 * runs on the other CPU reading a page of its own: the hypervisor must
 * drop the other CPU's nested translations before a frame given back is
 * reused (Keel: a synchronous flush of every CPU, hv/domain.c
 * domain_free_taken); the reader must see its page unchanged, every
 * round succeed and current_reservation end where it began.
 * Xen 4.17 hands the domain's own page back unscrubbed here (the new page
 * still reads 0xa5: a page freed by a live domain is not scrubbed, and the
 * allocator returns it at once), so the "new page zeroed" check is Keel's
 * only (Keel zeroes every frame it gives a guest).
 * guest-run: smp=2 vcpus=2 */
#include "pvh.h"

GUEST_TEST("pvh_balloon_smp");

#define ROUNDS 200

static uint8_t page[4096] __attribute__((aligned(4096)));
static uint8_t canary[4096] __attribute__((aligned(4096)));
static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static volatile bool ap_stop, ap_bad;
static volatile uint64_t ap_loops;

/* vCPU 1: reads its page until told to stop. */
static void reader(unsigned id)
{
    (void)id;
    while (!ap_stop) {
        for (unsigned i = 0; i < 4096; i += 64)
            if (((volatile uint8_t *)canary)[i] != 0x3c)
                ap_bad = true;
        ap_loops++;
    }
    for (;;)
        __asm__ __volatile__("cli; hlt");
}

static long reservation(unsigned cmd, uint64_t gfn)
{
    uint64_t list[1] = { gfn };
    struct xen_memory_reservation r = { .extent_start = (uint64_t)list, .nr_extents = 1,
                                        .domid = DOMID_SELF };
    return HYPERVISOR_memory_op(cmd, &r);
}

static uint64_t current_pages(void)
{
    return (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &(uint16_t){ DOMID_SELF });
}

void test_main(void)
{
    bool keel = on_keel();
    uint64_t before = current_pages();
    memset(canary, 0x3c, sizeof(canary));
    long rc = start_ap(1, reader, ap_stack + sizeof(ap_stack));
    check_eq("vCPU 1 up", rc, 0);
    if (rc)
        return;
    uint64_t gfn = (uint64_t)page >> 12;
    unsigned r, dirty = 0;
    for (r = 0; r < ROUNDS; r++) {
        memset(page, 0xa5, 4096);
        if (reservation(XENMEM_decrease_reservation, gfn) != 1)
            break;
        if (reservation(XENMEM_populate_physmap, gfn) != 1)
            break;
        dirty += page[r] != 0;
        page[r] = 1;
    }
    check_eq("rounds", r, ROUNDS);
    ap_stop = true;
    printk("%u rounds beside vCPU 1 (%lu reads of its page), %u new pages not zeroed\n", r,
           ap_loops, dirty);
    check(ap_loops > 0, "vCPU 1 never read its page");
    check(!ap_bad, "vCPU 1 saw its page change");
    if (keel)
        check_eq("new pages not zeroed", dirty, 0);
    check_eq("reservation after the rounds", current_pages(), before);
}
