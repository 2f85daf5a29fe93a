/* Exception stubs, event and failsafe callback entries (ref §3.5, §3.6).
 * The hypervisor enters a handler with RSP at the bounce frame
 *     RCX, R11, [error code], RIP, CS, RFLAGS, RSP, SS.
 * A stub pops RCX/R11 (the interrupted values), pushes a dummy error code
 * where the CPU has none and the vector, so every trap reaches trap_common
 * with the same layout (struct trap_regs). Return is by HYPERVISOR_iret
 * through slot 23 of the hypercall page, as Linux does (ref §3.7). */
#include <public/xen.h>
#include "trap_regs.h"

.macro TRAP_STUB vec
    .balign 16
trap_stub_\vec:
    mov %rsp, trap_frame_addr(%rip)
    pop %rcx
    pop %r11
    .if TRAP_HAS_ERROR_CODE(\vec)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
.endm

    .text
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_STUB \v
    .endr

trap_common:
    TRAP_DISPATCH
    pushq $0                    /* iret flags: not VGCF_in_syscall */
    jmp hypercall_page + HYPERCALL_IRET_OFFSET

    .globl event_callback_entry
    .balign 16
event_callback_entry:
    mov %rsp, event_frame_addr(%rip)
    pop %rcx
    pop %r11
    pushq $0
    pushq $0x100                /* TRAP_VECTOR_EVENT */
    jmp trap_common

    .globl failsafe_callback_entry
    .balign 16
failsafe_callback_entry:
    mov %rsp, %rdi
    and $-16, %rsp
    call failsafe_dispatch
    ud2

/* long hypercall_raw(nr, a1, a2, a3, a4, a5) */
    .globl hypercall_raw
hypercall_raw:
    mov %rdi, %rax
    and $127, %rax
    shl $5, %rax
    lea hypercall_page(%rip), %r11
    add %rax, %r11
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    call *%r11
    ret

    .section .rodata
    .balign 8
    .globl trap_stub_table
trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_stub_\v
    .endr

    .data
    .balign 8
    .globl trap_frame_addr, event_frame_addr
trap_frame_addr:
    .quad 0
event_frame_addr:
    .quad 0
