/* Keel entry: Multiboot1 and Multiboot2 headers, 32-bit protected-mode
 * entry, boot page tables, switch to long mode and to the high image.
 * Multiboot1: 0.6.96 spec section 3.1 (a.out kludge, flag 16, makes QEMU's
 * -kernel load this ELF64 as a flat image). Multiboot2: spec 2.0 section 3.1. */
#include <keel/memlayout.h>

#define MB1_MAGIC       0x1badb002
#define MB1_FLAGS       0x00010003      /* page-align modules, mem info, a.out kludge */
#define MB2_MAGIC       0xe85250d6

#define PHYS(sym)       ((sym) - KEEL_IMAGE_VIRT_OFFSET)

    .section .boot.header, "a"
    .align 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
    .long mb1_header                    /* header_addr */
    .long __image_phys_start            /* load_addr */
    .long __load_end_phys               /* load_end_addr */
    .long __image_phys_end              /* bss_end_addr */
    .long boot_entry32                  /* entry_addr */

    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                             /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    /* information request: cmdline, modules, mmap, ACPI old/new, EFI mmap */
    .align 8
mb2_tag_info:
    .short 1, 0
    .long mb2_tag_info_end - mb2_tag_info
    .long 1, 3, 6, 14, 15, 17
mb2_tag_info_end:
    .align 8
    .short 3, 0                         /* entry address */
    .long 12
    .long boot_entry32
    .align 8
    .short 6, 0                         /* page-align modules */
    .long 8
    .align 8
    .short 0, 0                         /* end */
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .globl boot_entry32
boot_entry32:
    cli
    cld
    movl    %eax, boot_magic
    movl    %ebx, boot_info_phys
    lgdt    boot_gdt_desc
    ljmp    $0x08, $1f
1:  movl    $0x10, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movl    %eax, %fs
    movl    %eax, %gs
    movl    $boot_stack32_top, %esp

    /* Long mode is required. */
    movl    $0x80000000, %eax
    cpuid
    cmpl    $0x80000001, %eax
    jb      no_long_mode
    movl    $0x80000001, %eax
    cpuid
    btl     $29, %edx
    jnc     no_long_mode
    movl    %edx, %esi                  /* keep: bit 20 = NX */

    /* Boot page tables: identity map and early direct map of 0-4 GiB, and
     * the image window (phys 0-1 GiB at KEEL_IMAGE_VIRT_OFFSET), 2 MiB pages. */
    movl    $boot_pd, %edi
    xorl    %ecx, %ecx
2:  movl    %ecx, %eax
    shll    $21, %eax
    orl     $0x83, %eax                 /* present, writable, 2 MiB */
    movl    %eax, (%edi,%ecx,8)
    movl    %ecx, %eax
    shrl    $11, %eax                   /* bits 32+ of (ecx << 21) */
    movl    %eax, 4(%edi,%ecx,8)
    incl    %ecx
    cmpl    $2048, %ecx
    jne     2b
    movl    $boot_pdpt_low, %edi
    xorl    %ecx, %ecx
3:  movl    %ecx, %eax
    shll    $12, %eax
    addl    $(boot_pd + 3), %eax
    movl    %eax, (%edi,%ecx,8)
    incl    %ecx
    cmpl    $4, %ecx
    jne     3b
    movl    $(boot_pd + 3), boot_pdpt_high
    movl    $(boot_pdpt_low + 3), boot_pml4
    movl    $(boot_pdpt_high + 3), boot_pml4 + 8 * ((KEEL_IMAGE_VIRT_OFFSET >> 39) & 511)
    movl    $(boot_pdpt_low + 3), boot_pml4 + 8 * ((DIRECTMAP_VIRT_START >> 39) & 511)

    movl    %cr4, %eax
    orl     $(1 << 5), %eax             /* PAE */
    movl    %eax, %cr4
    movl    $boot_pml4, %eax
    movl    %eax, %cr3
    movl    $0xc0000080, %ecx           /* EFER */
    rdmsr
    orl     $(1 << 8), %eax             /* LME */
    btl     $20, %esi
    jnc     4f
    orl     $(1 << 11), %eax            /* NXE */
4:  wrmsr
    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    movl    %eax, %cr0
    ljmp    $0x18, $boot_entry64

no_long_mode:
    movl    $msg_no_long_mode, %esi
5:  lodsb
    testb   %al, %al
    jz      7f
    movb    %al, %bl
    movw    $0x3fd, %dx                 /* COM1 LSR: wait for THR empty */
6:  inb     %dx, %al
    testb   $0x20, %al
    jz      6b
    movb    %bl, %al
    movw    $0x3f8, %dx
    outb    %al, %dx
    jmp     5b
7:  hlt
    jmp     7b

    .code64
boot_entry64:
    xorl    %eax, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movl    %eax, %fs
    movl    %eax, %gs
    movabsq $boot_high64, %rax
    jmp     *%rax

    .section .boot.data, "aw"
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
    .quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
boot_gdt_end:
boot_gdt_desc:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .globl boot_magic, boot_info_phys
boot_magic:
    .long 0
boot_info_phys:
    .long 0
msg_no_long_mode:
    .asciz "Keel: this CPU has no 64-bit long mode; cannot boot.\r\n"
    .align 4096
    .globl boot_pml4
boot_pml4:
    .fill 4096, 1, 0
boot_pdpt_low:
    .fill 4096, 1, 0
boot_pdpt_high:
    .fill 4096, 1, 0
boot_pd:
    .fill 4 * 4096, 1, 0
boot_stack32:
    .fill 1024, 1, 0
boot_stack32_top:

    .section .text.entry, "ax"
    .code64
boot_high64:
    /* Zero .bss (GRUB and QEMU do it too; be sure), then run on the BSP's
     * boot stack block; its top holds cpu0's cpu_info. */
    leaq    __bss_start(%rip), %rdi
    leaq    __bss_end(%rip), %rcx
    subq    %rdi, %rcx
    xorl    %eax, %eax
    rep stosb
    leaq    bsp_boot_stack(%rip), %rsp
    addq    $(STACK_BLOCK_SIZE - CPU_INFO_SIZE), %rsp
    xorl    %ebp, %ebp
    movl    boot_magic, %edi
    movl    boot_info_phys, %esi
    call    kmain
8:  cli
    hlt
    jmp     8b

    /* linker.ld places this first in .bss, aligned to STACK_BLOCK_SIZE (an
     * .align here would raise the ELF segment alignment and break the flat
     * file layout). */
    .section .bss.stack, "aw", @nobits
    .align 4096
    .globl bsp_boot_stack
bsp_boot_stack:
    .skip STACK_BLOCK_SIZE
