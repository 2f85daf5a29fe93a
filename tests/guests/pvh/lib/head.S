/* PVH entry (Xen docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"): the
 * domain builder enters pvh_start32 in 32-bit protected mode, paging off,
 * flat segments, EBX = guest-physical address of struct hvm_start_info
 * (public/arch-x86/hvm/start_info.h). We record the entry state, clear
 * .bss, identity-map the first 4 GiB with 2 MiB pages, enter long mode and
 * call pvh_main(start_info). Secondary vCPUs enter pvh_ap_start64 already
 * in long mode (VCPUOP_initialise, VCPU_HVM_MODE_64B). */

#define XEN_ELFNOTE_GUEST_OS      6     /* public/elfnote.h */
#define XEN_ELFNOTE_PHYS32_ENTRY  18    /* public/elfnote.h */

.macro XEN_NOTE type:req, desc:vararg
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:  \desc
4:  .balign 4
    .popsection
.endm

    XEN_NOTE XEN_ELFNOTE_GUEST_OS, .asciz "keel-pvh-test"
    XEN_NOTE XEN_ELFNOTE_PHYS32_ENTRY, .long pvh_start32

#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)
#define CR0_PG      0x80000000
#define CR4_PAE     (1 << 5)

    .section .text.entry, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    /* Entry state for the start-of-day checks (before anything changes it). */
    mov %ebx, pvh_entry32 + 0
    mov %cr0, %eax
    mov %eax, pvh_entry32 + 4
    mov %cr4, %eax
    mov %eax, pvh_entry32 + 8
    mov $boot_stack_top, %esp
    pushfl
    popl pvh_entry32 + 12
    mov %cs, %ax
    movw %ax, pvh_entry32 + 16
    mov %ss, %ax
    movw %ax, pvh_entry32 + 18

    /* .bss (page tables and stacks live there): not assumed zero. */
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages: GPA 0-4 GiB. */
    /* U/S set at every level: lib/user.c runs test code in ring 3. */
    movl $(pvh_pdpt + 0x7), pvh_pml4
    mov $pvh_pdpt, %edi
    mov $(pvh_pd + 0x7), %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b
    mov $pvh_pd, %edi
    mov $0x87, %eax             /* P | RW | US | PS */
    xor %edx, %edx              /* bits 32+ of each entry */
    mov $2048, %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $pvh_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    lgdt gdt_desc
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    mov %ebx, %edi
    call pvh_main
3:  hlt
    jmp 3b

/* A secondary vCPU: VCPUOP_initialise gave it CR3/CR0/CR4/EFER, RIP, RSP
 * and flat 64-bit segments with selector 0 (hvm/domain.c); it loads our
 * GDT and IDT and calls pvh_ap_main(rdi) (RDI set by the initialiser). */
    .globl pvh_ap_start64
pvh_ap_start64:
    lgdt gdt_desc
    push $0x08
    lea 1f(%rip), %rax
    push %rax
    lretq
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    call pvh_ap_main
2:  hlt
    jmp 2b

    .section .data
    .balign 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00af9b000000ffff    /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf93000000ffff    /* 0x10: flat data */
    .quad 0x00cff3000000ffff    /* 0x18: user data, DPL 3 */
    .quad 0x00affb000000ffff    /* 0x20: user 64-bit code, DPL 3 */
    .globl gdt_tss
gdt_tss:
    .quad 0, 0                  /* 0x28: 64-bit TSS, filled by user.c */
gdt_end:
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

    .globl pvh_entry32
    .balign 8
pvh_entry32:                    /* layout: struct pvh_entry_state */
    .fill 24, 1, 0

    .section .bss.pages, "aw", @nobits
    .balign 4096
    .globl pvh_pml4, pvh_pdpt, pvh_pd
pvh_pml4:   .skip 4096
pvh_pdpt:   .skip 4096
pvh_pd:     .skip 4 * 4096
    .globl boot_stack_top
boot_stack: .skip 16384
boot_stack_top:
