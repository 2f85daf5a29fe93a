/* The registers a trap stub saves, the same in both test-kernel families:
 * each stub pushes an error code (0 where there is none) and the vector,
 * then TRAP_DISPATCH saves the general registers below them (struct
 * trap_regs) and calls the family's trap_dispatch(regs); a change to RIP
 * there is where the stub returns. Included from C and from assembly. */
#ifndef GUEST_COMMON_TRAP_REGS_H
#define GUEST_COMMON_TRAP_REGS_H

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_regs {                  /* layout fixed by TRAP_DISPATCH */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;  /* the frame the trap was delivered with */
};
void trap_dispatch(struct trap_regs *r);

#else

/* With the error code and vector pushed: save, call trap_dispatch on a
 * 16-byte aligned stack, restore, drop vector and error code. The family's
 * return (HYPERVISOR_iret or iretq) follows. */
.macro TRAP_DISPATCH
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    mov %rsp, %rbx
    and $-16, %rsp
    call trap_dispatch
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector, error code */
.endm

#endif
#endif
