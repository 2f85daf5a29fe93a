/* Assembly: save and restore the general registers in struct cpu_regs
 * order (include/keel/traps.h), shared by the exception/interrupt entry
 * (entry.S) and the PV syscall entry and guest return (pv_entry.S). */
#ifndef KEEL_ARCH_REGS_H
#define KEEL_ARCH_REGS_H

.macro SAVE_GPRS
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
.endm

.macro RESTORE_GPRS
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
.endm

#endif
