/* evtchn: event channels within one domain, 2-level ABI (ref §5.18, §6.5,
 * §5.16 block/poll). Loopback (alloc_unbound for ourselves + bind_interdomain
 * to it), the status of each port type, delivery through our own event
 * callback (one upcall per event, per-port counts), masking (an event sent
 * while masked stays pending with no upcall; EVTCHNOP_unmask delivers it
 * once), IPIs between two vCPUs (10,000 round trips, each side sleeping in
 * SCHEDOP_block until the other's event wakes it), SCHEDOP_poll (at once
 * when pending, after the timeout when not, woken by the other vCPU), and
 * hostile arguments with Xen 4.17's errors, including a close in the middle
 * of a send storm from the other vCPU. Every error value was checked on
 * xen-ref.
 * Virtual time (QEMU -icount: one TCG thread for both CPUs), so that host
 * load cannot stretch the IPI round trips past the test's time limit (it
 * did, with other QEMUs on the two cores).
 * guest-run: smp=2 vcpus=2 qemu=-icount+shift=1 */
#include "guest.h"

GUEST_TEST("evtchn");

#define EPERM   1
#define ENOENT  2
#define ESRCH   3
#define EFAULT  14
#define EEXIST  17
#define EINVAL  22
#define ENOSYS  38

#define ROUND_TRIPS 10000

/* ---- our event callback: per-vCPU port sets, per-port counts ---- */

static uint8_t stack1[16384] __attribute__((aligned(16)));
static volatile uint64_t mine[2][EVTCHN_2L_WORDS];     /* ports each vCPU handles */
static volatile unsigned counts[EVTCHN_2L_NR_PORTS];
static volatile unsigned upcalls[2];

static unsigned this_vcpu(void)
{
    uint64_t sp = (uint64_t)__builtin_frame_address(0);
    return sp >= (uint64_t)stack1 && sp < (uint64_t)stack1 + sizeof(stack1);
}

void evt_handler(void);
void evt_handler(void)
{
    unsigned cpu = this_vcpu();
    struct vcpu_info *vi = &shared_info->vcpu_info[cpu];
    upcalls[cpu]++;
    do {
        vi->evtchn_upcall_pending = 0;
        uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzll(sel);
            sel &= sel - 1;
            uint64_t bits = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w] & mine[cpu][w];
            while (bits) {
                unsigned b = (unsigned)__builtin_ctzll(bits);
                bits &= bits - 1;
                uint64_t old = __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1UL << b),
                                                  __ATOMIC_SEQ_CST);
                if (old & (1UL << b))
                    counts[w * 64 + b]++;
            }
        }
    } while (vi->evtchn_upcall_pending);
}

/* Saves the caller-saved registers, runs evt_handler on an aligned stack,
 * returns through HYPERVISOR_iret (RCX/R11 from the bounce frame). */
__asm__(
    "    .text\n"
    "    .balign 16\n"
    "evt_entry:\n"
    "    push %rax; push %rdx; push %rsi; push %rdi\n"
    "    push %r8; push %r9; push %r10; push %rbp\n"
    "    mov %rsp, %rbp\n"
    "    and $-16, %rsp\n"
    "    call evt_handler\n"
    "    mov %rbp, %rsp\n"
    "    pop %rbp; pop %r10; pop %r9; pop %r8\n"
    "    pop %rdi; pop %rsi; pop %rdx; pop %rax\n"
    "    pop %rcx\n"
    "    pop %r11\n"
    "    pushq $0\n"
    "    jmp hypercall_page + 23 * 32\n");
extern char evt_entry[];

static void register_callback(void)
{
    struct callback_register cb = { .type = CALLBACKTYPE_event, .flags = CALLBACKF_mask_events,
                                    .address = (uint64_t)evt_entry };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    if (rc)
        guest_abort("register the event callback on vCPU %u: %ld", this_vcpu(), rc);
}

/* ---- helpers ---- */

static long op(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static long alloc_unbound(uint16_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = op(EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

static long bind_interdomain(uint16_t dom, uint32_t port)
{
    struct evtchn_bind_interdomain b = { .remote_dom = dom, .remote_port = port };
    long rc = op(EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : (long)b.local_port;
}

static long bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    long rc = op(EVTCHNOP_bind_virq, &b);
    return rc ? rc : (long)b.port;
}

static long bind_ipi(uint32_t vcpu)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    long rc = op(EVTCHNOP_bind_ipi, &b);
    return rc ? rc : (long)b.port;
}

static long bind_vcpu(uint32_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };
    return op(EVTCHNOP_bind_vcpu, &b);
}

static long send(uint32_t port)
{
    struct evtchn_send s = { .port = port };
    return op(EVTCHNOP_send, &s);
}

static long close_port(uint32_t port)
{
    struct evtchn_close c = { .port = port };
    return op(EVTCHNOP_close, &c);
}

static long unmask(uint32_t port)
{
    struct evtchn_unmask u = { .port = port };
    return op(EVTCHNOP_unmask, &u);
}

static long status(uint16_t dom, uint32_t port, struct evtchn_status *s)
{
    *s = (struct evtchn_status){ .dom = dom, .port = port };
    return op(EVTCHNOP_status, s);
}

static bool pending(uint32_t p)
{
    return __atomic_load_n(&shared_info->evtchn_pending[p / 64], __ATOMIC_SEQ_CST) & (1UL << (p % 64));
}

static void set_mask(uint32_t p, bool on)
{
    if (on)
        __atomic_fetch_or(&shared_info->evtchn_mask[p / 64], 1UL << (p % 64), __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&shared_info->evtchn_mask[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
}

static void clear_pending(uint32_t p)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
}

static void handle_on(unsigned cpu, uint32_t p)
{
    mine[cpu][p / 64] |= 1UL << (p % 64);
}

/* Any hypercall returns through the upcall check. */
static void kick_self(void)
{
    HYPERVISOR_xen_version(XENVER_version, NULL);
}

static long poll(uint32_t *ports, uint32_t n, uint64_t timeout)
{
    struct sched_poll p = { .ports = (uint64_t)ports, .nr_ports = n, .timeout = timeout };
    return HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

/* Sleeps in SCHEDOP_block until *count moves past `seen` (Linux's idle
 * pattern: mask, check, block, which unmasks atomically). */
static void wait_count(volatile unsigned *count, unsigned seen, unsigned cpu)
{
    struct vcpu_info *vi = &shared_info->vcpu_info[cpu];
    for (;;) {
        vi->evtchn_upcall_mask = 1;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (*count != seen)
            break;
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    }
    vi->evtchn_upcall_mask = 0;
}

/* ---- vCPU 1 ---- */

enum { CMD_NONE, CMD_PONG, CMD_STORM, CMD_SEND_LATER, CMD_PING_ONCE };
static volatile unsigned command, acked;
static volatile uint32_t arg_port, ipi0, ipi1;
static volatile long storm_first_err, storm_bad;
static volatile unsigned storm_ok, storm_after;
static volatile bool storm_stop;

static volatile unsigned pong_base;      /* counts[ipi1] before the first ping */

static void pong(void)
{
    unsigned seen = pong_base;
    for (unsigned i = 0; i < ROUND_TRIPS; i++) {
        wait_count(&counts[ipi1], seen, 1);
        seen = counts[ipi1];
        send(ipi0);
    }
}

/* Sends on arg_port until told to stop; records the first error and
 * anything but 0 then that error afterwards. */
static void storm(void)
{
    storm_first_err = 0;
    storm_bad = 0;
    storm_ok = storm_after = 0;
    while (!storm_stop) {
        long rc = send(arg_port);
        if (!storm_first_err && rc == 0)
            storm_ok++;
        else if (!storm_first_err)
            storm_first_err = rc;
        else if (rc == storm_first_err)
            storm_after++;
        else
            storm_bad = rc;
    }
}

static void secondary_main(void)
{
    register_callback();
    shared_info->vcpu_info[1].evtchn_upcall_mask = 0;
    for (;;) {
        unsigned c = command;
        if (c == CMD_NONE) {
            __asm__ __volatile__("pause");
            continue;
        }
        if (c == CMD_PONG)
            pong();
        else if (c == CMD_STORM)
            storm();
        else if (c == CMD_SEND_LATER) {
            uint64_t until = rdtsc() + 20000000;
            while (rdtsc() < until)
                __asm__ __volatile__("pause");
            send(arg_port);
        } else if (c == CMD_PING_ONCE) {
            send(ipi0);
        }
        command = CMD_NONE;
        acked++;
    }
}

static unsigned expected_ack;

/* Starts a command on vCPU 1 (the previous one must be done). */
static void start_on_1(unsigned c)
{
    expected_ack = acked + 1;
    command = c;
}

static bool wait_on_1(void)
{
    for (unsigned long i = 0; i < 400000000UL; i++) {
        if (acked == expected_ack)
            return true;
        __asm__ __volatile__("pause");
    }
    fail("vCPU 1 did not finish its command");
    return false;
}

static void bring_up_vcpu1(void)
{
    static struct vcpu_guest_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_IN_KERNEL;
    ctx.user_regs.rip = (uint64_t)secondary_main;
    ctx.user_regs.rsp = (uint64_t)(stack1 + sizeof(stack1));
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.user_regs.rflags = 0x200;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    ctx.ctrlreg[3] = l4_mfn() << 12;
    check_eq("initialise vCPU 1", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    check_eq("up vCPU 1", HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), 0);
}

/* ---- the checks ---- */

static void check_status(const char *what, uint32_t port, uint32_t want_status, uint32_t want_vcpu)
{
    struct evtchn_status s;
    long rc = status(DOMID_SELF, port, &s);
    check(rc == 0, "%s: status(%u) %ld", what, port, rc);
    check(s.status == want_status, "%s: status(%u) is %u, want %u", what, port, s.status, want_status);
    check(s.vcpu == want_vcpu, "%s: status(%u) vcpu %u, want %u", what, port, s.vcpu, want_vcpu);
}

static uint32_t lp_a, lp_b;         /* the loopback pair */

static void loopback_and_status(void)
{
    struct evtchn_status s;
    check_status("port 0", 0, EVTCHNSTAT_closed, 0);
    long a = alloc_unbound(DOMID_SELF);
    check(a > 0, "alloc_unbound(self): %ld", a);
    check_status("unbound", (uint32_t)a, EVTCHNSTAT_unbound, 0);
    status(DOMID_SELF, (uint32_t)a, &s);
    check_eq("unbound: offered to us (dom 0)", s.u.unbound.dom, 0);
    long b = bind_interdomain(DOMID_SELF, (uint32_t)a);
    check(b > 0 && b != a, "bind_interdomain(self, %ld): %ld", a, b);
    lp_a = (uint32_t)a;
    lp_b = (uint32_t)b;
    check(pending(lp_b), "the new local port is pending after bind_interdomain");
    check(!pending(lp_a), "the remote end is not");
    clear_pending(lp_b);
    check_status("interdomain b", lp_b, EVTCHNSTAT_interdomain, 0);
    status(DOMID_SELF, lp_b, &s);
    check(s.u.interdomain.dom == 0 && s.u.interdomain.port == lp_a,
          "b's peer: dom %u port %u, want 0 %u", s.u.interdomain.dom, s.u.interdomain.port, lp_a);
    status(DOMID_SELF, lp_a, &s);
    check(s.status == EVTCHNSTAT_interdomain && s.u.interdomain.port == lp_b,
          "a's peer: status %u port %u", s.status, s.u.interdomain.port);
    check_eq("bind_interdomain to a port already bound", bind_interdomain(DOMID_SELF, lp_a), -EINVAL);

    long t0 = bind_virq(VIRQ_TIMER, 0), d1 = bind_virq(VIRQ_DEBUG, 1);
    check(t0 > 0 && d1 > 0, "bind_virq timer/0 %ld, debug/1 %ld", t0, d1);
    check_status("virq timer", (uint32_t)t0, EVTCHNSTAT_virq, 0);
    check_status("virq debug on vCPU 1", (uint32_t)d1, EVTCHNSTAT_virq, 1);
    status(DOMID_SELF, (uint32_t)d1, &s);
    check_eq("status.u.virq", s.u.virq, VIRQ_DEBUG);
    check_eq("bind_virq timer/0 twice", bind_virq(VIRQ_TIMER, 0), -EEXIST);
    check_eq("send on a VIRQ port", send((uint32_t)t0), -EINVAL);
    check_eq("bind_vcpu of a per-vCPU VIRQ", bind_vcpu((uint32_t)t0, 1), -EINVAL);
    long g = bind_virq(VIRQ_DOM_EXC, 0);
    check(g > 0, "bind_virq dom_exc/0 %ld", g);
    check_eq("bind_virq global on vCPU 1", bind_virq(VIRQ_CON_RING, 1), -EINVAL);
    check_eq("bind_vcpu of a global VIRQ", bind_vcpu((uint32_t)g, 1), 0);
    check_status("global virq moved", (uint32_t)g, EVTCHNSTAT_virq, 1);
    check_eq("bind_virq dom_exc again", bind_virq(VIRQ_DOM_EXC, 0), -EEXIST);
    check_eq("close the global virq", close_port((uint32_t)g), 0);
    long g2 = bind_virq(VIRQ_DOM_EXC, 0);
    check(g2 == g, "dom_exc bound again on the lowest free port %ld: %ld", g, g2);
    close_port((uint32_t)g2);
    close_port((uint32_t)t0);
    close_port((uint32_t)d1);

    long i1 = bind_ipi(1);
    check(i1 > 0, "bind_ipi(1) %ld", i1);
    check_status("ipi", (uint32_t)i1, EVTCHNSTAT_ipi, 1);
    check_eq("bind_vcpu of an IPI", bind_vcpu((uint32_t)i1, 0), -EINVAL);
    close_port((uint32_t)i1);
    check_eq("bind_vcpu to no vCPU", bind_vcpu(lp_a, 2), -ENOENT);
    check_eq("bind_vcpu of port 0", bind_vcpu(0, 0), -EINVAL);
    /* Ports exist in buckets of 64: a free one reads as closed, one past
     * the allocated buckets is invalid. */
    check_status("a free port", 60, EVTCHNSTAT_closed, 0);
    check_eq("status of port 64 (no bucket)", status(DOMID_SELF, 64, &s), -EINVAL);
    check_eq("status of port 4096", status(DOMID_SELF, 4096, &s), -EINVAL);
    check_eq("status of a domain that does not exist", status(77, 1, &s), -ESRCH);
}

static void delivery_and_masking(void)
{
    handle_on(0, lp_a);
    handle_on(0, lp_b);
    set_mask(lp_a, false);
    set_mask(lp_b, false);
    VCPU0->evtchn_upcall_mask = 0;

    unsigned u = upcalls[0];
    check_eq("send on a", send(lp_a), 0);
    check_eq("b received once", counts[lp_b], 1);
    check_eq("one upcall", upcalls[0], u + 1);
    check_eq("send on b", send(lp_b), 0);
    check_eq("a received once", counts[lp_a], 1);

    /* Masked: latched in pending, no upcall; unmask delivers it once. */
    set_mask(lp_b, true);
    u = upcalls[0];
    check_eq("send while masked", send(lp_a), 0);
    check_eq("send while masked, twice", send(lp_a), 0);
    kick_self();
    check_eq("no upcall while the port is masked", upcalls[0], u);
    check(pending(lp_b), "pending while masked");
    check_eq("EVTCHNOP_unmask", unmask(lp_b), 0);
    check_eq("unmask delivered it", counts[lp_b], 2);
    check_eq("  in one upcall", upcalls[0], u + 1);
    check_eq("unmask again", unmask(lp_b), 0);
    kick_self();
    check_eq("nothing more", counts[lp_b], 2);

    /* Events masked in vcpu_info: pending, then delivered on unmask. */
    VCPU0->evtchn_upcall_mask = 1;
    check_eq("send with upcalls masked", send(lp_a), 0);
    check_eq("not delivered while masked", counts[lp_b], 2);
    check_eq("upcall pending set", VCPU0->evtchn_upcall_pending, 1);
    VCPU0->evtchn_upcall_mask = 0;
    kick_self();
    check_eq("delivered after unmasking", counts[lp_b], 3);

    /* An IPI to ourselves. */
    long ip = bind_ipi(0);
    handle_on(0, (uint32_t)ip);
    set_mask((uint32_t)ip, false);
    check_eq("send IPI to self", send((uint32_t)ip), 0);
    check_eq("IPI received", counts[ip], 1);
    close_port((uint32_t)ip);
}

static void hostile(void)
{
    struct evtchn_status s;
    check_eq("send on port 0", send(0), -EINVAL);
    check_eq("send on a free port", send(61), -EINVAL);
    check_eq("send on port 4096", send(4096), -EINVAL);
    check_eq("send on port ~0", send(0xffffffffu), -EINVAL);
    check_eq("close port 0", close_port(0), -EINVAL);
    check_eq("close a free port", close_port(61), -EINVAL);
    check_eq("close port 1000000", close_port(1000000), -EINVAL);
    check_eq("unmask port 4096", unmask(4096), -EINVAL);
    check_eq("unmask a free port", unmask(61), 0);
    long u5 = alloc_unbound(5);
    check(u5 > 0, "alloc_unbound for dom 5: %ld", u5);
    check_eq("send on an unbound port (dropped)", send((uint32_t)u5), 0);
    check_eq("bind to a port offered to another domain", bind_interdomain(DOMID_SELF, (uint32_t)u5), -EINVAL);
    check_eq("bind to port 0", bind_interdomain(DOMID_SELF, 0), -EINVAL);
    check_eq("bind to a free port", bind_interdomain(DOMID_SELF, 62), -EINVAL);
    check_eq("bind to port 5000", bind_interdomain(DOMID_SELF, 5000), -EINVAL);
    check_eq("bind to a domain that does not exist", bind_interdomain(77, 1), -ESRCH);
    check_eq("close", close_port((uint32_t)u5), 0);
    check_eq("close twice", close_port((uint32_t)u5), -EINVAL);
    check_eq("send on the closed port", send((uint32_t)u5), -EINVAL);
    check_eq("bind_virq 24", bind_virq(NR_VIRQS, 0), -EINVAL);
    check_eq("bind_virq ~0", bind_virq(0xffffffffu, 0), -EINVAL);
    check_eq("bind_virq timer on vCPU 2", bind_virq(VIRQ_TIMER, 2), -ENOENT);
    check_eq("bind_virq timer on vCPU 2^31-1", bind_virq(VIRQ_TIMER, 0x7fffffff), -ENOENT);
    check_eq("bind_ipi on vCPU 2", bind_ipi(2), -ENOENT);
    check_eq("send from a NULL argument", op(EVTCHNOP_send, NULL), -EFAULT);
    check_eq("status into hypervisor memory", op(EVTCHNOP_status, (void *)0xffff800000001000UL), -EFAULT);
    check_eq("unknown sub-op", op(99, &s), -ENOSYS);
    struct evtchn_reset r = { .dom = 77 };
    check_eq("reset a domain that does not exist", op(EVTCHNOP_reset, &r), -ESRCH);
    /* FIFO: Keel has none (-ENOSYS), Xen refuses this bad control block. */
    struct evtchn_init_control ic = { .control_gfn = ~0UL, .offset = 4095, .vcpu = 0 };
    check(op(EVTCHNOP_init_control, &ic) < 0, "init_control with a bad control block");

    /* Closing one loopback end: the other becomes unbound, offered to us. */
    long a = alloc_unbound(DOMID_SELF), b = bind_interdomain(DOMID_SELF, (uint32_t)a);
    clear_pending((uint32_t)b);
    check_eq("close one end", close_port((uint32_t)b), 0);
    check_status("the other end", (uint32_t)a, EVTCHNSTAT_unbound, 0);
    status(DOMID_SELF, (uint32_t)a, &s);
    check_eq("  offered to us again", s.u.unbound.dom, 0);
    check_eq("send on it: dropped", send((uint32_t)a), 0);
    long b2 = bind_interdomain(DOMID_SELF, (uint32_t)a);
    check(b2 > 0, "bound again: %ld", b2);
    clear_pending((uint32_t)b2);
    close_port((uint32_t)a);
    check_status("closing the remote end", (uint32_t)b2, EVTCHNSTAT_unbound, 0);
    close_port((uint32_t)b2);
    check_eq("the loopback pair survived", send(lp_a), 0);
    check(counts[lp_b] == 4, "b counted %u", counts[lp_b]);
}

static void polling(void)
{
    VCPU0->evtchn_upcall_mask = 1;      /* poll does not need upcalls */
    set_mask(lp_b, true);
    uint32_t ports[2] = { lp_b, lp_a };
    clear_pending(lp_a);
    clear_pending(lp_b);

    uint64_t t = pvclock_ns();
    check_eq("poll with a 20 ms timeout", poll(ports, 1, t + 20000000), 0);
    uint64_t took = pvclock_ns() - t;
    check(took >= 20000000 && took < 2000000000UL, "poll returned after %lu ns, want >= 20 ms", took);

    send(lp_a);                         /* b pending (masked) */
    t = pvclock_ns();
    check_eq("poll with b pending", poll(ports, 2, t + 2000000000UL), 0);
    check(pvclock_ns() - t < 1000000000UL, "poll of a pending port waited");
    clear_pending(lp_b);
    check_eq("poll with a timeout in the past", poll(ports, 1, 1), 0);

    uint32_t bad[129] = { 0 };
    for (int i = 0; i < 129; i++)
        bad[i] = lp_b;
    check_eq("poll 129 ports", poll(bad, 129, 1), -EINVAL);
    bad[1] = 4096;
    check_eq("poll port 4096", poll(bad, 2, 1), -EINVAL);
    bad[1] = 61;
    check_eq("poll a free port", poll(bad, 2, 1), -EINVAL);
    bad[0] = 0;
    check_eq("poll port 0", poll(bad, 1, 1), -EINVAL);
    check_eq("poll from a bad list", poll((uint32_t *)0x10, 1, 1), -EFAULT);
    check_eq("poll from a NULL argument", HYPERVISOR_sched_op(SCHEDOP_poll, NULL), -EFAULT);

    /* Woken by vCPU 1 sending on a (b goes pending) 20M TSC ticks later. */
    arg_port = lp_a;
    start_on_1(CMD_SEND_LATER);
    t = pvclock_ns();
    check_eq("poll woken by vCPU 1", poll(ports, 1, t + 5000000000UL), 0);
    took = pvclock_ns() - t;
    check(pending(lp_b), "b pending after the wake-up (waited %lu ns)", took);
    check(took < 4000000000UL, "the poll ran to its timeout (%lu ns)", took);
    wait_on_1();
    clear_pending(lp_b);
    set_mask(lp_b, false);
    VCPU0->evtchn_upcall_mask = 0;
}

static void ipi_round_trips(void)
{
    long p0 = bind_ipi(0), p1 = bind_ipi(1);
    check(p0 > 0 && p1 > 0, "bind_ipi %ld %ld", p0, p1);
    ipi0 = (uint32_t)p0;
    ipi1 = (uint32_t)p1;
    counts[ipi0] = counts[ipi1] = 0;    /* the numbers may have been used before */
    handle_on(0, ipi0);
    handle_on(1, ipi1);
    set_mask(ipi0, false);
    set_mask(ipi1, false);

    /* One ping first: vCPU 1 must be running its loop. */
    start_on_1(CMD_PING_ONCE);
    wait_on_1();
    wait_count(&counts[ipi0], 0, 0);
    check_eq("the first IPI from vCPU 1", counts[ipi0], 1);

    unsigned base0 = counts[ipi0];
    pong_base = counts[ipi1];           /* the first ping may beat vCPU 1 into pong() */
    start_on_1(CMD_PONG);
    unsigned seen = counts[ipi0];
    for (unsigned i = 0; i < ROUND_TRIPS; i++) {
        send(ipi1);
        wait_count(&counts[ipi0], seen, 0);
        seen = counts[ipi0];
    }
    wait_on_1();
    check_eq("IPIs received by vCPU 1", counts[ipi1], ROUND_TRIPS);
    check_eq("IPIs received by vCPU 0", counts[ipi0] - base0, ROUND_TRIPS);
}

static void close_during_storm(void)
{
    long a = alloc_unbound(DOMID_SELF), b = bind_interdomain(DOMID_SELF, (uint32_t)a);
    set_mask((uint32_t)b, true);        /* the storm stays in pending */
    arg_port = (uint32_t)a;
    storm_stop = false;
    start_on_1(CMD_STORM);
    while (storm_ok < 1000)
        __asm__ __volatile__("pause");
    check_eq("close the sending port mid-storm", close_port((uint32_t)a), 0);
    while (storm_after < 1000)
        __asm__ __volatile__("pause");
    storm_stop = true;
    wait_on_1();
    check_eq("sends after the close", storm_first_err, -EINVAL);
    check_eq("no other result", storm_bad, 0);
    check_status("the receiving end", (uint32_t)b, EVTCHNSTAT_unbound, 0);
    close_port((uint32_t)b);
    set_mask((uint32_t)b, false);
    /* Nothing else affected: one more round trip over the IPIs. */
    unsigned c0 = counts[ipi0];
    start_on_1(CMD_PING_ONCE);
    wait_on_1();
    wait_count(&counts[ipi0], c0, 0);
    check_eq("IPI after the storm", counts[ipi0], c0 + 1);
    check_eq("the loopback pair survived", send(lp_b), 0);
}

void test_main(void)
{
    register_callback();
    for (int w = 0; w < EVTCHN_2L_WORDS; w++)
        shared_info->evtchn_mask[w] = ~0UL;     /* as Linux: all masked first */
    printk("evtchn: %s\n", "loopback_and_status();");
    loopback_and_status();
    printk("evtchn: %s\n", "delivery_and_masking();");
    delivery_and_masking();
    printk("evtchn: %s\n", "hostile();");
    hostile();
    printk("evtchn: %s\n", "bring_up_vcpu1();");
    bring_up_vcpu1();
    printk("evtchn: %s\n", "polling();");
    polling();
    printk("evtchn: %s\n", "ipi_round_trips();");
    ipi_round_trips();
    printk("evtchn: %s\n", "close_during_storm();");
    close_during_storm();
    VCPU0->evtchn_upcall_mask = 1;
}
