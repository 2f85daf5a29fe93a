/* pvbench: costs of the PV paths a guest kernel uses most, in TSC cycles
 * per operation (median of 7 rounds), printed as "keel-bench: NAME: N"
 * lines for tools/pvbench.sh, which runs the same kernel on Keel and on
 * Xen. Needs 2 vCPUs on one CPU (the yield round trip switches between
 * them). Not a test: it checks only that each operation succeeds. */
#include "guest.h"

GUEST_TEST("pvbench");

#define ROUNDS  7
#define ITERS   2000

static uint8_t page[4096] __attribute__((aligned(4096)));
static uint8_t stack1[16384] __attribute__((aligned(16)));
static struct vcpu_guest_context ctx;
static volatile uint64_t spins1;

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* IPI ports: to_vcpu1 is bound to vCPU 1, to_vcpu0 to vCPU 0. Events stay
 * masked: each side waits with SCHEDOP_poll and clears the bit itself. */
static volatile uint32_t to_vcpu1, to_vcpu0;
static volatile bool evtchn_mode;

static void clear_pending(uint32_t port)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
}

static long poll_port(uint32_t port)
{
    uint32_t p = port;
    struct sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1, .timeout = 0 };
    return HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

static long send_port(uint32_t port)
{
    struct evtchn_send s = { .port = port };
    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static void secondary_main(void)
{
    for (;;) {
        if (evtchn_mode) {
            poll_port(to_vcpu1);
            clear_pending(to_vcpu1);
            send_port(to_vcpu0);
            continue;
        }
        spins1++;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

/* vCPU 0 -> vCPU 1 -> vCPU 0 through two IPI event channels. */
static long op_evtchn_round_trip(unsigned i)
{
    (void)i;
    if (send_port(to_vcpu1) || poll_port(to_vcpu0))
        return -1;
    clear_pending(to_vcpu0);
    return 0;
}

static long op_null_hypercall(unsigned i)
{
    (void)i;
    return HYPERVISOR_xen_version(XENVER_version, NULL) > 0 ? 0 : -1;
}

static long op_update_va_mapping(unsigned i)
{
    volatile uint64_t *e = pt_entry((uint64_t)page, 1);
    uint64_t v = (i & 1) ? (*e | PTE_RW) : (*e & ~PTE_RW);
    return HYPERVISOR_update_va_mapping((uint64_t)page, v, UVMF_INVLPG);
}

static long op_mmu_update(unsigned i)
{
    volatile uint64_t *e = pt_entry((uint64_t)page, 1);
    uint64_t v = (i & 1) ? (*e | PTE_RW) : (*e & ~PTE_RW);
    return mmu_update_one(pt_entry_maddr((uint64_t)page, 1), v);
}

/* 512 PTE updates in one mmu_update (the same entry, RW and RO in turn:
 * each one is validated like any other). */
static long op_mmu_update_batch512(unsigned i)
{
    static struct mmu_update req[512];
    volatile uint64_t *e = pt_entry((uint64_t)page, 1);
    uint64_t ptr = pt_entry_maddr((uint64_t)page, 1);
    for (unsigned k = 0; k < 512; k++)
        req[k] = (struct mmu_update){ ptr, ((i + k) & 1) ? (*e | PTE_RW) : (*e & ~PTE_RW) };
    unsigned done = 0;
    long rc = HYPERVISOR_mmu_update(req, 512, &done, DOMID_SELF);
    return rc || done != 512 ? -1 : 0;
}

static long op_tlb_flush(unsigned i)
{
    (void)i;
    return mmuext_simple(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

/* int3 → the trap table's handler → iret hypercall back. */
static long op_trap_bounce(unsigned i)
{
    (void)i;
    unsigned before = last_trap.count;
    __asm__ __volatile__("lea 1f(%%rip), %%rax; mov %%rax, trap_resume_rip(%%rip); int3; 1:"
                         ::: "rax", "memory");
    return last_trap.count == before + 1 ? 0 : -1;
}

/* A read of an unmapped address: #PF → the trap table's handler → iret. */
static long op_pf_round_trip(unsigned i)
{
    (void)i;
    unsigned before = last_trap.count;
    __asm__ __volatile__("lea 1f(%%rip), %%rax; mov %%rax, trap_resume_rip(%%rip);"
                         "mov (0x10), %%rax; 1:" ::: "rax", "memory");
    return last_trap.count == before + 1 && last_trap.vector == 14 ? 0 : -1;
}

/* A yield that runs vCPU 1 and comes back: two vCPU switches (vCPU 1 may
 * have been preempted just before its own yield, so it does not count
 * every time; that it runs at all is checked in test_main). */
static long op_yield_round_trip(unsigned i)
{
    (void)i;
    return HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static void bench_n(const char *name, long (*op)(unsigned), unsigned iters)
{
    uint64_t r[ROUNDS];
    for (unsigned k = 0; k < ROUNDS; k++) {
        uint64_t t0 = tsc();
        for (unsigned i = 0; i < iters; i++)
            if (op(i)) {
                fail("%s: operation %u failed", name, i);
                return;
            }
        r[k] = (tsc() - t0) / iters;
    }
    sort(r, ROUNDS);
    printk("keel-bench: %s: %lu\n", name, r[ROUNDS / 2]);
}

static void bench(const char *name, long (*op)(unsigned))
{
    bench_n(name, op, ITERS);
}

void test_main(void)
{
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_IN_KERNEL;
    ctx.user_regs.rip = (uint64_t)secondary_main;
    ctx.user_regs.rsp = (uint64_t)(stack1 + sizeof(stack1));
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    ctx.ctrlreg[3] = l4_mfn() << 12;

    bench("null_hypercall", op_null_hypercall);
    bench("update_va_mapping", op_update_va_mapping);
    bench("mmu_update", op_mmu_update);
    bench_n("mmu_update_batch512", op_mmu_update_batch512, 50);
    bench("tlb_flush_local", op_tlb_flush);
    bench("trap_bounce_iret", op_trap_bounce);
    bench("pf_round_trip", op_pf_round_trip);
    if (HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx) || HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL)) {
        fail("cannot start vCPU 1");
        return;
    }
    uint64_t before = spins1;
    bench("yield_round_trip", op_yield_round_trip);
    check(spins1 - before > ROUNDS * ITERS / 2, "vCPU 1 ran only %lu times", spins1 - before);

    struct evtchn_bind_ipi b1 = { .vcpu = 1 }, b0 = { .vcpu = 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b1) ||
        HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b0)) {
        fail("bind_ipi failed");
        return;
    }
    to_vcpu1 = b1.port;
    to_vcpu0 = b0.port;
    evtchn_mode = true;
    bench("evtchn_round_trip", op_evtchn_round_trip);
    set_page_rw(page, true);
}
