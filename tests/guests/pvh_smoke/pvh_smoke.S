/* pvh_smoke: the smallest PVH guest that proves Keel's HVM path end to end.
 * Entered through its XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected
 * mode, paging off, EBX = hvm_start_info (Xen's docs/misc/pvh.pandoc). It
 * checks the start_info magic, turns on long mode with 2 MiB identity
 * pages, checks CPUID 0x40000000 ("XenVMMXenVMM"), prints through
 * console_io with VMMCALL, writes a line to the debug port 0xe9, installs
 * the hypercall page through the MSR CPUID 0x40000002 names and calls
 * xen_version through it, then prints its verdict and powers off through
 * sched_op(SCHEDOP_shutdown, poweroff). Any failure prints a FAIL line and
 * halts with interrupts off (Keel then crashes the domain).
 * Verdict: "keel-test: pvh_smoke: PASS". */

#define HC_console_io   18
#define HC_xen_version  17
#define HC_sched_op     29
#define VMMCALL         .byte 0x0f, 0x01, 0xd9

    .section .note.Xen, "a", @note
    .balign 4
    .long 4, 4, 18                      /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_entry
    .balign 4
    .long 4, 4, 6                       /* XEN_ELFNOTE_GUEST_OS */
    .asciz "Xen"
    .asciz "Kel"

    .section .text32, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    movl    $stack_top, %esp
    movl    %ebx, start_info_pa
    cmpl    $0x336ec578, (%ebx)
    jne     bad32
    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD: 512 x 2 MiB identity. */
    movl    $pdpt + 3, pml4
    movl    $pd + 3, pdpt
    xorl    %ecx, %ecx
1:  movl    %ecx, %eax
    shll    $21, %eax
    orl     $0x83, %eax                 /* P, RW, PS */
    movl    %eax, pd(,%ecx,8)
    incl    %ecx
    cmpl    $512, %ecx
    jne     1b
    movl    %cr4, %eax
    orl     $0x20, %eax                 /* PAE */
    movl    %eax, %cr4
    movl    $pml4, %eax
    movl    %eax, %cr3
    movl    $0xc0000080, %ecx
    rdmsr
    orl     $0x100, %eax                /* LME */
    wrmsr
    movl    %cr0, %eax
    orl     $0x80000001, %eax           /* PG, PE */
    movl    %eax, %cr0
    lgdt    gdt_desc
    ljmp    $0x08, $long_mode
bad32:
    hlt
    jmp     bad32

    .section .text, "ax"
    .code64
long_mode:
    movl    $0x10, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movq    $stack_top, %rsp
    lea     msg_long(%rip), %rdi
    call    puts
    /* CPUID 0x40000000: Xen's signature. */
    movl    $0x40000000, %eax
    cpuid
    cmpl    $0x566e6558, %ebx
    jne     fail
    cmpl    $0x65584d4d, %ecx
    jne     fail
    cmpl    $0x4d4d566e, %edx
    jne     fail
    lea     msg_cpuid(%rip), %rdi
    call    puts
    /* Debug port 0xe9: one line. */
    lea     msg_e9(%rip), %rsi
2:  lodsb
    testb   %al, %al
    jz      3f
    outb    %al, $0xe9
    jmp     2b
3:  /* Hypercall page at the MSR CPUID 0x40000002 EBX names. */
    movl    $0x40000002, %eax
    cpuid
    movl    %ebx, %ecx
    movl    $hypercall_page, %eax
    xorl    %edx, %edx
    wrmsr
    xorl    %edi, %edi                  /* XENVER_version */
    xorl    %esi, %esi
    call    hypercall_page + HC_xen_version * 32
    cmpq    $0x40011, %rax
    jne     fail
    lea     msg_page(%rip), %rdi
    call    puts
    lea     msg_pass(%rip), %rdi
    call    puts
    /* sched_op(SCHEDOP_shutdown, &{SHUTDOWN_poweroff}) */
    movl    $HC_sched_op, %eax
    movl    $2, %edi
    lea     reason(%rip), %rsi
    VMMCALL
fail:
    lea     msg_fail(%rip), %rdi
    call    puts
4:  cli
    hlt
    jmp     4b

/* puts(rdi): console_io(CONSOLEIO_write, strlen, rdi) through VMMCALL. */
puts:
    movq    %rdi, %rdx
    xorl    %esi, %esi
5:  cmpb    $0, (%rdi,%rsi)
    je      6f
    incq    %rsi
    jmp     5b
6:  movl    $HC_console_io, %eax
    xorl    %edi, %edi
    VMMCALL
    ret

    .section .rodata, "a"
msg_long:   .asciz "pvh_smoke: in long mode through the PVH entry, start_info magic ok\n"
msg_cpuid:  .asciz "pvh_smoke: CPUID 0x40000000 says XenVMMXenVMM\n"
msg_e9:     .asciz "pvh_smoke: hello through port 0xe9\n"
msg_page:   .asciz "pvh_smoke: xen_version through the hypercall page: 4.17\n"
msg_pass:   .asciz "keel-test: pvh_smoke: PASS\n"
msg_fail:   .asciz "keel-test: pvh_smoke: FAIL\n"
    .balign 8
gdt:        .quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff
gdt_desc:   .word 23
            .long gdt
reason:     .long 0                     /* SHUTDOWN_poweroff */

    .section .bss, "aw", @nobits
    .balign 4096
pml4:       .skip 4096
pdpt:       .skip 4096
pd:         .skip 4096
hypercall_page: .skip 4096
            .skip 8192
stack_top:
start_info_pa: .skip 8
