/* Hostile: a PVH guest registers vCPU 1's vcpu_info in a page of its RAM
 * (VCPUOP_register_vcpu_info, the gfn in .mfn: public/vcpu.h) and then
 * gives that page back (decrease_reservation). The hypervisor writes the
 * area for as long as the vCPU lives (time info, the upcall flags of each
 * event), so it must keep the frame: given back, it only leaves the
 * guest's physmap and still counts (current_reservation unchanged, as Xen
 * 4.17, which maps it with a page reference: common/domain.c
 * map_vcpu_info); it must never be freed and handed out again while the
 * hypervisor still writes it. Populated again, the gfn gets a new page
 * that an event for vCPU 1 does not touch (checked on Keel; Xen may hand a
 * page back unscrubbed, so there it is printed). All memory comes back
 * when the domain goes (the runner checks).
 * guest-run: vcpus=2 */
#include "pvh.h"

GUEST_TEST("pvh_vcpu_info_hold");

static uint8_t page[4096] __attribute__((aligned(4096)));

static long reservation(unsigned cmd, uint64_t gfn)
{
    uint64_t list[1] = { gfn };
    struct xen_memory_reservation r = { .extent_start = (uint64_t)list, .nr_extents = 1,
                                        .domid = DOMID_SELF };
    return HYPERVISOR_memory_op(cmd, &r);
}

static long current_pages(void)
{
    return HYPERVISOR_memory_op(XENMEM_current_reservation, &(uint16_t){ DOMID_SELF });
}

void test_main(void)
{
    uint64_t gfn = (uint64_t)page >> 12;
    struct vcpu_register_vcpu_info ri = { .mfn = gfn, .offset = 0 };
    check_eq("register_vcpu_info(1)", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &ri), 0);
    long before = current_pages();
    check_eq("give back the vcpu_info page", reservation(XENMEM_decrease_reservation, gfn), 1);
    check_eq("current while the hypervisor writes it", current_pages(), before);
    check_eq("populate the gfn again", reservation(XENMEM_populate_physmap, gfn), 1);
    check_eq("current after", current_pages(), before + 1);

    /* An event for vCPU 1 (down): its vcpu_info gets the pending flags. */
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    check_eq("alloc_unbound", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0);
    struct evtchn_bind_vcpu bv = { .port = au.port, .vcpu = 1 };
    check_eq("bind to vCPU 1", HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv), 0);
    struct evtchn_send s = { .port = au.port };
    check_eq("send", HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);

    unsigned nonzero = 0;
    for (unsigned i = 0; i < sizeof(page); i++)
        nonzero += ((volatile uint8_t *)page)[i] != 0;
    printk("the new page at the gfn: %u non-zero bytes after an event for vCPU 1\n", nonzero);
    if (on_keel())
        check_eq("non-zero bytes in the new page", nonzero, 0);
}
