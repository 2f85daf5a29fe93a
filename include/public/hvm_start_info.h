/* PVH start of day (our definitions of Xen's ABI facts: Xen 4.17
 * xen/include/public/arch-x86/hvm/start_info.h, docs/misc/pvh.pandoc).
 * vCPU 0 enters at XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected mode,
 * paging off, flat 4 GiB CS (execute/read) and DS/ES/SS (read/write),
 * TR a 32-bit TSS, EBX = physical address of struct hvm_start_info,
 * other registers and flags 0 (except CR0.PE, and EFLAGS bit 1). */
#ifndef KEEL_PUBLIC_HVM_START_INFO_H
#define KEEL_PUBLIC_HVM_START_INFO_H

#include <keel/types.h>

#define HVM_START_MAGIC         0x336ec578
#define HVM_MEMMAP_TYPE_RAM     1
#define HVM_MEMMAP_TYPE_RESERVED 2

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;           /* 1: memmap fields present */
    uint32_t flags;             /* SIF_* (public/xen.h) */
    uint32_t nr_modules;
    uint64_t modlist_paddr;     /* struct hvm_modlist_entry[nr_modules] */
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;      /* struct hvm_memmap_entry[memmap_entries] */
    uint32_t memmap_entries;
    uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry size");

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "hvm_memmap_entry size");

/* VCPUOP_initialise for a PVH vCPU (Xen 4.17 public/hvm/hvm_vcpu.h). */
#define VCPU_HVM_MODE_32B   0
#define VCPU_HVM_MODE_64B   1

struct vcpu_hvm_x86_32 {
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags;
    uint32_t cr0, cr3, cr4, pad1;
    uint64_t efer;
    uint32_t cs_base, ds_base, ss_base, es_base, tr_base;
    uint32_t cs_limit, ds_limit, ss_limit, es_limit, tr_limit;
    uint16_t cs_ar, ds_ar, ss_ar, es_ar, tr_ar;
    uint16_t pad2[3];
};
_Static_assert(sizeof(struct vcpu_hvm_x86_32) == 120, "vcpu_hvm_x86_32 size");

struct vcpu_hvm_x86_64 {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags;
    uint64_t cr0, cr3, cr4, efer;
};
_Static_assert(sizeof(struct vcpu_hvm_x86_64) == 112, "vcpu_hvm_x86_64 size");

struct vcpu_hvm_context {
    uint32_t mode;
    uint32_t pad;
    union {
        struct vcpu_hvm_x86_32 x86_32;
        struct vcpu_hvm_x86_64 x86_64;
    } cpu_regs;
};
_Static_assert(sizeof(struct vcpu_hvm_context) == 128, "vcpu_hvm_context size");

#endif
