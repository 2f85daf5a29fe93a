/* user_mode: the guest kernel/user split (ref §3.4, §3.5, §3.7). The guest
 * builds a user page table (a user L4 mapping only a user code page and a
 * stack), registers it with MMUEXT_NEW_USER_BASEPTR, and enters user mode
 * with the iret hypercall. User code then makes a system call: the
 * hypervisor switches to the kernel page tables and kernel stack
 * (stack_switch) and enters the syscall callback with the user's RIP, CS
 * and RSP in the frame. A second run reads a kernel address from user
 * mode: the user page table does not map it, so the #PF reaches the
 * kernel's handler with the user bit set in the error code. */
#include "guest.h"

GUEST_TEST("user_mode");

#define USER_VA     0x10000000UL
#define KSTACK_SIZE 8192

static uint64_t ul4[512] __attribute__((aligned(4096)));
static uint64_t ul3[512] __attribute__((aligned(4096)));
static uint64_t ul2[512] __attribute__((aligned(4096)));
static uint64_t ul1[512] __attribute__((aligned(4096)));
static uint8_t ucode[4096] __attribute__((aligned(4096)));
static uint8_t ustack[4096] __attribute__((aligned(4096)));
static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));

/* Filled by the syscall callback (syscall_entry below). */
volatile uint64_t sys_rdi, sys_rip, sys_cs, sys_rsp, sys_seen;
/* Where the kernel resumes after a user-mode excursion. */
volatile uint64_t resume_rsp;

extern char syscall_entry[], pf_entry[], user_return[];
volatile uint64_t pf_error, pf_seen;

/* Syscall callback: frame RCX, R11, RIP, CS, RFLAGS, RSP, SS at RSP. Record
 * it and resume the kernel where enter_user() left it. */
__asm__(
    ".text\n"
    "syscall_entry:\n\t"
    "movq %rdi, sys_rdi(%rip)\n\t"
    "movq 16(%rsp), %rax\n\t"
    "movq %rax, sys_rip(%rip)\n\t"
    "movq 24(%rsp), %rax\n\t"
    "movq %rax, sys_cs(%rip)\n\t"
    "movq 40(%rsp), %rax\n\t"
    "movq %rax, sys_rsp(%rip)\n\t"
    "incq sys_seen(%rip)\n\t"
    "movq resume_rsp(%rip), %rsp\n\t"
    "jmp user_return\n"
    /* #PF from user mode: frame RCX, R11, error code, RIP, ... */
    "pf_entry:\n\t"
    "movq 16(%rsp), %rax\n\t"
    "movq %rax, pf_error(%rip)\n\t"
    "incq pf_seen(%rip)\n\t"
    "movq resume_rsp(%rip), %rsp\n\t"
    "jmp user_return\n");

/* Enters user mode at USER_VA through the iret hypercall; comes back (at
 * user_return) when user code traps into the kernel. */
static void enter_user(void)
{
    __asm__ __volatile__(
        "pushq %%rbp\n\t"
        "pushq %%rbx\n\t"
        "pushq %%r12\n\t"
        "pushq %%r13\n\t"
        "pushq %%r14\n\t"
        "pushq %%r15\n\t"
        "movq %%rsp, resume_rsp(%%rip)\n\t"
        "pushq $0xe02b\n\t"             /* ss */
        "pushq %[usp]\n\t"              /* rsp */
        "pushq $0x202\n\t"              /* rflags: IF */
        "pushq $0xe033\n\t"             /* cs, RPL 3: user mode */
        "pushq %[uip]\n\t"              /* rip */
        "pushq $0\n\t"                  /* flags */
        "pushq $0\n\t"                  /* rcx */
        "pushq $0\n\t"                  /* r11 */
        "pushq $0\n\t"                  /* rax */
        "movl $23, %%eax\n\t"
        "syscall\n"
        "user_return:\n\t"
        "popq %%r15\n\t"
        "popq %%r14\n\t"
        "popq %%r13\n\t"
        "popq %%r12\n\t"
        "popq %%rbx\n\t"
        "popq %%rbp\n\t"
        : : [usp] "r"(USER_VA + 2 * 4096 - 64), [uip] "r"(USER_VA)
        : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
}

static uint64_t pte(void *page, uint64_t flags)
{
    return (va_to_mfn(page) << 12) | flags;
}

void test_main(void)
{
    /* User code: mov $0x1234, %edi; syscall; ud2 */
    static const uint8_t prog1[] = { 0xbf, 0x34, 0x12, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b };
    memcpy(ucode, prog1, sizeof(prog1));
    /* Second program at +64: read the kernel image start; ud2 */
    uint64_t kva = (uint64_t)_image_start;
    uint8_t *p2 = ucode + 64;
    p2[0] = 0x48; p2[1] = 0xb8;                 /* movabs $kva, %rax */
    memcpy(p2 + 2, &kva, 8);
    p2[10] = 0x48; p2[11] = 0x8b; p2[12] = 0x00; /* mov (%rax), %rax */
    p2[13] = 0x0f; p2[14] = 0x0b;

    memset(ul4, 0, 4096); memset(ul3, 0, 4096); memset(ul2, 0, 4096); memset(ul1, 0, 4096);
    ul4[0] = pte(ul3, PTE_P | PTE_RW | PTE_US);
    ul3[0] = pte(ul2, PTE_P | PTE_RW | PTE_US);
    ul2[USER_VA >> 21] = pte(ul1, PTE_P | PTE_RW | PTE_US);
    ul1[0] = pte(ucode, PTE_P | PTE_US);                          /* user code, read-only */
    ul1[1] = pte(ustack, PTE_P | PTE_RW | PTE_US | PTE_NX);
    /* Page tables must not be writable anywhere: make our views RO. */
    check_eq("ul1 read-only", set_page_rw(ul1, false), 0);
    check_eq("ul2 read-only", set_page_rw(ul2, false), 0);
    check_eq("ul3 read-only", set_page_rw(ul3, false), 0);
    check_eq("ul4 read-only", set_page_rw(ul4, false), 0);
    check_eq("pin the user L4", pin_table(4, va_to_mfn(ul4)), 0);
    check_eq("NEW_USER_BASEPTR", mmuext_simple(MMUEXT_NEW_USER_BASEPTR, va_to_mfn(ul4)), 0);
    check_eq("stack_switch", HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (uint64_t)kstack + KSTACK_SIZE), 0);
    struct callback_register cb = { .type = CALLBACKTYPE_syscall, .address = (uint64_t)syscall_entry };
    check_eq("register the syscall callback", HYPERVISOR_callback_op(CALLBACKOP_register, &cb), 0);

    enter_user();
    check_eq("system call from user mode reached the kernel", sys_seen, 1);
    check_eq("  with the user's argument", sys_rdi, 0x1234);
    check_eq("  user RIP after the syscall", sys_rip, USER_VA + 7);
    check_eq("  user CS (RPL 3)", sys_cs & 3, 3);
    check_eq("  user RSP", sys_rsp, USER_VA + 2 * 4096 - 64);

    /* Kernel memory is not mapped in the user page table: a user read of
     * it is a #PF for the kernel, with the user bit set. */
    struct trap_info pf[2] = { { .vector = 14, .flags = 0, .cs = FLAT_KERNEL_CS,
                                 .address = (uint64_t)pf_entry }, { 0 } };
    check_eq("install a #PF handler", HYPERVISOR_set_trap_table(pf), 0);
    static const uint8_t jump_to_p2[] = { 0xeb, 0x3e };    /* jmp +0x3e -> ucode + 64 */
    memcpy(ucode, jump_to_p2, sizeof(jump_to_p2));         /* (user space sees it RO) */
    enter_user();
    check_eq("trap_set_entry(14) back", trap_set_entry(14, 0), 0);
    check_eq("user read of kernel memory faulted", pf_seen, 1);
    check_eq("  with the user bit in the error code", pf_error & 4, 4);
    check_eq("  at the kernel address (CR2)", VCPU0->arch.cr2, kva);
}
