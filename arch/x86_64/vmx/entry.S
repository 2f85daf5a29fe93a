/* VMX guest entry and the VM-exit stub.
 *
 * int vmx_enter(struct cpu_regs *regs, int launched)
 *   Loads the guest's general registers from regs (struct cpu_regs order,
 *   include/keel/traps.h) and runs VMLAUNCH (launched == 0) or VMRESUME.
 *   When the guest exits, the CPU continues at vmx_exit_stub (VMCS host
 *   RIP) with the stack pointer this function wrote into VMCS host RSP; the
 *   stub stores the guest's registers into regs and returns 0 from here.
 *   If the instruction itself fails, returns 1 (VMfailInvalid: no current
 *   VMCS) or 2 (VMfailValid: the VM-instruction error field says why).
 * RIP, RSP and RFLAGS of the guest live in the VMCS; the caller moves them.
 * Called with interrupts off: an interrupt between here and the exit stub
 * would run on a stack whose RSP the VMCS must still match. */
#include <keel/memlayout.h>

#define VMCS_HOST_RSP   0x6c14

#include <keel/cpu_regs_offsets.h>

    .section .text, "ax"
    .code64

    .globl vmx_enter
vmx_enter:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    pushq   %rdi                        /* regs: found at (%rsp) on exit */
    movl    $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    jbe     .Lfail                      /* CF or ZF: the VMCS is not usable */
    testl   %esi, %esi                  /* flags survive the movs below */
    movq    CPU_REGS_RAX(%rdi), %rax
    movq    CPU_REGS_RBX(%rdi), %rbx
    movq    CPU_REGS_RCX(%rdi), %rcx
    movq    CPU_REGS_RDX(%rdi), %rdx
    movq    CPU_REGS_RSI(%rdi), %rsi
    movq    CPU_REGS_RBP(%rdi), %rbp
    movq    CPU_REGS_R8(%rdi), %r8
    movq    CPU_REGS_R9(%rdi), %r9
    movq    CPU_REGS_R10(%rdi), %r10
    movq    CPU_REGS_R11(%rdi), %r11
    movq    CPU_REGS_R12(%rdi), %r12
    movq    CPU_REGS_R13(%rdi), %r13
    movq    CPU_REGS_R14(%rdi), %r14
    movq    CPU_REGS_R15(%rdi), %r15
    movq    CPU_REGS_RDI(%rdi), %rdi
    jnz     .Lresume
    vmlaunch
    jmp     .Lfail
.Lresume:
    vmresume
.Lfail:
    movl    $2, %eax                    /* movs keep the flags */
    jz      1f                          /* ZF: VMfailValid */
    movl    $1, %eax                    /* CF: VMfailInvalid */
1:  popq    %rdi
    jmp     .Lreturn

    .globl vmx_exit_stub
vmx_exit_stub:
    pushq   %rdi                        /* the guest's */
    movq    8(%rsp), %rdi               /* regs */
    movq    %rax, CPU_REGS_RAX(%rdi)
    movq    %rbx, CPU_REGS_RBX(%rdi)
    movq    %rcx, CPU_REGS_RCX(%rdi)
    movq    %rdx, CPU_REGS_RDX(%rdi)
    movq    %rsi, CPU_REGS_RSI(%rdi)
    movq    %rbp, CPU_REGS_RBP(%rdi)
    movq    %r8, CPU_REGS_R8(%rdi)
    movq    %r9, CPU_REGS_R9(%rdi)
    movq    %r10, CPU_REGS_R10(%rdi)
    movq    %r11, CPU_REGS_R11(%rdi)
    movq    %r12, CPU_REGS_R12(%rdi)
    movq    %r13, CPU_REGS_R13(%rdi)
    movq    %r14, CPU_REGS_R14(%rdi)
    movq    %r15, CPU_REGS_R15(%rdi)
    popq    %rax
    movq    %rax, CPU_REGS_RDI(%rdi)
    popq    %rdi
    xorl    %eax, %eax
.Lreturn:
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
