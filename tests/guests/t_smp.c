/* smp: a second vCPU through vcpu_op (#24) (ref §5.15) and TLB shootdown
 * (ref §5.4, §5.5). vCPU 1 is brought up with VCPUOP_initialise + up on
 * another physical CPU, where it keeps reading one virtual page. vCPU 0
 * then remaps that page to another frame with each remote-flush flavour
 * (update_va_mapping with UVMF_ALL and with a vCPU bitmap, mmuext
 * INVLPG_MULTI and TLB_FLUSH_ALL): vCPU 1 must see the new frame at once,
 * which it cannot if its CPU keeps the stale translation. Finally vCPU 1
 * takes itself down and is brought up again, resuming after its call.
 * guest-run: smp=2 vcpus=2 */
#include "guest.h"

GUEST_TEST("smp");

#define EINVAL 22
#define ENOENT 2
#define EEXIST 17
#define EFAULT 14
#define ENXIO 6

static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t window[4096] __attribute__((aligned(4096)));
static uint8_t stack1[16384] __attribute__((aligned(16)));
static uint8_t info_page[4096] __attribute__((aligned(4096)));
static struct vcpu_guest_context ctx;

static volatile uint64_t command, acked, seen;
static volatile unsigned resumed;
#define CMD_DOWN    (~0UL)

static volatile uint16_t fcw1;
static volatile uint32_t mxcsr1;

static void secondary_main(void)
{
    uint64_t last = 0;
    uint16_t fcw;
    uint32_t mxcsr;
    __asm__ __volatile__("fnstcw %0; stmxcsr %1" : "=m"(fcw), "=m"(mxcsr));
    fcw1 = fcw;                         /* from the context's FPU image */
    mxcsr1 = mxcsr;
    for (;;) {
        uint64_t c = command;
        if (c == CMD_DOWN) {
            HYPERVISOR_vcpu_op(VCPUOP_down, 1, NULL);
            resumed++;                  /* up again: we continue here */
            command = 0;
            last = 0;
            continue;
        }
        if (c != last) {
            seen = *(volatile uint64_t *)window;
            last = c;
            acked = c;
        }
        __asm__ __volatile__("pause");
    }
}

/* Waits (yielding) until vCPU 1 acknowledged command c. */
static bool wait_ack(uint64_t c)
{
    command = c;
    for (unsigned i = 0; i < 2000000; i++) {
        if (acked == c)
            return true;
        if (i % 64 == 0)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        __asm__ __volatile__("pause");
    }
    return false;
}

static uint64_t pte_for(const void *page)
{
    return (va_to_mfn(page) << 12) | PTE_P | PTE_A | PTE_NX;
}

/* vCPU 1 reads `window` after remap(); it must see `want`. */
static void check_remote_sees(const char *how, uint64_t cmd, uint64_t want)
{
    if (!wait_ack(cmd)) {
        fail("%s: vCPU 1 did not answer", how);
        return;
    }
    check(seen == want, "%s: vCPU 1 read %#lx, want %#lx (stale TLB entry)", how, seen, want);
}

static void setup_context(void)
{
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
    ctx.flags |= VGCF_I387_VALID;       /* FCW 0x27f, MXCSR 0x9fc0 (FTZ, DAZ) */
    uint16_t fcw = 0x027f;
    uint32_t mxcsr = 0x9fc0;
    memcpy(&ctx.fpu_ctxt[0], &fcw, sizeof(fcw));
    memcpy(&ctx.fpu_ctxt[24], &mxcsr, sizeof(mxcsr));
}

static void bring_up(void)
{
    check_eq("is_up(0)", HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    check_eq("is_up(1) before up", HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    check_eq("is_up(2): no such vCPU", HYPERVISOR_vcpu_op(VCPUOP_is_up, 2, NULL), -ENOENT);
    check_eq("is_up(huge)", HYPERVISOR_vcpu_op(VCPUOP_is_up, 0x7fffffff, NULL), -ENOENT);
    check_eq("up(1) before initialise", HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), -EINVAL);
    check_eq("initialise(0): already running", HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, &ctx), -EEXIST);
    check_eq("initialise(1) from a bad pointer",
             HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, (void *)0x10), -EFAULT);
    ctx.user_regs.rip = 0x0000800000000000UL;       /* non-canonical */
    check_eq("initialise(1) non-canonical rip", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -EINVAL);
    ctx.user_regs.rip = (uint64_t)secondary_main;

    /* Its vcpu_info moves into our page before it starts. */
    struct vcpu_register_vcpu_info ri = { .mfn = va_to_mfn(info_page), .offset = 64 };
    check_eq("register_vcpu_info(1)", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &ri), 0);
    check_eq("  copies the mask (set)", info_page[64 + 1], 1);
    check_eq("  forces an upcall", info_page[64 + 0], 1);
    check_eq("register_vcpu_info(1) twice", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &ri), -EINVAL);
    ri.offset = 4096 - 32;
    check_eq("register_vcpu_info crossing the page", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -ENXIO);
    ri.offset = 4;
    check_eq("register_vcpu_info misaligned", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -ENXIO);
    ri = (struct vcpu_register_vcpu_info){ .mfn = l4_mfn(), .offset = 0 };
    check_eq("register_vcpu_info on a page table", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -EINVAL);

    check_eq("initialise(1)", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    check_eq("initialise(1) twice", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -EEXIST);
    check_eq("up(1)", HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), 0);
    check_eq("is_up(1)", HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 1);
    for (unsigned i = 0; i < 2000000 && !fcw1; i++)
        if (i % 64 == 0)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    check_eq("vCPU 1 FCW from the context", fcw1, 0x027f);
    check_eq("vCPU 1 MXCSR from the context", mxcsr1, 0x9fc0);
}

static void shootdowns(void)
{
    uint64_t vcpu1_only = 1UL << 1;
    struct mmuext_op op;

    check_remote_sees("first look", 1, 0xaaaa);
    check_eq("remap, UVMF_INVLPG|UVMF_ALL",
             HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_b), UVMF_INVLPG | UVMF_ALL), 0);
    check_remote_sees("after UVMF_ALL", 2, 0xbbbb);

    check_eq("remap, UVMF_TLB_FLUSH|vCPU bitmap",
             HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_a),
                                          UVMF_TLB_FLUSH | (uint64_t)&vcpu1_only), 0);
    check_remote_sees("after UVMF_MULTI", 3, 0xaaaa);

    check_eq("remap, no flush", HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_b), UVMF_NONE), 0);
    op = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_MULTI, .arg1.linear_addr = (uint64_t)window,
                             .arg2.vcpumask = (uint64_t)&vcpu1_only };
    check_eq("mmuext INVLPG_MULTI", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    check_remote_sees("after INVLPG_MULTI", 4, 0xbbbb);

    check_eq("remap, no flush", HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_a), UVMF_NONE), 0);
    op = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_ALL };
    check_eq("mmuext TLB_FLUSH_ALL", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    check_remote_sees("after TLB_FLUSH_ALL", 5, 0xaaaa);

    op = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_MULTI, .arg2.vcpumask = 0x10 };
    check_eq("TLB_FLUSH_MULTI with a bad bitmap pointer", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -EINVAL);
    check_eq("update_va_mapping with a bad bitmap pointer",
             HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_a), UVMF_INVLPG | 0x10), -EFAULT);
}

static bool wait_down(void)
{
    for (unsigned i = 0; i < 100000; i++) {
        if (HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL) == 0)
            return true;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    return false;
}

static void down_and_up(void)
{
    command = CMD_DOWN;
    check(wait_down(), "vCPU 1 did not go down");
    check_eq("resumed before up", resumed, 0);
    check_eq("up(1) again", HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), 0);
    for (unsigned i = 0; i < 2000000 && !resumed; i++)
        if (i % 64 == 0)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    check_eq("vCPU 1 resumed after its down call", resumed, 1);
    command = CMD_DOWN;
    check(wait_down(), "vCPU 1 did not go down the second time");
}

void test_main(void)
{
    *(uint64_t *)page_a = 0xaaaa;
    *(uint64_t *)page_b = 0xbbbb;
    setup_context();
    check_eq("map the window on page_a",
             HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(page_a), UVMF_INVLPG), 0);
    bring_up();
    if (failures())
        return;
    shootdowns();
    down_and_up();
    /* The window's own frame back, writable, for a clean exit. */
    HYPERVISOR_update_va_mapping((uint64_t)window, pte_for(window) | PTE_RW, UVMF_INVLPG);
}
