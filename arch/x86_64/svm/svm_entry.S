/* void svm_enter(paddr_t vmcb, struct cpu_regs *regs, paddr_t host_area)
 * Called with GIF clear. The guest's GPRs come from and go back to regs
 * (struct cpu_regs, include/keel/traps.h); RAX, RSP, RIP and RFLAGS are the
 * VMCB's (svm_run.c copies them). VMRUN saves and restores only part of the
 * host state (APM vol. 2 15.5.1): VMSAVE/VMLOAD move the rest (FS, GS, TR,
 * LDTR with hidden parts, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK,
 * SYSENTER_*) between the host area and the guest's VMCB. */
#define R_R15   0
#define R_R14   8
#define R_R13   16
#define R_R12   24
#define R_R11   32
#define R_R10   40
#define R_R9    48
#define R_R8    56
#define R_RBP   64
#define R_RDI   72
#define R_RSI   80
#define R_RDX   88
#define R_RCX   96
#define R_RBX   104

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
    movq    R_RBX(%rsi), %rbx
    movq    R_RCX(%rsi), %rcx
    movq    R_RDX(%rsi), %rdx
    movq    R_RDI(%rsi), %rdi
    movq    R_RBP(%rsi), %rbp
    movq    R_R8(%rsi), %r8
    movq    R_R9(%rsi), %r9
    movq    R_R10(%rsi), %r10
    movq    R_R11(%rsi), %r11
    movq    R_R12(%rsi), %r12
    movq    R_R13(%rsi), %r13
    movq    R_R14(%rsi), %r14
    movq    R_R15(%rsi), %r15
    movq    R_RSI(%rsi), %rsi
    vmrun   %rax
    /* #VMEXIT: RAX and RSP are the host's again; the rest is the guest's. */
    movq    16(%rsp), %rax
    movq    %rbx, R_RBX(%rax)
    movq    %rcx, R_RCX(%rax)
    movq    %rdx, R_RDX(%rax)
    movq    %rsi, R_RSI(%rax)
    movq    %rdi, R_RDI(%rax)
    movq    %rbp, R_RBP(%rax)
    movq    %r8, R_R8(%rax)
    movq    %r9, R_R9(%rax)
    movq    %r10, R_R10(%rax)
    movq    %r11, R_R11(%rax)
    movq    %r12, R_R12(%rax)
    movq    %r13, R_R13(%rax)
    movq    %r14, R_R14(%rax)
    movq    %r15, R_R15(%rax)
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
