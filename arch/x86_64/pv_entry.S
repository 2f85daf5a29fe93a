/* PV guest entry and exit. The guest's registers always sit in one frame at
 * the top of the CPU's primary stack, laid out as struct cpu_regs: the CPU
 * puts the hardware part there on an interrupt or exception from ring 3
 * (TSS.rsp0), and the syscall stub (written per CPU by pv.c) builds the
 * same frame by hand. Return to the guest is always through that frame. */
#include "regs.h"
#include <keel/memlayout.h>

#define FRAME_HW_WORDS  7       /* ss rsp rflags cs rip error vector */

    .section .text, "ax"
    .code64

/* From the per-CPU syscall stub: RSP points at the vector word of a frame
 * whose hardware part is filled; the guest's RAX is in cpu_info.scratch. */
    .globl pv_syscall_entry
pv_syscall_entry:
    movq    FRAME_HW_WORDS * 8 + CPU_INFO_SCRATCH(%rsp), %rax
    SAVE_GPRS
    cld
    xorl    %ebp, %ebp                  /* end of the stack-trace chain */
    movq    %rsp, %rdi
    call    pv_syscall
    jmp     pv_return_frame

/* void pv_return_to_guest(struct cpu_regs *frame): frame is the top frame. */
    .globl pv_return_to_guest
pv_return_to_guest:
    movq    %rdi, %rsp
pv_return_frame:
    cli
    RESTORE_GPRS
    addq    $16, %rsp
1:  iretq
    /* A frame the CPU refuses (should have been caught by validation): the
     * fault is taken in ring 0 at the iretq; crash the domain, not Keel. */
    .pushsection .text.fixup, "ax"
2:  call    pv_bad_return
    .popsection
    .pushsection __ex_table, "a"
    .balign 4
    .long   1b - .
    .long   2b - .
    .popsection

/* void reset_stack_and_call(void (*fn)(void *), void *arg): drop everything
 * on this CPU's primary stack and call fn(arg) just below the guest frame. */
#define GUEST_FRAME_SIZE (22 * 8)       /* sizeof(struct cpu_regs) */
    .globl reset_stack_and_call
reset_stack_and_call:
    movq    %rsp, %rax
    andq    $~(STACK_BLOCK_SIZE - 1), %rax
    addq    $(STACK_BLOCK_SIZE - CPU_INFO_SIZE - GUEST_FRAME_SIZE), %rax
    movq    %rax, %rsp
    xorl    %ebp, %ebp
    movq    %rdi, %rax
    movq    %rsi, %rdi
    call    *%rax
    ud2
