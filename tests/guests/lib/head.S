/* Entry of a PV test kernel (ref §2.3): Xen starts us in guest kernel mode
 * (ring 3) at the ENTRY note with %rsi = VA of start_info and %rsp at the
 * top of the builder's one-page stack. We record every register as it was
 * (start_of_day checks them), note whether .bss arrived zeroed, clear it,
 * switch to our own stack and call guest_start(start_info). */
#include <public/xen.h>
#include "notes.h"

    XEN_NOTE GNOTE_GUEST_OS,        .asciz "keel-test"
    XEN_NOTE GNOTE_LOADER,          .asciz "generic"
    XEN_NOTE GNOTE_XEN_VERSION,     .asciz "xen-3.0"
    XEN_NOTE GNOTE_VIRT_BASE,       .quad GUEST_VIRT_BASE
    XEN_NOTE GNOTE_PADDR_OFFSET,    .quad 0
    XEN_NOTE GNOTE_ENTRY,           .quad _start
    XEN_NOTE GNOTE_HYPERCALL_PAGE,  .quad hypercall_page
    /* XENFEAT_dom0: required for a kernel that has this note and runs as
     * dom0 (xen-ref boots every test as dom0). */
    XEN_NOTE GNOTE_SUPPORTED_FEATURES, .long (1 << 11)

    .section .text.head, "ax"
    .globl _start
_start:
    mov %rax, entry_regs + 0(%rip)
    mov %rbx, entry_regs + 8(%rip)
    mov %rcx, entry_regs + 16(%rip)
    mov %rdx, entry_regs + 24(%rip)
    mov %rsi, entry_regs + 32(%rip)
    mov %rdi, entry_regs + 40(%rip)
    mov %rbp, entry_regs + 48(%rip)
    mov %rsp, entry_regs + 56(%rip)
    mov %r8,  entry_regs + 64(%rip)
    mov %r9,  entry_regs + 72(%rip)
    mov %r10, entry_regs + 80(%rip)
    mov %r11, entry_regs + 88(%rip)
    mov %r12, entry_regs + 96(%rip)
    mov %r13, entry_regs + 104(%rip)
    mov %r14, entry_regs + 112(%rip)
    mov %r15, entry_regs + 120(%rip)
    pushfq
    popq entry_regs + 128(%rip)
    xor %eax, %eax
    mov %cs, %ax
    mov %rax, entry_regs + 136(%rip)
    mov %ss, %ax
    mov %rax, entry_regs + 144(%rip)
    mov %ds, %ax
    mov %rax, entry_regs + 152(%rip)
    mov %es, %ax
    mov %rax, entry_regs + 160(%rip)
    mov %fs, %ax
    mov %rax, entry_regs + 168(%rip)
    mov %gs, %ax
    mov %rax, entry_regs + 176(%rip)
    lea _start(%rip), %rax
    mov %rax, entry_regs + 184(%rip)

    cld
    /* Was .bss zero-filled by the loader? Then clear it regardless. */
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    shr $3, %rcx
    xor %eax, %eax
    repe scasq
    setne entry_bss_dirty(%rip)
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    shr $3, %rcx
    rep stosq

    lea boot_stack_top(%rip), %rsp
    mov entry_regs + 32(%rip), %rdi
    call guest_start
    ud2

/* Xen writes 128 stubs of 32 bytes here (ref §4.2). Filled with int3 so
 * that a hypervisor which forgets to write it fails loudly. */
    .section .text.hypercall_page, "ax"
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .data
    .balign 8
    .globl entry_regs, entry_bss_dirty
entry_regs:
    .fill 24, 8, 0
entry_bss_dirty:
    .byte 0

    .bss
    .balign 4096
boot_stack:
    .skip 16384
    .globl boot_stack_top
boot_stack_top:
