/* failsafe: data segments across vCPU switches and the failsafe callback
 * (ref §3.6). Two vCPUs share one physical CPU, so a yield really switches
 * away and back. A non-null %fs selector keeps the FS base the guest set
 * with set_segment_base. Then %es holds a selector whose GDT entry the
 * guest makes not-present: when the vCPU comes back the hypervisor cannot
 * reload it, loads null instead and enters the failsafe callback with the
 * frame RCX, R11, DS, ES, FS, GS, RIP, CS|mask, RFLAGS, RSP, SS, events
 * masked (the callback was registered with CALLBACKF_mask_events).
 * guest-run: smp=1 vcpus=2 */
#include "guest.h"

GUEST_TEST("failsafe");

#define SEGBASE_FS  0

static uint8_t gdt_page[4096] __attribute__((aligned(4096)));
static uint8_t stack1[16384] __attribute__((aligned(16)));
static struct vcpu_guest_context ctx;
static volatile uint64_t spins1;
static volatile uint64_t marker = 0x5afe5afe12345678UL;

/* Filled by the failsafe entry below. */
volatile uint64_t fs_frame[11];
volatile unsigned fs_count;
volatile uint8_t fs_mask;

static inline long HYPERVISOR_set_gdt(uint64_t *frames, unsigned entries)
{ return _hypercall2(__HYPERVISOR_set_gdt, frames, entries); }
static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{ return _hypercall2(__HYPERVISOR_update_descriptor, maddr, desc); }

/* Record the frame and the event mask, then return to the interrupted
 * context with HYPERVISOR_iret (ref §3.7), as Linux's failsafe handler
 * does: restore RCX/R11, drop the selectors, flags word in GS's slot. */
__asm__(
    "    .text\n"
    "    .balign 16\n"
    "failsafe_test_entry:\n"
    "    push %rax; push %rsi; push %rdi; push %rcx\n"
    "    lea 32(%rsp), %rsi\n"
    "    lea fs_frame(%rip), %rdi\n"
    "    mov $11, %ecx\n"
    "    rep movsq\n"
    "    mov shared_info(%rip), %rax\n"
    "    movzbl 1(%rax), %eax\n"
    "    mov %al, fs_mask(%rip)\n"
    "    incl fs_count(%rip)\n"
    "    pop %rcx; pop %rdi; pop %rsi; pop %rax\n"
    "    pop %rcx\n"
    "    pop %r11\n"
    "    add $24, %rsp\n"                /* DS, ES, FS: GS's slot takes the flags */
    "    movq $0, (%rsp)\n"
    "    jmp hypercall_page + 23 * 32\n"); /* the iret stub pushes RCX, R11, RAX */
extern char failsafe_test_entry[];

static void secondary_main(void)
{
    for (;;) {
        spins1++;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

static void start_vcpu1(void)
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
    check_eq("initialise(1)", HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    check_eq("up(1)", HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), 0);
}

/* Yields until vCPU 1 ran in between (so this vCPU was switched out and
 * back in), or until the failsafe callback ran. */
static bool switch_away_and_back(void)
{
    for (unsigned i = 0; i < 10000; i++) {
        uint64_t before = spins1;
        unsigned fs_before = fs_count;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        if (spins1 != before || fs_count != fs_before)
            return true;
    }
    return false;
}

static uint64_t read_fs0(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static uint16_t read_es(void)
{
    uint16_t s;
    __asm__ __volatile__("mov %%es, %0" : "=r"(s));
    return s;
}

#define DATA_DESC   0x00cf92000000ffffUL    /* flat data (DPL raised to 3) */
#define NOT_PRESENT (1UL << 47)

void test_main(void)
{
    uint64_t mfn = va_to_mfn(gdt_page);
    uint16_t sel = 0x0b, nul = 0, ds;

    ((volatile uint64_t *)gdt_page)[1] = DATA_DESC;
    check_eq("GDT page read-only", set_page_rw(gdt_page, false), 0);
    check_eq("set_gdt", HYPERVISOR_set_gdt(&mfn, 512), 0);
    struct callback_register cb = { .type = CALLBACKTYPE_failsafe, .flags = CALLBACKF_mask_events,
                                    .address = (uint64_t)failsafe_test_entry };
    check_eq("register the failsafe callback", HYPERVISOR_callback_op(CALLBACKOP_register, &cb), 0);
    start_vcpu1();
    if (failures())
        return;
    VCPU0->evtchn_upcall_mask = 0;      /* no event source is bound: none come */

    /* A non-null %fs with a base set by hypercall: both survive a switch. */
    __asm__ __volatile__("mov %0, %%fs" : : "r"(sel));
    check_eq("set_segment_base(FS)", HYPERVISOR_set_segment_base(SEGBASE_FS, (uint64_t)&marker), 0);
    check_eq("%fs:0 reads the marker", read_fs0(), marker);
    check(switch_away_and_back(), "vCPU 1 never ran (no switch)");
    check_eq("%fs:0 after a switch", read_fs0(), marker);
    check_eq("no failsafe so far", fs_count, 0);
    __asm__ __volatile__("mov %0, %%fs" : : "r"(nul));
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);

    /* %es on an entry that stops being loadable. */
    __asm__ __volatile__("mov %%ds, %0" : "=r"(ds));
    __asm__ __volatile__("mov %0, %%es" : : "r"(sel));
    check_eq("make entry 1 not present",
             HYPERVISOR_update_descriptor((mfn << 12) + 8, DATA_DESC & ~NOT_PRESENT), 0);
    check_eq("%es still holds the selector", read_es(), sel);
    for (unsigned i = 0; i < 100 && !fs_count; i++)
        switch_away_and_back();
    check_eq("failsafe callback entered once", fs_count, 1);
    check_eq("frame DS", fs_frame[2], ds);
    check_eq("frame ES: the selector that failed", fs_frame[3], sel);
    check_eq("frame FS", fs_frame[4], 0);
    check_eq("frame CS (kernel mode: RPL 0)", fs_frame[7] & 0xffff, FLAT_KERNEL_CS & ~3);
    check_eq("frame CS upper half: events were unmasked", fs_frame[7] >> 32, 0);
    check_eq("frame SS", fs_frame[10], FLAT_KERNEL_SS);
    check(fs_frame[8] & 0x200, "frame RFLAGS.IF set (events were unmasked): %#lx", fs_frame[8]);
    check_eq("events masked in the callback", fs_mask, 1);
    check_eq("%es is null afterwards", read_es(), 0);
    check_eq("events unmasked again after iret", VCPU0->evtchn_upcall_mask, 0);
    check(switch_away_and_back(), "no switch after the failsafe");
    check_eq("no second failsafe (null reloads fine)", fs_count, 1);
}
