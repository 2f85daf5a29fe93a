/* Xen PV guest ABI, core part: hypercall numbers, domain ids, start_info,
 * shared_info / vcpu_info / time, the MMU hypercall structures and flags,
 * trap_info, console_io, multicall, VIRQs.
 * Written from shared/ref/xen-pv-abi.md (section numbers below); no Xen
 * header text. Safe in assembly (__ASSEMBLY__) for the numeric part. */
#ifndef KEEL_PUBLIC_XEN_H
#define KEEL_PUBLIC_XEN_H

#include <public/arch_x86_64.h>

/* ---- Hypercall numbers (ref §5.1) ---- */
#define __HYPERVISOR_set_trap_table                 0
#define __HYPERVISOR_mmu_update                     1
#define __HYPERVISOR_set_gdt                        2
#define __HYPERVISOR_stack_switch                   3
#define __HYPERVISOR_set_callbacks                  4
#define __HYPERVISOR_fpu_taskswitch                 5
#define __HYPERVISOR_sched_op_compat                6
#define __HYPERVISOR_platform_op                    7
#define __HYPERVISOR_set_debugreg                   8
#define __HYPERVISOR_get_debugreg                   9
#define __HYPERVISOR_update_descriptor              10
/* 11 unused */
#define __HYPERVISOR_memory_op                      12
#define __HYPERVISOR_multicall                      13
#define __HYPERVISOR_update_va_mapping              14
#define __HYPERVISOR_set_timer_op                   15
#define __HYPERVISOR_event_channel_op_compat        16
#define __HYPERVISOR_xen_version                    17
#define __HYPERVISOR_console_io                     18
#define __HYPERVISOR_physdev_op_compat              19
#define __HYPERVISOR_grant_table_op                 20
#define __HYPERVISOR_vm_assist                      21
#define __HYPERVISOR_update_va_mapping_otherdomain  22
#define __HYPERVISOR_iret                           23
#define __HYPERVISOR_vcpu_op                        24
#define __HYPERVISOR_set_segment_base               25
#define __HYPERVISOR_mmuext_op                      26
#define __HYPERVISOR_xsm_op                         27
#define __HYPERVISOR_nmi_op                         28
#define __HYPERVISOR_sched_op                       29
#define __HYPERVISOR_callback_op                    30
#define __HYPERVISOR_xenoprof_op                    31
#define __HYPERVISOR_event_channel_op               32
#define __HYPERVISOR_physdev_op                     33
#define __HYPERVISOR_hvm_op                         34
#define __HYPERVISOR_sysctl                         35
#define __HYPERVISOR_domctl                         36
#define __HYPERVISOR_kexec_op                       37
#define __HYPERVISOR_tmem_op                        38
#define __HYPERVISOR_argo_op                        39
#define __HYPERVISOR_xenpmu_op                      40
#define __HYPERVISOR_dm_op                          41
#define __HYPERVISOR_hypfs_op                       42
#define __HYPERVISOR_arch_0                         48
#define __HYPERVISOR_mca                            __HYPERVISOR_arch_0
#define __HYPERVISOR_arch_1                         49
#define __HYPERVISOR_paging_domctl_cont             __HYPERVISOR_arch_1
#define __HYPERVISOR_arch_7                         55

/* Hypercall page (ref §4.2): 128 slots of 32 bytes, slot n serves call n. */
#define HYPERCALL_PAGE_SLOTS        128
#define HYPERCALL_SLOT_SIZE         32
#define HYPERCALL_IRET_OFFSET       (__HYPERVISOR_iret * HYPERCALL_SLOT_SIZE)  /* 0x2e0 */

/* ---- Domain ids (ref §5.3; COW/INVALID/IDLE are Xen's values too) ---- */
#define DOMID_FIRST_RESERVED        0x7ff0
#define DOMID_SELF                  0x7ff0
#define DOMID_IO                    0x7ff1
#define DOMID_XEN                   0x7ff2
#define DOMID_COW                   0x7ff3
#define DOMID_INVALID               0x7ff4
#define DOMID_IDLE                  0x7fff

/* ---- mmu_update (ref §5.3): command in ptr[2:0] (Xen masks the entry address with ~7) ---- */
#define MMU_NORMAL_PT_UPDATE        0
#define MMU_MACHPHYS_UPDATE         1
#define MMU_PT_UPDATE_PRESERVE_AD   2
#define MMU_PT_UPDATE_NO_TRANSLATE  3
#define MMU_UPDATE_CMD_MASK         7UL  /* the command is ptr's low 3 bits (4-7: none) */
#define MMU_UPDATE_PREEMPTED        (~(~0U >> 1))   /* high bit of count */

/* ---- mmuext_op commands (ref §5.4) ---- */
#define MMUEXT_PIN_L1_TABLE         0
#define MMUEXT_PIN_L2_TABLE         1
#define MMUEXT_PIN_L3_TABLE         2
#define MMUEXT_PIN_L4_TABLE         3
#define MMUEXT_UNPIN_TABLE          4
#define MMUEXT_NEW_BASEPTR          5
#define MMUEXT_TLB_FLUSH_LOCAL      6
#define MMUEXT_INVLPG_LOCAL         7
#define MMUEXT_TLB_FLUSH_MULTI      8
#define MMUEXT_INVLPG_MULTI         9
#define MMUEXT_TLB_FLUSH_ALL        10
#define MMUEXT_INVLPG_ALL           11
#define MMUEXT_FLUSH_CACHE          12
#define MMUEXT_SET_LDT              13
/* 14 unused */
#define MMUEXT_NEW_USER_BASEPTR     15
#define MMUEXT_CLEAR_PAGE           16
#define MMUEXT_COPY_PAGE            17
#define MMUEXT_FLUSH_CACHE_GLOBAL   18
#define MMUEXT_MARK_SUPER           19
#define MMUEXT_UNMARK_SUPER         20
#define MMUEXT_SET_LDT_MAX_ENTS     8192

/* ---- update_va_mapping flags (ref §5.5) ---- */
#define UVMF_NONE                   0UL
#define UVMF_TLB_FLUSH              1UL
#define UVMF_INVLPG                 2UL
#define UVMF_FLUSHTYPE_MASK         3UL
#define UVMF_MULTI                  0UL     /* | pointer to a vCPU bitmap */
#define UVMF_LOCAL                  0UL     /* = UVMF_MULTI with no bitmap */
#define UVMF_ALL                    (1UL << 2)

/* ---- vm_assist (ref §5.14) ---- */
#define VMASST_CMD_enable                   0
#define VMASST_CMD_disable                  1
#define VMASST_TYPE_4gb_segments            0
#define VMASST_TYPE_4gb_segments_notify     1
#define VMASST_TYPE_writable_pagetables     2
#define VMASST_TYPE_pae_extended_cr3        3
#define VMASST_TYPE_architectural_iopl      4
#define VMASST_TYPE_runstate_update_flag    5
#define VMASST_TYPE_m2p_strict              32

/* ---- set_segment_base (ref §5.7) ---- */
#define SEGBASE_FS                  0
#define SEGBASE_GS_USER             1
#define SEGBASE_GS_KERNEL           2
#define SEGBASE_GS_USER_SEL         3

/* ---- console_io (ref §5.12) ---- */
#define CONSOLEIO_write             0
#define CONSOLEIO_read              1

/* ---- trap_info flags (ref §5.2) ---- */
#define TI_DPL_MASK                 3
#define TI_INTERRUPT_GATE           (1U << 2)   /* mask events on delivery */

/* ---- start_info (ref §2.4) ---- */
#define START_INFO_MAGIC_SIZE       32
#define START_INFO_MAGIC_X86_64     "xen-3.0-x86_64"
#define MAX_GUEST_CMDLINE           1024
#define SIF_PRIVILEGED              (1U << 0)
#define SIF_INITDOMAIN              (1U << 1)
#define SIF_MULTIBOOT_MOD           (1U << 2)
#define SIF_MOD_START_PFN           (1U << 3)
#define SIF_VIRT_P2M_4TOOLS         (1U << 4)
#define SIF_PM_MASK                 (0xffU << 8)
#define START_INFO_DOM0_VGA_OFFSET  1168        /* where Xen puts the vga info */

/* dom0_vga_console_info.video_type (ref §2.5) */
#define XEN_VGATYPE_TEXT_MODE_3     0x03
#define XEN_VGATYPE_VESA_LFB        0x23
#define XEN_VGATYPE_EFI_LFB         0x70

/* ---- vCPUs and event channels in shared_info (ref §6.1, §6.5) ---- */
#define XEN_LEGACY_MAX_VCPUS        32
#define MAX_VIRT_CPUS               XEN_LEGACY_MAX_VCPUS
#define EVTCHN_2L_NR_PORTS          4096        /* 64 words x 64 bits */
#define EVTCHN_2L_WORDS             64
#define INVALID_P2M_ENTRY           (~0UL)

/* vcpu_time_info.flags (ref §6.3) */
#define XEN_PVCLOCK_TSC_STABLE_BIT  (1U << 0)
#define XEN_PVCLOCK_GUEST_STOPPED   (1U << 1)

/* ---- VIRQs (ref §6.6) ---- */
#define VIRQ_TIMER                  0
#define VIRQ_DEBUG                  1
#define VIRQ_CONSOLE                2
#define VIRQ_DOM_EXC                3
#define VIRQ_TBUF                   4
#define VIRQ_DEBUGGER               6
#define VIRQ_XENOPROF               7
#define VIRQ_CON_RING               8
#define VIRQ_PCPU_STATE             9
#define VIRQ_MEM_EVENT              10
#define VIRQ_ARGO                   11
#define VIRQ_ENOMEM                 12
#define VIRQ_XENPMU                 13
#define VIRQ_ARCH_0                 16
#define VIRQ_MCA                    VIRQ_ARCH_0
#define VIRQ_ARCH_7                 23
#define NR_VIRQS                    24

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stddef.h>

typedef uint64_t xen_pfn_t;     /* PFN or MFN as the ABI passes it */
typedef uint64_t xen_ulong_t;
typedef uint16_t domid_t;
typedef uint32_t evtchn_port_t;

/* One entry of the set_trap_table array; address 0 ends it (ref §5.2). */
struct trap_info {
    uint8_t  vector;
    uint8_t  flags;     /* TI_DPL_MASK | TI_INTERRUPT_GATE */
    uint16_t cs;
    uint32_t _pad;
    uint64_t address;
};
_Static_assert(sizeof(struct trap_info) == 16, "trap_info size");
_Static_assert(offsetof(struct trap_info, cs) == 2, "trap_info.cs");
_Static_assert(offsetof(struct trap_info, address) == 8, "trap_info.address");

struct mmu_update {
    uint64_t ptr;       /* machine address of the PTE | MMU_* command */
    uint64_t val;
};
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update size");

struct mmuext_op {
    uint32_t cmd;
    uint32_t _pad;
    union {
        xen_pfn_t mfn;          /* pin/unpin, baseptr, clear/copy page */
        uint64_t  linear_addr;  /* invlpg, set_ldt */
    } arg1;
    union {
        uint32_t  nr_ents;      /* set_ldt */
        uint64_t  vcpumask;     /* guest VA of a vCPU bitmap (multi ops) */
        xen_pfn_t src_mfn;      /* copy_page */
    } arg2;
};
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op size");
_Static_assert(offsetof(struct mmuext_op, arg1) == 8, "mmuext_op.arg1");
_Static_assert(offsetof(struct mmuext_op, arg2) == 16, "mmuext_op.arg2");

/* Guest view of one multicall entry (ref §5.8). */
struct multicall_entry {
    uint64_t op;
    uint64_t result;
    uint64_t args[6];
};
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry size");
_Static_assert(offsetof(struct multicall_entry, args) == 16, "multicall_entry.args");

/* ref §6.3 */
struct vcpu_time_info {
    uint32_t version;           /* odd while being updated */
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;       /* ns */
    uint32_t tsc_to_system_mul; /* 32.32 fixed point */
    int8_t   tsc_shift;
    uint8_t  flags;             /* XEN_PVCLOCK_* */
    uint8_t  pad1[2];
};
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info size");
_Static_assert(offsetof(struct vcpu_time_info, tsc_timestamp) == 8, "vcpu_time_info.tsc_timestamp");
_Static_assert(offsetof(struct vcpu_time_info, system_time) == 16, "vcpu_time_info.system_time");
_Static_assert(offsetof(struct vcpu_time_info, tsc_to_system_mul) == 24, "vcpu_time_info.mul");
_Static_assert(offsetof(struct vcpu_time_info, tsc_shift) == 28, "vcpu_time_info.tsc_shift");
_Static_assert(offsetof(struct vcpu_time_info, flags) == 29, "vcpu_time_info.flags");

/* ref §6.2 */
struct vcpu_info {
    uint8_t  evtchn_upcall_pending;
    uint8_t  evtchn_upcall_mask;        /* 1 = upcalls disabled */
    uint8_t  _pad[6];
    uint64_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info size");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 1, "vcpu_info.mask");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8, "vcpu_info.pending_sel");
_Static_assert(offsetof(struct vcpu_info, arch.cr2) == 16, "vcpu_info.arch.cr2");
_Static_assert(offsetof(struct vcpu_info, time) == 32, "vcpu_info.time");

/* ref §6.1 */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    uint64_t evtchn_pending[EVTCHN_2L_WORDS];
    uint64_t evtchn_mask[EVTCHN_2L_WORDS];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    struct arch_shared_info arch;
};
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info size");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 2048, "shared_info.evtchn_pending");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 2560, "shared_info.evtchn_mask");
_Static_assert(offsetof(struct shared_info, wc_version) == 3072, "shared_info.wc_version");
_Static_assert(offsetof(struct shared_info, wc_sec_hi) == 3084, "shared_info.wc_sec_hi");
_Static_assert(offsetof(struct shared_info, arch) == 3088, "shared_info.arch");
_Static_assert(offsetof(struct shared_info, arch.p2m_generation) == 3128, "shared_info.arch.p2m_generation");

/* ref §2.4 */
struct start_info {
    char     magic[START_INFO_MAGIC_SIZE];
    uint64_t nr_pages;
    uint64_t shared_info;       /* machine address */
    uint32_t flags;             /* SIF_* */
    uint32_t _pad0;
    xen_pfn_t store_mfn;
    uint32_t store_evtchn;
    uint32_t _pad1;
    union {
        struct {
            xen_pfn_t mfn;
            uint32_t  evtchn;
            uint32_t  _pad;
        } domU;
        struct {
            uint32_t info_off;  /* dom0_vga_console_info in this page */
            uint32_t info_size;
        } dom0;
    } console;
    uint64_t pt_base;           /* VA of the bootstrap L4 */
    uint64_t nr_pt_frames;
    uint64_t mfn_list;          /* VA of the p2m array */
    uint64_t mod_start;         /* VA, or PFN with SIF_MOD_START_PFN */
    uint64_t mod_len;
    char     cmd_line[MAX_GUEST_CMDLINE];
    uint64_t first_p2m_pfn;
    uint64_t nr_p2m_frames;
};
_Static_assert(sizeof(struct start_info) == 1168, "start_info size");
_Static_assert(offsetof(struct start_info, nr_pages) == 32, "start_info.nr_pages");
_Static_assert(offsetof(struct start_info, shared_info) == 40, "start_info.shared_info");
_Static_assert(offsetof(struct start_info, flags) == 48, "start_info.flags");
_Static_assert(offsetof(struct start_info, store_mfn) == 56, "start_info.store_mfn");
_Static_assert(offsetof(struct start_info, store_evtchn) == 64, "start_info.store_evtchn");
_Static_assert(offsetof(struct start_info, console.domU.mfn) == 72, "start_info.console.domU.mfn");
_Static_assert(offsetof(struct start_info, console.domU.evtchn) == 80, "start_info.console.domU.evtchn");
_Static_assert(offsetof(struct start_info, console.dom0.info_off) == 72, "start_info.console.dom0.info_off");
_Static_assert(offsetof(struct start_info, console.dom0.info_size) == 76, "start_info.console.dom0.info_size");
_Static_assert(offsetof(struct start_info, pt_base) == 88, "start_info.pt_base");
_Static_assert(offsetof(struct start_info, nr_pt_frames) == 96, "start_info.nr_pt_frames");
_Static_assert(offsetof(struct start_info, mfn_list) == 104, "start_info.mfn_list");
_Static_assert(offsetof(struct start_info, mod_start) == 112, "start_info.mod_start");
_Static_assert(offsetof(struct start_info, mod_len) == 120, "start_info.mod_len");
_Static_assert(offsetof(struct start_info, cmd_line) == 128, "start_info.cmd_line");
_Static_assert(offsetof(struct start_info, first_p2m_pfn) == 1152, "start_info.first_p2m_pfn");
_Static_assert(offsetof(struct start_info, nr_p2m_frames) == 1160, "start_info.nr_p2m_frames");

/* ref §2.5: dom0 only, at start_info page + console.dom0.info_off. */
struct dom0_vga_console_info {
    uint8_t video_type;             /* XEN_VGATYPE_* */
    uint8_t _pad[3];
    union {
        struct {
            uint16_t font_height, cursor_x, cursor_y, rows, columns;
        } text_mode_3;
        struct {
            uint16_t width, height, bytes_per_line, bits_per_pixel;
            uint32_t lfb_base;
            uint32_t lfb_size;      /* 64 KiB units */
            uint8_t  red_pos, red_size, green_pos, green_size;
            uint8_t  blue_pos, blue_size, rsvd_pos, rsvd_size;
            uint32_t gbl_caps;
            uint16_t mode_attrs;
            uint16_t _pad;
            uint32_t ext_lfb_base;
        } vesa_lfb;
    } u;
};
_Static_assert(sizeof(struct dom0_vga_console_info) == 40, "dom0_vga_console_info size");
_Static_assert(offsetof(struct dom0_vga_console_info, u.text_mode_3.columns) == 12, "vga.columns");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.lfb_base) == 12, "vga.lfb_base");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.red_pos) == 20, "vga.red_pos");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.gbl_caps) == 28, "vga.gbl_caps");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.mode_attrs) == 32, "vga.mode_attrs");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.ext_lfb_base) == 36, "vga.ext_lfb_base");

#endif /* !__ASSEMBLY__ */
#endif
