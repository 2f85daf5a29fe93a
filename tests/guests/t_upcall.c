/* upcall: the event callback (ref §3.5, §6.2). On every return to the
 * guest the hypervisor looks at vcpu_info: with evtchn_upcall_pending set
 * and evtchn_upcall_mask clear it enters the event callback with events
 * masked and the frame RCX, R11, RIP, CS|mask<<32, RFLAGS, RSP, SS (no
 * error code). Linux relies on this to have pending events delivered
 * after it unmasks them (xen_force_evtchn_callback: any hypercall). Here
 * the guest sets the pending flag itself; no event channel is involved. */
#include "guest.h"

GUEST_TEST("upcall");

volatile uint64_t ev_frame[7];
volatile unsigned ev_count;
volatile uint8_t ev_mask;

/* Record the frame and the mask, clear the pending flag, return with
 * HYPERVISOR_iret (the frame's RCX/R11 become the stub's pushes). */
__asm__(
    "    .text\n"
    "    .balign 16\n"
    "upcall_test_entry:\n"
    "    push %rax; push %rsi; push %rdi; push %rcx\n"
    "    lea 32(%rsp), %rsi\n"
    "    lea ev_frame(%rip), %rdi\n"
    "    mov $7, %ecx\n"
    "    rep movsq\n"
    "    mov shared_info(%rip), %rax\n"
    "    movzbl 1(%rax), %ecx\n"
    "    mov %cl, ev_mask(%rip)\n"
    "    movb $0, 0(%rax)\n"               /* evtchn_upcall_pending = 0 */
    "    incl ev_count(%rip)\n"
    "    pop %rcx; pop %rdi; pop %rsi; pop %rax\n"
    "    pop %rcx\n"
    "    pop %r11\n"
    "    pushq $0\n"                       /* iret flags */
    "    jmp hypercall_page + 23 * 32\n");
extern char upcall_test_entry[];

static long force_callback(void)
{
    return HYPERVISOR_xen_version(XENVER_version, NULL);
}

void test_main(void)
{
    struct callback_register cb = { .type = CALLBACKTYPE_event, .flags = 0,
                                    .address = (uint64_t)upcall_test_entry };
    check_eq("register the event callback", HYPERVISOR_callback_op(CALLBACKOP_register, &cb), 0);
    long version = force_callback();
    check(version > 0, "xen_version %ld", version);

    /* Masked: nothing is delivered. */
    VCPU0->evtchn_upcall_mask = 1;
    VCPU0->evtchn_upcall_pending = 1;
    check_eq("a hypercall with the upcall masked", force_callback(), version);
    check_eq("no upcall while masked", ev_count, 0);

    /* Unmasked: the next return to the guest enters the callback. */
    VCPU0->evtchn_upcall_mask = 0;
    uint64_t page = (uint64_t)hypercall_page + __HYPERVISOR_xen_version * 32;
    check_eq("the hypercall's result survives the upcall", force_callback(), version);
    check_eq("one upcall", ev_count, 1);
    check_eq("events masked in the callback", ev_mask, 1);
    check(ev_frame[2] > page && ev_frame[2] < page + 32,
          "frame RIP %#lx: not right after the syscall in slot %u", ev_frame[2], __HYPERVISOR_xen_version);
    check_eq("frame CS (kernel mode: RPL 0)", ev_frame[3] & 0xffff, FLAT_KERNEL_CS & ~3);
    check_eq("frame saved mask (CS bits 32+)", ev_frame[3] >> 32, 0);
    check(ev_frame[4] & 0x200, "frame RFLAGS.IF clear: %#lx", ev_frame[4]);
    check_eq("frame SS", ev_frame[6], FLAT_KERNEL_SS);
    check_eq("unmasked again after the callback's iret", VCPU0->evtchn_upcall_mask, 0);
    check_eq("pending cleared by the callback", VCPU0->evtchn_upcall_pending, 0);

    /* Nothing pending: no more upcalls. */
    force_callback();
    check_eq("no upcall without a pending flag", ev_count, 1);

    /* Pending while masked, then unmasked through the iret of an
     * exception handler: delivered on that return. */
    VCPU0->evtchn_upcall_mask = 1;
    VCPU0->evtchn_upcall_pending = 1;
    VCPU0->evtchn_upcall_mask = 0;
    __asm__ __volatile__("lea 1f(%%rip), %%rax; mov %%rax, trap_resume_rip(%%rip); int3; 1:"
                         ::: "rax", "memory");
    check_eq("delivered on the return from an exception handler", ev_count, 2);

    /* SCHEDOP_block unmasks events itself: a pending upcall is delivered
     * (on Xen at once, as one is pending; Keel never sleeps here yet). */
    VCPU0->evtchn_upcall_mask = 1;
    VCPU0->evtchn_upcall_pending = 1;
    check_eq("SCHEDOP_block", HYPERVISOR_sched_op(SCHEDOP_block, NULL), 0);
    check_eq("block delivered the pending upcall", ev_count, 3);
    check_eq("events unmasked after block", VCPU0->evtchn_upcall_mask, 0);
    VCPU0->evtchn_upcall_mask = 1;
}
