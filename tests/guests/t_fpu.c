/* fpu: the guest's FPU/SSE/AVX state and its XSAVE view.
 * - Emulated CPUID (ud2 "xen" cpuid) against the native one: XSAVE and AVX
 *   offered where the CPU has them, OSXSAVE always shown to the guest
 *   kernel (Xen 4.17 cpuid.c), leaf 0xD sizes following the guest's XCR0.
 * - XCR0 starts as x87|SSE; XSETBV is #UD until the guest sets its virtual
 *   CR4.OSXSAVE, then accepts valid values within leaf 0xD and gives #GP(0)
 *   for the rest (no x87, AVX without SSE, unknown bits, XCR other than 0).
 * - x87 stack, FCW, XMM0-15, MXCSR and (with AVX) the upper halves of
 *   YMM0-15 survive yields, blocks and time slices; the run-keel.sh "fpu
 *   pair" runs this as dom0 and as a domU on one CPU, each with its own
 *   values, so each switch is between two domains that use the FPU.
 * - fpu_taskswitch(1): SSE (and AVX) instructions raise #NM, also after
 *   switches; fpu_taskswitch(0) brings the registers back untouched.
 * The kernel is built -mgeneral-regs-only: the FPU is used only here, in
 * asm with memory operands. */
#include "guest.h"

GUEST_TEST("fpu");

#define X86_CR4_OSXSAVE (1UL << 18)
#define XCR0_X87  1UL
#define XCR0_SSE  2UL
#define XCR0_YMM  4UL

static bool has_xsave, has_avx;
static uint64_t seed;

/* ---- instructions ---- */

static void cpuid_native(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
}

/* The hypervisor's CPUID (the forced-emulation prefix, ref 8.1). */
static void cpuid_pv(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("ud2; .ascii \"xen\"; cpuid"
                         : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr4(uint64_t v)
{
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* XSETBV; returns the vector it raised, or -1 if it completed. */
static long try_xsetbv(uint32_t xcr, uint64_t val)
{
    unsigned before = last_trap.count;
    __asm__ __volatile__("lea 1f(%%rip), %%rax\n\t"
                         "mov %%rax, trap_resume_rip(%%rip)\n\t"
                         "mov %k[lo], %%eax\n\t"
                         "xsetbv\n\t"
                         "movq $0, trap_resume_rip(%%rip)\n"
                         "1:\n\t"
                         : : "c"(xcr), [lo] "r"((uint32_t)val), "d"((uint32_t)(val >> 32))
                         : "rax", "memory");
    trap_resume_rip = 0;
    if (last_trap.count == before)
        return -1;
    if (last_trap.vector == 13 && last_trap.error_code != 0)
        fail("xsetbv(%u, %#lx): #GP error code %#lx", xcr, val, last_trap.error_code);
    return (long)last_trap.vector;
}

/* ---- register images ---- */

struct fpu_image {
    uint16_t fcw;
    uint32_t mxcsr;
    int64_t st[8];                          /* x87 stack, ST0 first */
    uint8_t ymm[16][32] __attribute__((aligned(32)));  /* low 16 bytes = XMM */
};

static struct fpu_image want, got;

static uint64_t next_rand(void)
{
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
}

static void make_image(struct fpu_image *im)
{
    im->fcw = 0x0f7f;                       /* round toward zero, all masked */
    im->mxcsr = 0x7f80;                     /* round toward zero, all masked */
    for (int i = 0; i < 8; i++)
        im->st[i] = (int64_t)(next_rand() >> 2);
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 32; b += 8) {
            uint64_t x = next_rand();
            memcpy(&im->ymm[r][b], &x, 8);
        }
}

#define XMM_LOAD(n)  "movdqu " #n "*32(%0), %%xmm" #n "\n\t"
#define XMM_STORE(n) "movdqu %%xmm" #n ", " #n "*32(%0)\n\t"
#define YMM_LOAD(n)  "vmovdqu " #n "*32(%0), %%ymm" #n "\n\t"
#define YMM_STORE(n) "vmovdqu %%ymm" #n ", " #n "*32(%0)\n\t"
#define ALL16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)

static void load_regs(const struct fpu_image *im)
{
    __asm__ __volatile__("fninit\n\tfldcw %0" : : "m"(im->fcw));
    for (int i = 7; i >= 0; i--)            /* ST0 = st[0] after the last push */
        __asm__ __volatile__("fildq %0" : : "m"(im->st[i]));
    __asm__ __volatile__("ldmxcsr %0" : : "m"(im->mxcsr));
    if (has_avx)
        __asm__ __volatile__(ALL16(YMM_LOAD) : : "r"(im->ymm) : "memory");
    else
        __asm__ __volatile__(ALL16(XMM_LOAD) : : "r"(im->ymm) : "memory");
}

/* Reads the registers without changing them (the x87 stack is popped into
 * `im` and pushed back). */
static void store_regs(struct fpu_image *im)
{
    memset(im, 0, sizeof(*im));
    __asm__ __volatile__("fnstcw %0" : "=m"(im->fcw));
    __asm__ __volatile__("stmxcsr %0" : "=m"(im->mxcsr));
    for (int i = 0; i < 8; i++)
        __asm__ __volatile__("fistpq %0" : "=m"(im->st[i]));
    for (int i = 7; i >= 0; i--)
        __asm__ __volatile__("fildq %0" : : "m"(im->st[i]));
    if (has_avx)
        __asm__ __volatile__(ALL16(YMM_STORE) : : "r"(im->ymm) : "memory");
    else
        __asm__ __volatile__(ALL16(XMM_STORE) : : "r"(im->ymm) : "memory");
}

/* True if the registers still hold `want`; the first difference is a
 * failure named after `when`. */
static bool regs_intact(const char *when)
{
    store_regs(&got);
    if (got.fcw != want.fcw || got.mxcsr != want.mxcsr) {
        fail("%s: fcw %#x mxcsr %#x, want %#x %#x", when, got.fcw, got.mxcsr, want.fcw, want.mxcsr);
        return false;
    }
    for (int i = 0; i < 8; i++)
        if (got.st[i] != want.st[i]) {
            fail("%s: st(%d) %ld, want %ld", when, i, got.st[i], want.st[i]);
            return false;
        }
    unsigned width = has_avx ? 32 : 16;
    for (int r = 0; r < 16; r++)
        for (unsigned b = 0; b < width; b++)
            if (got.ymm[r][b] != want.ymm[r][b]) {
                fail("%s: %cmm%d byte %u is %#x, want %#x", when, has_avx ? 'y' : 'x', r, b,
                     got.ymm[r][b], want.ymm[r][b]);
                return false;
            }
    return true;
}

/* ---- the CPUID / XCR0 view ---- */

static void check_view(void)
{
    uint32_t n[4], p[4];
    cpuid_native(1, 0, n);
    cpuid_pv(1, 0, p);
    has_xsave = n[2] & (1U << 26);
    printk("cpuid 1 ecx: native %#x, emulated %#x\n", n[2], p[2]);
    check_eq("emulated XSAVE = native XSAVE", !!(p[2] & (1U << 26)), has_xsave);
    if (!has_xsave) {
        check_eq("no XSAVE: emulated AVX", !!(p[2] & (1U << 28)), 0);
        check_eq("no XSAVE: emulated OSXSAVE", !!(p[2] & (1U << 27)), 0);
        printk("no XSAVE on this CPU: FXSAVE state only (x87, XMM)\n");
        return;
    }
    has_avx = (p[2] & (1U << 28)) != 0;
    check_eq("emulated AVX = native AVX", has_avx, !!(n[2] & (1U << 28)));
    /* Xen: OSXSAVE is shown to the guest kernel before it sets CR4.OSXSAVE. */
    check(p[2] & (1U << 27), "emulated OSXSAVE clear in kernel mode (ecx %#x)", p[2]);

    uint32_t d0[4], d1[4];
    cpuid_pv(0xd, 0, d0);
    cpuid_pv(0xd, 1, d1);
    printk("leaf 0xd.0 %#x %#x %#x %#x, 0xd.1 %#x %#x %#x %#x\n", d0[0], d0[1], d0[2], d0[3],
           d1[0], d1[1], d1[2], d1[3]);
    uint64_t max = ((uint64_t)d0[3] << 32) | d0[0];
    check_eq("leaf 0xd.0 x87|SSE", max & 3, 3);
    check_eq("leaf 0xd.0 YMM = AVX", !!(max & XCR0_YMM), has_avx);
    check_eq("leaf 0xd.0 ebx (XCR0 x87|SSE)", d0[1], 576);
    check(d1[0] & (1U << 3) ? false : true, "leaf 0xd.1 offers XSAVES (%#x)", d1[0]);
    if (has_avx) {
        uint32_t d2[4];
        cpuid_pv(0xd, 2, d2);
        check(d2[0] == 256 && d2[1] == 576, "leaf 0xd.2 (AVX): size %u offset %u", d2[0], d2[1]);
        check(d0[2] >= 832, "leaf 0xd.0 ecx %u < 832 with AVX", d0[2]);
    }

    uint64_t xcr0 = xgetbv0();
    uint64_t cr4 = read_cr4();
    printk("xgetbv(0) %#lx, cr4 %#lx\n", xcr0, cr4);
    check_eq("initial XCR0", xcr0, XCR0_X87 | XCR0_SSE);
    check_eq("initial virtual CR4.OSXSAVE", cr4 & X86_CR4_OSXSAVE, 0);

    /* Before CR4.OSXSAVE: #UD (Xen's emulator checks the virtual CR4). */
    check_eq("xsetbv before CR4.OSXSAVE", try_xsetbv(0, 3), 6);
    write_cr4(cr4 | X86_CR4_OSXSAVE);
    check(read_cr4() & X86_CR4_OSXSAVE, "CR4.OSXSAVE did not stick (%#lx)", read_cr4());
    cpuid_pv(1, 0, p);
    check(p[2] & (1U << 27), "emulated OSXSAVE clear after CR4.OSXSAVE");

    check_eq("xsetbv(0, 0)", try_xsetbv(0, 0), 13);
    check_eq("xsetbv(0, SSE only)", try_xsetbv(0, XCR0_SSE), 13);
    check_eq("xsetbv(0, x87|YMM)", try_xsetbv(0, XCR0_X87 | XCR0_YMM), 13);
    check_eq("xsetbv(0, bit 63)", try_xsetbv(0, 3UL | (1UL << 63)), 13);
    check_eq("xsetbv(0, past leaf 0xd)", try_xsetbv(0, 3UL | (~max & 0x3ffUL)), 13);
    check_eq("xsetbv(1, 3)", try_xsetbv(1, 3), 13);
    check_eq("xsetbv(0, x87)", try_xsetbv(0, XCR0_X87), -1);
    check_eq("XCR0 after xsetbv(0, x87)", xgetbv0(), XCR0_X87);
    check_eq("xsetbv(0, x87|SSE)", try_xsetbv(0, XCR0_X87 | XCR0_SSE), -1);
    if (has_avx) {
        check_eq("xsetbv(0, x87|SSE|YMM)", try_xsetbv(0, 7), -1);
        check_eq("XCR0 after xsetbv(0, 7)", xgetbv0(), 7);
        cpuid_pv(0xd, 0, d0);
        check_eq("leaf 0xd.0 ebx (XCR0 x87|SSE|YMM)", d0[1], 832);
        uint32_t l7[4];
        cpuid_pv(7, 0, l7);
        cpuid_native(7, 0, n);
        check_eq("emulated AVX2 = native AVX2", !!(l7[1] & (1U << 5)), !!(n[1] & (1U << 5)));
    }
    printk("checked: XSAVE view, XCR0 %#lx, xsetbv #UD/#GP rules%s\n", xgetbv0(),
           has_avx ? ", AVX" : " (no AVX: XMM only)");
}

/* ---- survival across switches ---- */

static void yields(void)
{
    for (int i = 0; i < 200; i++) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        if (i % 20 == 0 && !regs_intact("after yield"))
            return;
    }
    regs_intact("after 200 yields");
}

/* Blocks on a one-shot timer (VIRQ_TIMER); where the hypervisor has no
 * timer or VIRQ binding, block may return at once (a spurious wake-up). */
static void blocks(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    long rb = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    unsigned woken = 0;
    for (int i = 0; i < 10; i++) {
        long rt = HYPERVISOR_set_timer_op(pvclock_ns() + 2000000);
        unsigned ev = events_seen;
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);   /* unmasks events */
        VCPU0->evtchn_upcall_mask = 1;
        woken += events_seen != ev;
        if (i == 0)
            printk("block: bind_virq %ld (port %u), set_timer_op %ld\n", rb, bv.port, rt);
        if (!regs_intact("after block"))
            return;
    }
    printk("checked: 10 blocks, %u woken by an event\n", woken);
}

/* Busy for ~ms milliseconds of system time (at most 4000 rounds, in case
 * the time info does not advance): the time slice ends meanwhile. */
static void spin(unsigned ms)
{
    uint64_t end = pvclock_ns() + (uint64_t)ms * 1000000;
    unsigned rounds = 0;
    while (pvclock_ns() < end && rounds < 4000) {
        for (volatile int i = 0; i < 10000; i++)
            ;
        if (++rounds % 16 == 0 && !regs_intact("while spinning"))
            return;
    }
    regs_intact("after spinning");
    printk("checked: %u rounds of spinning\n", rounds);
}

static void check_switches(void)
{
    make_image(&want);
    load_regs(&want);
    if (!regs_intact("at once"))
        return;
    yields();
    blocks();
    spin(100);
    printk("checked: x87 stack, FCW, MXCSR, %s survive yields, blocks and preemption\n",
           has_avx ? "YMM0-15" : "XMM0-15");
}

/* ---- virtual CR0.TS ---- */

static long probe_nm(bool vex)
{
    unsigned before = last_trap.count;
    if (vex)
        __asm__ __volatile__("lea 1f(%%rip), %%rax\n\tmov %%rax, trap_resume_rip(%%rip)\n\t"
                             "vmovdqa %%ymm3, %%ymm3\n\tmovq $0, trap_resume_rip(%%rip)\n1:\n\t"
                             : : : "rax", "memory");
    else
        __asm__ __volatile__("lea 1f(%%rip), %%rax\n\tmov %%rax, trap_resume_rip(%%rip)\n\t"
                             "movdqa %%xmm3, %%xmm3\n\tmovq $0, trap_resume_rip(%%rip)\n1:\n\t"
                             : : : "rax", "memory");
    trap_resume_rip = 0;
    return last_trap.count == before ? -1 : (long)last_trap.vector;
}

/* Xen 4.17 clears the virtual TS when it delivers #NM (pv traps.c), so
 * each probe sets it again; what happens to TS after delivery is printed. */
static void check_taskswitch(void)
{
    check_eq("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
    check_eq("SSE with TS set", probe_nm(false), 7);
    /* Xen clears the virtual TS when it delivers #NM: no second #NM. */
    check_eq("SSE right after the #NM (TS cleared by delivery)", probe_nm(false), -1);
    if (has_avx) {
        check_eq("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
        check_eq("AVX with TS set", probe_nm(true), 7);
    }
    check_eq("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
    for (int i = 0; i < 20; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    check_eq("SSE with TS set, after yields", probe_nm(false), 7);
    check_eq("fpu_taskswitch(0)", HYPERVISOR_fpu_taskswitch(0), 0);
    check_eq("SSE with TS clear", probe_nm(false), -1);
    regs_intact("after fpu_taskswitch");
    printk("checked: #NM with virtual TS (SSE%s), also after yields\n", has_avx ? ", AVX" : "");
}

/* dom0's power-off ends the machine: in the pair run, dom0 yields for a
 * while at the end (still checking its registers) so that the domU
 * sharing its CPU can finish first. */
static void linger_for_domu(void)
{
    uint64_t end = pvclock_ns() + 1500000000UL;
    for (int i = 0; i < 20000 && pvclock_ns() < end; i++) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        if (i % 100 == 0 && !regs_intact("while lingering"))
            return;
    }
}

void test_main(void)
{
    seed = rdtsc() | 1;
    seed ^= (uint64_t)(start_info->flags & SIF_INITDOMAIN) << 40;
    printk("fpu: %s, seed %#lx\n", start_info->flags & SIF_INITDOMAIN ? "dom0" : "domU", seed);
    check_view();
    check_switches();
    check_taskswitch();
    if (start_info->flags & SIF_INITDOMAIN)
        linger_for_domu();
}
