/* IDT stubs (ring 0, the CPU's own frame): each pushes a zero error code
 * where the CPU pushes none, then its vector; TRAP_DISPATCH (common/
 * trap_regs.h) saves the general registers as struct trap_regs and calls
 * trap_dispatch(regs); iretq after. */
#include "trap_regs.h"
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro STUB v
    .balign 16
    .if HAS_ERR(\v)
    .else
    pushq $0
    .endif
    pushq $\v
    jmp trap_common
.endm

    .text
    .globl trap_stubs
    .balign 16
trap_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v
    .endr
    .globl event_stub, apic_event_stub, test_ipi_stub
event_stub:
    pushq $0
    pushq $0xf3
    jmp trap_common
apic_event_stub:                /* PVH_APIC_EVENT_VECTOR */
    pushq $0
    pushq $0xf4
    jmp trap_common
test_ipi_stub:                  /* PVH_TEST_IPI_VECTOR */
    pushq $0
    pushq $0xe0
    jmp trap_common

trap_common:
    TRAP_DISPATCH
    iretq

/* Ring 3 for a while (lib/user.c): user_enter(fn, user_stack) saves the
 * callee-saved registers and RSP, then iretq to fn in ring 3 (CS 0x23, SS
 * 0x1b, interrupts off); fn ends with int $0x80 (a DPL 3 gate to
 * user_exit_stub, on TSS.rsp0), which returns from user_enter. */
    .globl user_enter, user_exit_stub
user_enter:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, user_saved_rsp(%rip)
    pushq $0x1b
    pushq %rsi
    pushq $0x2
    pushq $0x23
    pushq %rdi
    iretq
user_exit_stub:
    mov user_saved_rsp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

    .data
    .balign 8
user_saved_rsp:
    .quad 0
