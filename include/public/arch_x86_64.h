/* Xen PV guest ABI, x86-64 architecture part: flat selectors, the virtual
 * address split, register frames (cpu_user_regs, the iret hypercall frame,
 * the bounce frames the hypervisor builds on the guest stack) and the arch
 * parts of vcpu_info / shared_info.
 * Written from shared/ref/xen-pv-abi.md §3, §5.15, §6 (facts only; no Xen
 * header text). Included by public/xen.h; safe in assembly (__ASSEMBLY__). */
#ifndef KEEL_PUBLIC_ARCH_X86_64_H
#define KEEL_PUBLIC_ARCH_X86_64_H

/* ---- Flat selectors in Xen's reserved GDT area (ref §3.1) ---- */
#define FIRST_RESERVED_GDT_PAGE     14
#define FIRST_RESERVED_GDT_BYTE     (FIRST_RESERVED_GDT_PAGE * 4096)     /* 57344 */
#define FIRST_RESERVED_GDT_ENTRY    (FIRST_RESERVED_GDT_BYTE / 8)        /* 0x1c00 */
#define GUEST_GDT_MAX_ENTRIES       FIRST_RESERVED_GDT_ENTRY             /* 7168 */

#define FLAT_RING3_CS32             0xe023  /* entry 0x1c04, 32-bit code DPL3 */
#define FLAT_RING3_DS32             0xe02b  /* entry 0x1c05 */
#define FLAT_RING3_SS32             0xe02b
#define FLAT_RING3_CS64             0xe033  /* entry 0x1c06, 64-bit code DPL3 */
#define FLAT_RING3_DS64             0x0000  /* NULL selector in long mode */
#define FLAT_RING3_SS64             0xe02b

#define FLAT_KERNEL_CS64            FLAT_RING3_CS64
#define FLAT_KERNEL_DS64            FLAT_RING3_DS64
#define FLAT_KERNEL_SS64            FLAT_RING3_SS64
#define FLAT_USER_CS64              FLAT_RING3_CS64
#define FLAT_USER_DS64              FLAT_RING3_DS64
#define FLAT_USER_SS64              FLAT_RING3_SS64
#define FLAT_KERNEL_CS32            FLAT_RING3_CS32
#define FLAT_KERNEL_DS32            FLAT_RING3_DS32
#define FLAT_KERNEL_SS32            FLAT_RING3_SS32
#define FLAT_USER_CS32              FLAT_RING3_CS32
#define FLAT_USER_DS32              FLAT_RING3_DS32
#define FLAT_USER_SS32              FLAT_RING3_SS32

#define FLAT_KERNEL_CS              FLAT_KERNEL_CS64
#define FLAT_KERNEL_DS              FLAT_KERNEL_DS64
#define FLAT_KERNEL_SS              FLAT_KERNEL_SS64
#define FLAT_USER_CS                FLAT_USER_CS64
#define FLAT_USER_DS                FLAT_USER_DS64
#define FLAT_USER_SS                FLAT_USER_SS64

#define XEN_HYPERVISOR_CS           0xe008  /* ring 0; never seen by a guest */

/* ---- Virtual address split (ref §3.3) ---- */
#define HYPERVISOR_VIRT_START       0xffff800000000000UL   /* L4 slot 256 */
#define HYPERVISOR_VIRT_END         0xffff880000000000UL   /* L4 slot 272 */
#define HYPERVISOR_L4_FIRST_SLOT    256
#define HYPERVISOR_L4_LAST_SLOT     271
#define MACH2PHYS_VIRT_START        0xffff800000000000UL
#define MACH2PHYS_VIRT_END          0xffff804000000000UL
#define MACH2PHYS_ENTRY_SHIFT       3                       /* 8 bytes per MFN */
#define MACH2PHYS_NR_ENTRIES        ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> MACH2PHYS_ENTRY_SHIFT)

/* ---- Bits of a guest PTE that the ABI names (ref §3.4) ---- */
#define _PAGE_GUEST_KERNEL          (1UL << 52)  /* set by the hypervisor on kernel L1e */
#define _PAGE_GNTTAB                (1UL << 62)  /* reserved for grant mappings */

/* ---- Flags of vcpu_guest_context and of the iret frame ---- */
#define VGCF_I387_VALID             (1U << 0)
#define VGCF_IN_KERNEL              (1U << 2)
#define VGCF_FAILSAFE_DISABLES_EVENTS (1U << 3)
#define VGCF_SYSCALL_DISABLES_EVENTS  (1U << 4)
#define VGCF_ONLINE                 (1U << 5)
#define VGCF_IN_SYSCALL             (1U << 8)    /* iret: return with SYSRET */

/* Exceptions that push an error code (ref §3.5 item 7). */
#define TRAP_HAS_ERROR_CODE(v) \
    ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || (v) == 13 || \
     (v) == 14 || (v) == 17 || (v) == 21 || (v) == 30)

/* Bits 32-39 of the CS word of a bounce frame carry the saved upcall mask. */
#define BOUNCE_CS_MASK_SHIFT        32

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stddef.h>

/* Guest register file as the hypervisor stores it (200 bytes, ref §5.15). */
struct cpu_user_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;
    uint32_t entry_vector;
    uint64_t rip;
    uint16_t cs, _pad0[1];
    uint8_t  saved_upcall_mask;
    uint8_t  _pad1[3];
    uint64_t rflags;
    uint64_t rsp;
    uint16_t ss, _pad2[3];
    uint16_t es, _pad3[3];
    uint16_t ds, _pad4[3];
    uint16_t fs, _pad5[3];
    uint16_t gs, _pad6[3];
};
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs size");
_Static_assert(offsetof(struct cpu_user_regs, r11) == 48, "cpu_user_regs.r11");
_Static_assert(offsetof(struct cpu_user_regs, rax) == 80, "cpu_user_regs.rax");
_Static_assert(offsetof(struct cpu_user_regs, rdi) == 112, "cpu_user_regs.rdi");
_Static_assert(offsetof(struct cpu_user_regs, error_code) == 120, "cpu_user_regs.error_code");
_Static_assert(offsetof(struct cpu_user_regs, entry_vector) == 124, "cpu_user_regs.entry_vector");
_Static_assert(offsetof(struct cpu_user_regs, rip) == 128, "cpu_user_regs.rip");
_Static_assert(offsetof(struct cpu_user_regs, cs) == 136, "cpu_user_regs.cs");
_Static_assert(offsetof(struct cpu_user_regs, saved_upcall_mask) == 140, "cpu_user_regs.saved_upcall_mask");
_Static_assert(offsetof(struct cpu_user_regs, rflags) == 144, "cpu_user_regs.rflags");
_Static_assert(offsetof(struct cpu_user_regs, rsp) == 152, "cpu_user_regs.rsp");
_Static_assert(offsetof(struct cpu_user_regs, ss) == 160, "cpu_user_regs.ss");
_Static_assert(offsetof(struct cpu_user_regs, es) == 168, "cpu_user_regs.es");
_Static_assert(offsetof(struct cpu_user_regs, ds) == 176, "cpu_user_regs.ds");
_Static_assert(offsetof(struct cpu_user_regs, fs) == 184, "cpu_user_regs.fs");
_Static_assert(offsetof(struct cpu_user_regs, gs) == 192, "cpu_user_regs.gs");

/* Frame at the guest RSP when it issues HYPERVISOR_iret (ref §3.7). */
struct iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct iret_context) == 72, "iret_context size");
_Static_assert(offsetof(struct iret_context, flags) == 24, "iret_context.flags");
_Static_assert(offsetof(struct iret_context, rip) == 32, "iret_context.rip");
_Static_assert(offsetof(struct iret_context, ss) == 64, "iret_context.ss");

/* Bounce frame for an exception without error code, an event upcall or a
 * user syscall (ref §3.5); the handler's RSP points at rcx. */
struct bounce_frame {
    uint64_t rcx, r11, rip;
    uint64_t cs;        /* bits 0-15 selector, 32-39 saved upcall mask */
    uint64_t rflags, rsp, ss;
};
_Static_assert(sizeof(struct bounce_frame) == 56, "bounce_frame size");

/* Same, for the exceptions that carry an error code. */
struct bounce_frame_err {
    uint64_t rcx, r11, error_code, rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct bounce_frame_err) == 64, "bounce_frame_err size");
_Static_assert(offsetof(struct bounce_frame_err, rip) == 24, "bounce_frame_err.rip");

/* Failsafe callback frame (ref §3.6). */
struct failsafe_frame {
    uint64_t rcx, r11, ds, es, fs, gs, rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct failsafe_frame) == 88, "failsafe_frame size");
_Static_assert(offsetof(struct failsafe_frame, rip) == 48, "failsafe_frame.rip");

/* Arch part of vcpu_info (ref §6.2). */
struct arch_vcpu_info {
    uint64_t cr2;       /* fault address of the last #PF delivered */
    uint64_t pad;
};
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info size");

/* Arch part of shared_info (ref §6.1). */
struct arch_shared_info {
    uint64_t max_pfn;
    uint64_t pfn_to_mfn_frame_list_list;
    uint64_t nmi_reason;
    uint64_t p2m_cr3;
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
};
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info size");

#endif /* !__ASSEMBLY__ */
#endif
