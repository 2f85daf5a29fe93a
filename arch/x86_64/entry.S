/* Exception and interrupt entry stubs: every vector pushes an error code
 * (0 where the CPU pushes none) and its number, then saves the registers in
 * struct cpu_regs order (include/keel/traps.h) and calls trap_dispatch(). */
#include "regs.h"

    .section .text, "ax"
    .code64

/* Vectors where the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .align 16
    .globl trap_entry_table
trap_entry_table:
    vec = 0
    .rept 256
    .align 16
    .if HAS_ERRCODE(vec)
    pushq   $vec
    .else
    pushq   $0
    pushq   $vec
    .endif
    jmp     trap_common
    vec = vec + 1
    .endr

trap_common:
    SAVE_GPRS
    cld
    testb   $1, smap_active(%rip)
    jz      1f
    clac                                /* a guest's AC must not lift SMAP here */
1:  movq    %rsp, %rdi
    /* Frame pointer chain for stack traces: link to the interrupted frame. */
    pushq   0x88(%rsp)                  /* interrupted rip */
    pushq   0x48(%rsp)                  /* interrupted rbp (after 1 push: 0x40+8) */
    movq    %rsp, %rbp
    call    trap_dispatch
    addq    $16, %rsp
    RESTORE_GPRS
    addq    $16, %rsp                   /* vector, error code */
    iretq
