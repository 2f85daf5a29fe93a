/* Secondary-CPU start: copied to a page below 1 MiB, entered in real mode
 * at its start by the startup IPI (SDM vol. 3A 8.4.4). It runs from any
 * page: the boot CPU patches the absolute addresses in the parameter block
 * before each start. */
#include <keel/memlayout.h>

#define OFF(x)  ((x) - trampoline_start)

    .section .rodata, "a"
    .code16
    .globl trampoline_start, trampoline_end
    .globl tramp_param_gdt_base, tramp_param_jmp32, tramp_param_cr3, tramp_param_jmp64
    .globl tramp_param_stack, tramp_param_entry, tramp_param_efer
    .globl tramp_entry32, tramp_entry64, tramp_gdt
trampoline_start:
    cli
    cld
    movw    %cs, %ax
    movw    %ax, %ds
    movzwl  %ax, %ebx
    shll    $4, %ebx                    /* %ebx = physical base of the trampoline */
    lgdtl   OFF(tramp_gdt_desc)
    movl    %cr0, %eax
    orl     $1, %eax
    movl    %eax, %cr0
    ljmpl   *OFF(tramp_param_jmp32)

    .code32
tramp_entry32:
    movl    $0x10, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movl    %cr4, %eax
    orl     $(1 << 5), %eax             /* PAE */
    movl    %eax, %cr4
    movl    OFF(tramp_param_cr3)(%ebx), %eax
    movl    %eax, %cr3
    movl    $0xc0000080, %ecx
    movl    OFF(tramp_param_efer)(%ebx), %eax
    xorl    %edx, %edx
    wrmsr
    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16)), %eax
    movl    %eax, %cr0
    ljmpl   *OFF(tramp_param_jmp64)(%ebx)

    .code64
tramp_entry64:
    movl    %ebx, %ebx                  /* upper half undefined after the mode switch */
    movq    OFF(tramp_param_stack)(%rbx), %rsp
    movq    OFF(tramp_param_entry)(%rbx), %rax
    xorl    %ebp, %ebp
    jmp     *%rax

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
    .quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
tramp_gdt_desc:
    .short 31
tramp_param_gdt_base:
    .long 0
    .align 8
tramp_param_jmp32:                      /* far pointer: offset, selector */
    .long 0
    .short 0x08
    .align 8
tramp_param_jmp64:
    .long 0
    .short 0x18
    .align 8
tramp_param_cr3:
    .quad 0
tramp_param_efer:
    .quad 0
tramp_param_stack:
    .quad 0
tramp_param_entry:
    .quad 0
trampoline_end:
