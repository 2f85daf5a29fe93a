/* Two vCPUs in a PVH domain: vCPU 1 started with VCPUOP_initialise (a
 * vcpu_hvm_context in 64-bit mode, public/hvm/hvm_vcpu.h) and VCPUOP_up
 * (docs/misc/pvh.pandoc "AP startup"); it runs on our page tables and its
 * own stack, and the two exchange IPI-like events over bind_ipi channels,
 * each delivered through the callback vector to the vCPU it is bound to
 * (its own vcpu_info in shared_info). Also VCPUOP_is_up, and errors:
 * initialise of a vCPU that is up (-EEXIST), of vCPU 2 that does not exist
 * (-ENOENT), a bad mode (-EINVAL).
 * guest-run: smp=2 vcpus=2 */
#include "pvh.h"

GUEST_TEST("pvh_smp");

#define EEXIST 17
#define ROUNDS 1000

static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static volatile unsigned ap_alive, ap_port, bsp_port, ap_rounds;
static volatile bool ap_ready;

static bool seen(unsigned p)
{
    return events_ports[p / 64] & (1UL << (p % 64));
}
static void forget(unsigned p)
{
    __atomic_fetch_and(&events_ports[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
}
static void send(unsigned p)
{
    struct evtchn_send s = { .port = p };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static void ap_main(unsigned id)
{
    ap_alive = id;
    struct evtchn_bind_ipi ipi = { .vcpu = 1 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi))
        return;
    ap_port = ipi.port;
    ap_ready = true;
    /* Echo every event from vCPU 0 back to it; sleep in hlt between. */
    for (;;) {
        __asm__ __volatile__("sti; hlt; cli" ::: "memory");
        if (seen(ap_port)) {
            forget(ap_port);
            ap_rounds++;
            send(bsp_port);
        }
    }
}

void test_main(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    check_eq("bind_ipi vCPU 0", HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    bsp_port = ipi.port;
    check_eq("is_up vCPU 1 before", HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 0);

    struct vcpu_hvm_context bad;
    memset(&bad, 0, sizeof(bad));
    bad.mode = 7;
    check_eq("initialise with mode 7", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &bad), -EINVAL);
    check_eq("initialise vCPU 2 (absent)", HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &bad), -ENOENT);

    long rc = start_ap(1, ap_main, ap_stack + sizeof(ap_stack));
    check_eq("initialise + up vCPU 1", rc, 0);
    if (rc)
        return;
    uint64_t end = pvclock_ns() + 2000000000UL;
    while (!ap_ready && pvclock_ns() < end)
        cpu_relax();
    if (!ap_ready)
        guest_abort("vCPU 1 did not run (alive %u)", ap_alive);
    check_eq("vCPU 1 got its id", ap_alive, 1);
    check_eq("is_up vCPU 1", HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    check_eq("initialise vCPU 1 while up", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &bad), -EEXIST);

    /* Round trips: vCPU 0 sends, vCPU 1's vector fires, it sends back. */
    unsigned events0 = events_seen;
    for (unsigned i = 0; i < ROUNDS; i++) {
        forget(bsp_port);
        send(ap_port);
        end = pvclock_ns() + 1000000000UL;
        irq_enable();
        while (!seen(bsp_port) && pvclock_ns() < end)
            cpu_relax();
        irq_disable();
        if (!seen(bsp_port)) {
            fail("round trip %u: no answer from vCPU 1 (it counted %u)", i, ap_rounds);
            break;
        }
    }
    printk("%u round trips, vCPU 1 counted %u, %u vector entries in all\n", ROUNDS, ap_rounds,
           events_seen - events0);
    check_eq("vCPU 1's events", ap_rounds, ROUNDS);
    check(shared_info->vcpu_info[1].time.version != 0, "vCPU 1 has no time info");
}
