/* A tiny PV guest kernel for the self-test (not run from this address: the
 * bytes are copied into a guest page at 0x400000 and executed in ring 3).
 * It makes hypercalls through `syscall` (ref/xen-pv-abi.md 4.1), takes an
 * int3 through its trap table and returns with the iret hypercall, checks
 * the results, prints its verdict with console_io and shuts down with
 * reason 0 (poweroff) on success, 3 (crash) on failure. */

    .section .rodata, "a"
    .code64
    .globl pv_selftest_blob, pv_selftest_blob_end
pv_selftest_blob:
    xorl    %r12d, %r12d
    /* clobber the SSE registers the other guest relies on */
    pcmpeqb %xmm0, %xmm0
    /* xen_version(XENVER_version) must say 4.17 */
    movl    $17, %eax
    xorl    %edi, %edi
    xorl    %esi, %esi
    syscall
    cmpl    $0x40011, %eax
    jne     fail
    /* an unknown hypercall number gives -ENOSYS */
    movl    $63, %eax
    syscall
    cmpq    $-38, %rax
    jne     fail
    /* console_io with a pointer into the hypervisor gives -EFAULT */
    movl    $18, %eax
    xorl    %edi, %edi
    movl    $8, %esi
    movabsq $0xffff828000200000, %rdx
    syscall
    cmpq    $-14, %rax
    jne     fail
    /* set_trap_table: vector 3 -> on_int3 */
    movl    $0, %eax
    leaq    trap_table(%rip), %rdi
    leaq    on_int3(%rip), %rcx
    movq    %rcx, 8(%rdi)
    leaq    on_pf(%rip), %rcx
    movq    %rcx, 24(%rdi)
    syscall
    testq   %rax, %rax
    jnz     fail
    int3
    cmpl    $0x1234, %r12d              /* the handler ran and came back */
    jne     fail
    /* The M2P table is readable at its fixed address: r13 = our code
     * page's machine frame (Keel put it there), whose entry is pfn 0x400. */
    movabsq $0xffff800000000000, %rax
    movq    (%rax,%r13,8), %rbx
    cmpq    $0x400, %rbx
    jne     fail
    /* ... and never writable: the write must fault (#PF, present+write). */
    xorl    %r14d, %r14d
    movq    %rbx, (%rax,%r13,8)
after_m2p_write:
    cmpl    $0x5678, %r14d
    jne     fail
    /* Emulated privileged instructions (ref 8): forced CPUID finds Xen's
     * leaves; rdmsr PAT gives the ABI value; wrmsr/rdmsr GS_BASE; a domU
     * port read gives all-ones; a CR0 read works. */
    movl    $0x40000000, %eax
    xorl    %ecx, %ecx
    .byte 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2
    cmpl    $0x566e6558, %ebx
    jne     fail
    movl    $0x277, %ecx
    rdmsr
    cmpl    $0x00070406, %eax
    jne     fail
    cmpl    $0x00000501, %edx
    jne     fail
    movl    $0xc0000101, %ecx
    movl    $0x12345000, %eax
    movl    $0xffffffff, %edx
    wrmsr
    xorl    %eax, %eax
    xorl    %edx, %edx
    rdmsr
    cmpl    $0x12345000, %eax
    jne     fail
    cmpl    $0xffffffff, %edx
    jne     fail
    pushq   $1                          /* physdev_op(set_iopl, {1}) */
    movq    %rsp, %rsi
    movl    $6, %edi
    movl    $33, %eax
    syscall
    popq    %rcx
    testq   %rax, %rax
    jnz     fail
    inb     $0x71, %al
    cmpb    $0xff, %al
    jne     fail
    movq    %cr0, %rax
    testl   $1, %eax                    /* PE */
    jz      fail
    /* verdict and shutdown(poweroff) */
    movl    $18, %eax
    xorl    %edi, %edi
    movl    $(msg_pass_end - msg_pass), %esi
    leaq    msg_pass(%rip), %rdx
    syscall
    xorl    %ecx, %ecx
    jmp     shutdown
fail:
    movl    $18, %eax
    xorl    %edi, %edi
    movl    $(msg_fail_end - msg_fail), %esi
    leaq    msg_fail(%rip), %rdx
    syscall
    movl    $3, %ecx
shutdown:
    pushq   %rcx                        /* struct sched_shutdown { reason } */
    movq    %rsp, %rsi
    movl    $2, %edi                    /* SCHEDOP_shutdown */
    movl    $29, %eax
    syscall
    ud2

/* Bounce frame (ref 3.5): RCX, R11, RIP, CS, RFLAGS, RSP, SS at RSP.
 * Return with the iret hypercall's frame: RAX, R11, RCX, flags, RIP... */
on_int3:
    movl    $0x1234, %r12d
    popq    %rcx
    popq    %r11
    pushq   $0                          /* flags */
    pushq   %rcx
    pushq   %r11
    pushq   %rax
    movl    $23, %eax
    syscall
    ud2

/* #PF: frame RCX, R11, error, RIP, ... Expect present+write; resume after
 * the faulting store. */
on_pf:
    popq    %rcx
    popq    %r11
    popq    %rbx                        /* error code */
    andl    $3, %ebx
    cmpl    $3, %ebx
    jne     1f
    movl    $0x5678, %r14d
1:  leaq    after_m2p_write(%rip), %rbx
    movq    %rbx, (%rsp)                /* resume address */
    pushq   $0
    pushq   %rcx
    pushq   %r11
    pushq   %rax
    movl    $23, %eax
    syscall
    ud2

    .balign 8
trap_table:                             /* struct trap_info: int3, #PF, end
                                           (the code page is writable) */
    .byte 3, 3
    .short 0xe033
    .long 0
    .quad 0
    .byte 14, 0
    .short 0xe033
    .long 0
    .quad 0
    .quad 0, 0
msg_pass:
    .ascii "keel pv selftest: guest says PASS\n"
msg_pass_end:
msg_fail:
    .ascii "keel pv selftest: guest says FAIL\n"
msg_fail_end:
pv_selftest_blob_end:

/* A guest that spins for a while (so it shares its CPU with the other one
 * for several time slices), then reads an unmapped address with no trap
 * table: Keel must crash this domain only, and return its memory. */
    .globl pv_selftest_crash_blob, pv_selftest_crash_blob_end
pv_selftest_crash_blob:
    /* xmm0 must survive the other guest's time slices (FPU switching):
     * if it does not, shut down cleanly, which the test counts as failure. */
    movabsq $0x1122334455667788, %rax
    movq    %rax, %xmm0
    movl    $50000000, %ecx
1:  decl    %ecx
    jnz     1b
    movq    %xmm0, %rbx
    cmpq    %rax, %rbx
    jne     2f
    movq    0x10, %rax
    ud2
2:  pushq   $0
    movq    %rsp, %rsi
    movl    $2, %edi
    movl    $29, %eax
    syscall
    ud2
pv_selftest_crash_blob_end:
