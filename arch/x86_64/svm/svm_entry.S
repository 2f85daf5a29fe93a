/* void svm_enter(paddr_t vmcb, struct cpu_regs *regs, paddr_t host_area)
 * Called with GIF clear. The guest's GPRs come from and go back to regs
 * (struct cpu_regs, include/keel/traps.h); RAX, RSP, RIP and RFLAGS are the
 * VMCB's (svm_run.c copies them). VMRUN saves and restores only part of the
 * host state (APM vol. 2 15.5.1): VMSAVE/VMLOAD move the rest (FS, GS, TR,
 * LDTR with hidden parts, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK,
 * SYSENTER_*) between the host area and the guest's VMCB. */
#include <keel/cpu_regs_offsets.h>

    .section .text, "ax"
    .code64
    .globl svm_enter
svm_enter:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    pushq   %rsi                        /* 16(%rsp): regs */
    pushq   %rdx                        /*  8(%rsp): host area */
    pushq   %rdi                        /*  0(%rsp): vmcb */
    movq    %rdx, %rax
    vmsave  %rax
    movq    (%rsp), %rax
    vmload  %rax
    movq    CPU_REGS_RBX(%rsi), %rbx
    movq    CPU_REGS_RCX(%rsi), %rcx
    movq    CPU_REGS_RDX(%rsi), %rdx
    movq    CPU_REGS_RDI(%rsi), %rdi
    movq    CPU_REGS_RBP(%rsi), %rbp
    movq    CPU_REGS_R8(%rsi), %r8
    movq    CPU_REGS_R9(%rsi), %r9
    movq    CPU_REGS_R10(%rsi), %r10
    movq    CPU_REGS_R11(%rsi), %r11
    movq    CPU_REGS_R12(%rsi), %r12
    movq    CPU_REGS_R13(%rsi), %r13
    movq    CPU_REGS_R14(%rsi), %r14
    movq    CPU_REGS_R15(%rsi), %r15
    movq    CPU_REGS_RSI(%rsi), %rsi
    vmrun   %rax
    /* #VMEXIT: RAX and RSP are the host's again; the rest is the guest's. */
    movq    16(%rsp), %rax
    movq    %rbx, CPU_REGS_RBX(%rax)
    movq    %rcx, CPU_REGS_RCX(%rax)
    movq    %rdx, CPU_REGS_RDX(%rax)
    movq    %rsi, CPU_REGS_RSI(%rax)
    movq    %rdi, CPU_REGS_RDI(%rax)
    movq    %rbp, CPU_REGS_RBP(%rax)
    movq    %r8, CPU_REGS_R8(%rax)
    movq    %r9, CPU_REGS_R9(%rax)
    movq    %r10, CPU_REGS_R10(%rax)
    movq    %r11, CPU_REGS_R11(%rax)
    movq    %r12, CPU_REGS_R12(%rax)
    movq    %r13, CPU_REGS_R13(%rax)
    movq    %r14, CPU_REGS_R14(%rax)
    movq    %r15, CPU_REGS_R15(%rax)
    movq    (%rsp), %rax
    vmsave  %rax
    movq    8(%rsp), %rax
    vmload  %rax
    addq    $24, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
