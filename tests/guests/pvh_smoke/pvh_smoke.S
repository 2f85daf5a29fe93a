/* pvh_smoke: the smallest PVH guest that proves Keel's HVM path end to end.
 * Entered through its XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected
 * mode, paging off, EBX = hvm_start_info (Xen's docs/misc/pvh.pandoc). It
 * checks the start_info magic, turns on long mode with 2 MiB identity
 * pages, checks CPUID 0x40000000 ("XenVMMXenVMM"), prints through
 * console_io with VMMCALL, writes a line to the debug port 0xe9, installs
 * the hypercall page through the MSR CPUID 0x40000002 names and calls
 * xen_version through it. Events: shared_info mapped with
 * XENMEM_add_to_physmap, HVM_PARAM_CALLBACK_IRQ set to vector 0xf3,
 * VIRQ_TIMER bound, three one-shot timers (set_timer_op) each waited for
 * with sti; hlt and counted by the vector's handler. With a second vCPU
 * it starts it in long mode (VCPUOP_initialise with a vcpu_hvm_context,
 * VCPUOP_up), which prints and takes itself down. Then the verdict, and
 * power off through sched_op(SCHEDOP_shutdown, poweroff).
 * Command line "bench": also measures, in guest TSC cycles (deterministic
 * under QEMU's -icount shift=0; tools/pvhbench.sh), a null hypercall by
 * VMMCALL (xen_version), a CPUID exit and a nested-page-fault round trip
 * (a read of the xAPIC version register at 0xFEE00030, which Keel decodes
 * and emulates), the least of 7 rounds of 1000 each, and prints
 * "pvh_smoke: bench: vmmcall N cycles, cpuid M cycles, xapic-read K cycles".
 * Command line "vmrun": first executes VMRUN, which must raise #UD in the
 * guest (no nested virtualization). Command line "npf": reads guest-
 * physical 128 MiB, outside its memory: Keel must crash the domain. Any failure prints a FAIL line and
 * halts with interrupts off (Keel then crashes the domain).
 * Verdict: "keel-test: pvh_smoke: PASS". */

#define HC_console_io   18
#define HC_xen_version  17
#define HC_sched_op     29
#define HC_set_timer_op 15
#define HC_memory_op    12
#define HC_vcpu_op      24
#define HC_evtchn_op    32
#define HC_hvm_op       34
#define SHINFO          0x300000        /* gfn 0x300: where shared_info goes */
#define CALLBACK_VECTOR 0xf3
/* Every hypercall goes through hcall (VMMCALL; ret), which long_mode turns
 * into VMCALL on Intel CPUs, as Linux patches its hypercall sites: VMMCALL
 * is #UD on Intel and VMCALL #UD on AMD, neither exits. */
#define VMMCALL         call hcall

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
    xorl    %eax, %eax                  /* CPUID 0: "GenuineIntel" -> VMCALL */
    cpuid
    cmpl    $0x756e6547, %ebx           /* "Genu" */
    jne     1f
    movb    $0xc1, hcall + 2(%rip)
    movb    $0xc1, bench_call + 2(%rip)
1:  lea     msg_long(%rip), %rdi
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
    call    xcr0
    call    events
    call    second_vcpu
    call    hostile
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

/* Callback-vector events from VIRQ_TIMER. */
events:
    movl    $HC_memory_op, %eax         /* XENMEM_add_to_physmap, shared_info */
    movl    $7, %edi
    lea     xatp(%rip), %rsi
    VMMCALL
    testq   %rax, %rax
    jnz     fail
    lea     handler(%rip), %rax         /* IDT entry 0xf3: interrupt gate */
    lea     idt + CALLBACK_VECTOR * 16(%rip), %rdi
    movw    %ax, (%rdi)
    movw    $0x08, 2(%rdi)
    movw    $0x8e00, 4(%rdi)
    shrq    $16, %rax
    movw    %ax, 6(%rdi)
    shrq    $16, %rax
    movl    %eax, 8(%rdi)
    lidt    idt_desc(%rip)
    movl    $HC_hvm_op, %eax            /* HVMOP_set_param CALLBACK_IRQ, type vector */
    xorl    %edi, %edi
    lea     hvm_param(%rip), %rsi
    VMMCALL
    testq   %rax, %rax
    jnz     fail
    movl    $HC_evtchn_op, %eax         /* EVTCHNOP_bind_virq VIRQ_TIMER */
    movl    $1, %edi
    lea     bind_virq(%rip), %rsi
    VMMCALL
    testq   %rax, %rax
    jnz     fail
    movl    bind_virq + 8(%rip), %eax
    movl    %eax, unmask(%rip)
    movl    $HC_evtchn_op, %eax         /* EVTCHNOP_unmask */
    movl    $9, %edi
    lea     unmask(%rip), %rsi
    VMMCALL
    movl    $HC_vcpu_op, %eax           /* VCPUOP_stop_periodic_timer: one-shots only */
    movl    $7, %edi
    xorl    %esi, %esi
    xorl    %edx, %edx
    VMMCALL
    xorl    %ebx, %ebx
7:  movl    ticks(%rip), %r12d
    movq    SHINFO + 48, %rdi           /* vcpu_info[0].time.system_time */
    addq    $2000000, %rdi              /* + 2 ms */
    movl    $HC_set_timer_op, %eax
    VMMCALL
8:  sti
    hlt
    cli
    cmpl    ticks(%rip), %r12d
    je      8b
    incl    %ebx
    cmpl    $3, %ebx
    jne     7b
    lea     msg_events(%rip), %rdi
    jmp     puts

/* The callback vector: acknowledge everything pending, count. */
handler:
    movb    $0, SHINFO                  /* vcpu_info[0].evtchn_upcall_pending */
    movq    $0, SHINFO + 8              /* evtchn_pending_sel */
    movq    $0, SHINFO + 0x800          /* evtchn_pending[0] (ports 0-63) */
    lock incl ticks(%rip)
    iretq

/* XSETBV (intercepted, checked by Keel): XCR0 = x87|SSE, read back. */
xcr0:
    movl    $1, %eax
    cpuid
    btl     $26, %ecx                   /* XSAVE */
    jnc     15f
    movq    %cr4, %rax
    orq     $0x40000, %rax              /* OSXSAVE */
    movq    %rax, %cr4
    xorl    %ecx, %ecx
    movl    $3, %eax
    xorl    %edx, %edx
    xsetbv
    xorl    %ecx, %ecx
    xgetbv
    cmpl    $3, %eax
    jne     fail
    lea     msg_xcr0(%rip), %rdi
    jmp     puts
15: ret

/* The hostile modes, from the command line's first word. */
hostile:
    movq    start_info_pa(%rip), %rsi
    movl    24(%rsi), %esi              /* cmdline_paddr (low half) */
    cmpl    $0x75726d76, (%rsi)         /* "vmru" */
    je      13f
    cmpl    $0x636e6562, (%rsi)         /* "benc" */
    je      bench
    cmpl    $0x0066706e, (%rsi)         /* "npf\0" */
    jne     14f
    lea     msg_npf(%rip), %rdi
    call    puts
    movq    0x8000000, %rax             /* 128 MiB: mapped by our page tables only */
    jmp     fail
13: lea     ud_handler(%rip), %rax      /* IDT entry 6 (#UD) */
    lea     idt + 6 * 16(%rip), %rdi
    movw    %ax, (%rdi)
    movw    $0x08, 2(%rdi)
    movw    $0x8e00, 4(%rdi)
    shrq    $16, %rax
    movw    %ax, 6(%rdi)
    shrq    $16, %rax
    movl    %eax, 8(%rdi)
    xorl    %eax, %eax                  /* a page-aligned VMCB address: a */
    .byte   0x0f, 0x01, 0xd8            /* vmrun; misaligned one is #GP before any intercept */
    cmpl    $1, ud_seen(%rip)
    jne     fail
    lea     msg_ud(%rip), %rdi
    jmp     puts
14: ret

/* bench: the least of 7 rounds of 1000 VMMCALLs, then of 1000 CPUIDs. */
bench:
    movl    $7, %r13d
    movq    $-1, %r14                   /* best vmmcall round */
    movq    $-1, %r15                   /* best cpuid round */
16: rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    movq    %rdx, %r12
    movl    $1000, %ebx
17: movl    $HC_xen_version, %eax
    xorl    %edi, %edi
    xorl    %esi, %esi
bench_call:                             /* inline (no call/ret in the figure), patched as hcall */
    .byte   0x0f, 0x01, 0xd9
    decl    %ebx
    jnz     17b
    rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    subq    %r12, %rdx
    cmpq    %r14, %rdx
    cmovbq  %rdx, %r14
    rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    movq    %rdx, %r12
    movl    $1000, %ebx
18: xorl    %eax, %eax
    xorl    %ecx, %ecx
    pushq   %rbx
    cpuid
    popq    %rbx
    decl    %ebx
    jnz     18b
    rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    subq    %r12, %rdx
    cmpq    %r15, %rdx
    cmovbq  %rdx, %r15
    decl    %r13d
    jnz     16b
    lea     msg_bench1(%rip), %rdi
    call    puts_nonl
    movq    %r14, %rax
    call    put_per_1000
    lea     msg_bench2(%rip), %rdi
    call    puts_nonl
    movq    %r15, %rax
    call    put_per_1000
    call    bench_npf
    pushq   %rax
    lea     msg_bench3(%rip), %rdi
    call    puts_nonl
    popq    %rax
    call    put_per_1000
    lea     msg_bench4(%rip), %rdi
    jmp     puts

/* The least of 7 rounds of 1000 reads of the xAPIC version register: each
 * a nested page fault (the LAPIC page is never in the nested tables) that
 * the hypervisor decodes and emulates. Maps 0xFEE00000 first (a 2 MiB
 * page, uncached, through PDPT[3]). Returns the best round in rax. */
bench_npf:
    lea     pd_hi(%rip), %rax
    orq     $3, %rax
    movq    %rax, pdpt + 3 * 8(%rip)
    movl    $0xfee0009b, %eax           /* P RW PWT PCD PS */
    movq    %rax, pd_hi + 0x1f7 * 8(%rip)
    movabsq $0xfee00000, %rsi
    movl    $7, %r13d
    movq    $-1, %r14
20: rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    movq    %rdx, %r12
    movl    $1000, %ebx
21: movl    0x30(%rsi), %eax            /* 8b 46 30 */
    decl    %ebx
    jnz     21b
    rdtsc
    shlq    $32, %rdx
    orq     %rax, %rdx
    subq    %r12, %rdx
    cmpq    %r14, %rdx
    cmovbq  %rdx, %r14
    decl    %r13d
    jnz     20b
    movl    0x30(%rsi), %eax
    cmpb    $0x10, %al                  /* an integrated APIC's version */
    jb      fail
    movq    %r14, %rax
    ret

/* Prints rax / 1000 in decimal. */
put_per_1000:
    xorl    %edx, %edx
    movl    $1000, %ecx
    divq    %rcx
    lea     numbuf + 20(%rip), %rdi
    movb    $0, (%rdi)
    movl    $10, %ecx
19: xorl    %edx, %edx
    divq    %rcx
    addb    $'0', %dl
    decq    %rdi
    movb    %dl, (%rdi)
    testq   %rax, %rax
    jnz     19b
    jmp     puts_nonl

ud_handler:
    addq    $3, (%rsp)                  /* past the 3-byte VMRUN */
    movl    $1, ud_seen(%rip)
    iretq

/* A second vCPU, if the domain has one. */
second_vcpu:
    movl    $HC_vcpu_op, %eax           /* VCPUOP_is_up(1): -ENOENT without it */
    movl    $3, %edi
    movl    $1, %esi
    xorl    %edx, %edx
    VMMCALL
    testq   %rax, %rax
    js      10f
    movl    $HC_vcpu_op, %eax           /* VCPUOP_initialise(1, 64-bit context) */
    xorl    %edi, %edi
    movl    $1, %esi
    lea     ap_context(%rip), %rdx
    VMMCALL
    testq   %rax, %rax
    jnz     fail
    movl    $HC_vcpu_op, %eax           /* VCPUOP_up(1) */
    movl    $1, %edi
    movl    $1, %esi
    xorl    %edx, %edx
    VMMCALL
    testq   %rax, %rax
    jnz     fail
    movl    $100000000, %ecx
9:  cmpl    $1, ap_done(%rip)
    je      11f
    pause
    loop    9b
    jmp     fail
10: lea     msg_one(%rip), %rdi
    jmp     puts
11: ret

ap_entry:
    lgdt    gdt_desc(%rip)
    movl    $0x10, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    lea     msg_ap(%rip), %rdi
    call    puts
    movl    $1, ap_done(%rip)
    movl    $HC_vcpu_op, %eax           /* VCPUOP_down(1): itself */
    movl    $2, %edi
    movl    $1, %esi
    xorl    %edx, %edx
    VMMCALL
12: pause
    jmp     12b

/* puts(rdi): console_io(CONSOLEIO_write, strlen, rdi) through VMMCALL. */
hcall:
    .byte   0x0f, 0x01, 0xd9            /* vmmcall (vmcall: 0f 01 c1) */
    ret

puts_nonl:
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
msg_events: .asciz "pvh_smoke: 3 VIRQ_TIMER events through callback vector 0xf3\n"
msg_npf:    .asciz "pvh_smoke: reading guest-physical 128 MiB, outside its memory\n"
msg_ud:     .asciz "pvh_smoke: VMRUN raised #UD in the guest\n"
msg_xcr0:   .asciz "pvh_smoke: XSETBV set XCR0 to x87|SSE\n"
msg_bench1: .asciz "pvh_smoke: bench: vmmcall "
msg_bench2: .asciz " cycles, cpuid "
msg_bench3: .asciz " cycles, xapic-read "
msg_bench4: .asciz " cycles\n"
msg_one:    .asciz "pvh_smoke: one vCPU\n"
msg_ap:     .asciz "pvh_smoke: vCPU 1 up in long mode (VCPUOP_initialise + up)\n"
    .balign 8
gdt:        .quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff
gdt_desc:   .word 23
            .quad gdt
idt_desc:   .word 256 * 16 - 1
            .quad idt
reason:     .long 0                     /* SHUTDOWN_poweroff */
    .balign 8
xatp:       .word 0x7ff0, 0             /* DOMID_SELF, size */
            .long 0                     /* XENMAPSPACE_shared_info */
            .quad 0, SHINFO >> 12       /* idx, gpfn */
hvm_param:  .word 0x7ff0, 0
            .long 0                     /* HVM_PARAM_CALLBACK_IRQ */
            .quad (2 << 56) | CALLBACK_VECTOR
ap_context: .long 1, 0                  /* VCPU_HVM_MODE_64B */
            .quad 0, 0, 0, 0            /* rax rcx rdx rbx */
            .quad ap_stack_top, 0, 0, 0 /* rsp rbp rsi rdi */
            .quad ap_entry, 2           /* rip rflags */
            .quad 0x80000011, pml4, 0x20, 0x500     /* cr0 cr3 cr4 efer */

    .section .data, "aw"
    .balign 4
bind_virq:  .long 0, 0, 0               /* VIRQ_TIMER, vCPU 0, port (out) */
unmask:     .long 0
ticks:      .long 0
ap_done:    .long 0
ud_seen:    .long 0
numbuf:     .skip 24

    .section .bss, "aw", @nobits
    .balign 4096
pml4:       .skip 4096
pdpt:       .skip 4096
pd:         .skip 4096
pd_hi:      .skip 4096                  /* 3-4 GiB: the xAPIC page (bench) */
hypercall_page: .skip 4096
idt:        .skip 4096
            .skip 8192
ap_stack_top:
            .skip 8192
stack_top:
start_info_pa: .skip 8
