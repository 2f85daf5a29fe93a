/* Xen PV guest ABI: vcpu_op (hypercall 24), runstate, vcpu_guest_context.
 * Ref: shared/ref/xen-pv-abi.md §5.15, §6.4, §9.3 (numbers and layouts only). */
#ifndef KEEL_PUBLIC_VCPU_H
#define KEEL_PUBLIC_VCPU_H

#include <public/xen.h>

#define VCPUOP_initialise                       0
#define VCPUOP_up                               1
#define VCPUOP_down                             2
#define VCPUOP_is_up                            3
#define VCPUOP_get_runstate_info                4
#define VCPUOP_register_runstate_memory_area    5
#define VCPUOP_set_periodic_timer               6
#define VCPUOP_stop_periodic_timer              7
#define VCPUOP_set_singleshot_timer             8
#define VCPUOP_stop_singleshot_timer            9
#define VCPUOP_register_vcpu_info               10
#define VCPUOP_send_nmi                         11
#define VCPUOP_get_physid                       12
#define VCPUOP_register_vcpu_time_memory_area   13
#define VCPUOP_register_runstate_phys_area      14
#define VCPUOP_register_vcpu_time_phys_area     15

#define RUNSTATE_running                        0
#define RUNSTATE_runnable                       1
#define RUNSTATE_blocked                        2
#define RUNSTATE_offline                        3
#define XEN_RUNSTATE_UPDATE                     (1ULL << 63)

#define VCPU_SSHOTTMR_future                    (1U << 0)

#define VCPU_HVM_MODE_32B                       0
#define VCPU_HVM_MODE_64B                       1

#ifndef __ASSEMBLY__
struct vcpu_runstate_info {
    int32_t  state;             /* RUNSTATE_* */
    uint32_t _pad;
    uint64_t state_entry_time;  /* ns; bit 63 = XEN_RUNSTATE_UPDATE */
    uint64_t time[4];           /* ns spent in each state */
};
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info size");
_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8, "runstate.state_entry_time");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16, "runstate.time");

/* register_runstate_memory_area / register_vcpu_time_memory_area, and the
 * *_phys_area variants (then addr is a guest physical address). */
struct vcpu_register_memory_area {
    uint64_t addr;              /* guest VA */
};
_Static_assert(sizeof(struct vcpu_register_memory_area) == 8, "vcpu_register_memory_area size");

struct vcpu_set_periodic_timer {
    uint64_t period_ns;
};
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8, "vcpu_set_periodic_timer size");

struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags;             /* VCPU_SSHOTTMR_* */
    uint32_t _pad;
};
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "vcpu_set_singleshot_timer size");
_Static_assert(offsetof(struct vcpu_set_singleshot_timer, flags) == 8, "singleshot.flags");

struct vcpu_register_vcpu_info {
    uint64_t mfn;
    uint32_t offset;            /* area must not cross the page */
    uint32_t rsvd;
};
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "vcpu_register_vcpu_info size");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, offset) == 8, "register_vcpu_info.offset");

struct vcpu_get_physid {
    uint64_t phys_id;           /* apic_id | acpi_id << 32 */
};
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "vcpu_get_physid size");

/* PV initial vCPU state (VCPUOP_initialise), 5168 bytes. */
struct vcpu_guest_context {
    uint8_t  fpu_ctxt[512];     /* FXSAVE image */
    uint64_t flags;             /* VGCF_* */
    struct cpu_user_regs user_regs;
    struct trap_info trap_ctxt[256];
    uint64_t ldt_base, ldt_ents;
    uint64_t gdt_frames[16];    /* MFNs */
    uint64_t gdt_ents;
    uint64_t kernel_ss, kernel_sp;
    uint64_t ctrlreg[8];        /* [3] kernel L4 MFN << 12, [1] user L4 */
    uint64_t debugreg[8];
    uint64_t event_callback_eip;
    uint64_t failsafe_callback_eip;
    uint64_t syscall_callback_eip;
    uint64_t vm_assist;
    uint64_t fs_base;
    uint64_t gs_base_kernel;
    uint64_t gs_base_user;
};
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu_guest_context size");
_Static_assert(offsetof(struct vcpu_guest_context, flags) == 512, "vgc.flags");
_Static_assert(offsetof(struct vcpu_guest_context, user_regs) == 520, "vgc.user_regs");
_Static_assert(offsetof(struct vcpu_guest_context, trap_ctxt) == 720, "vgc.trap_ctxt");
_Static_assert(offsetof(struct vcpu_guest_context, ldt_base) == 4816, "vgc.ldt_base");
_Static_assert(offsetof(struct vcpu_guest_context, ldt_ents) == 4824, "vgc.ldt_ents");
_Static_assert(offsetof(struct vcpu_guest_context, gdt_frames) == 4832, "vgc.gdt_frames");
_Static_assert(offsetof(struct vcpu_guest_context, gdt_ents) == 4960, "vgc.gdt_ents");
_Static_assert(offsetof(struct vcpu_guest_context, kernel_ss) == 4968, "vgc.kernel_ss");
_Static_assert(offsetof(struct vcpu_guest_context, kernel_sp) == 4976, "vgc.kernel_sp");
_Static_assert(offsetof(struct vcpu_guest_context, ctrlreg) == 4984, "vgc.ctrlreg");
_Static_assert(offsetof(struct vcpu_guest_context, debugreg) == 5048, "vgc.debugreg");
_Static_assert(offsetof(struct vcpu_guest_context, event_callback_eip) == 5112, "vgc.event_callback_eip");
_Static_assert(offsetof(struct vcpu_guest_context, failsafe_callback_eip) == 5120, "vgc.failsafe_callback_eip");
_Static_assert(offsetof(struct vcpu_guest_context, syscall_callback_eip) == 5128, "vgc.syscall_callback_eip");
_Static_assert(offsetof(struct vcpu_guest_context, vm_assist) == 5136, "vgc.vm_assist");
_Static_assert(offsetof(struct vcpu_guest_context, fs_base) == 5144, "vgc.fs_base");
_Static_assert(offsetof(struct vcpu_guest_context, gs_base_kernel) == 5152, "vgc.gs_base_kernel");
_Static_assert(offsetof(struct vcpu_guest_context, gs_base_user) == 5160, "vgc.gs_base_user");

/* PVH secondary vCPU state (VCPUOP_initialise for PVH), 128 bytes. */
struct vcpu_hvm_x86_32 {
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags;
    uint32_t cr0, cr3, cr4, _pad;
    uint64_t efer;
    uint32_t cs_base, ds_base, ss_base, es_base, tr_base;
    uint32_t cs_limit, ds_limit, ss_limit, es_limit, tr_limit;
    uint16_t cs_ar, ds_ar, ss_ar, es_ar, tr_ar;
};
_Static_assert(offsetof(struct vcpu_hvm_x86_32, efer) == 56, "hvm32.efer");
_Static_assert(offsetof(struct vcpu_hvm_x86_32, cs_base) == 64, "hvm32.cs_base");
_Static_assert(offsetof(struct vcpu_hvm_x86_32, cs_limit) == 84, "hvm32.cs_limit");
_Static_assert(offsetof(struct vcpu_hvm_x86_32, cs_ar) == 104, "hvm32.cs_ar");
_Static_assert(offsetof(struct vcpu_hvm_x86_32, tr_ar) == 112, "hvm32.tr_ar");

struct vcpu_hvm_x86_64 {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags;
    uint64_t cr0, cr3, cr4, efer;
};
_Static_assert(sizeof(struct vcpu_hvm_x86_64) == 112, "hvm64 size");
_Static_assert(offsetof(struct vcpu_hvm_x86_64, efer) == 104, "hvm64.efer");

struct vcpu_hvm_context {
    uint32_t mode;              /* VCPU_HVM_MODE_* */
    uint32_t _pad;
    union {
        struct vcpu_hvm_x86_32 x86_32;
        struct vcpu_hvm_x86_64 x86_64;
        uint8_t raw[120];
    } cpu_regs;
};
_Static_assert(sizeof(struct vcpu_hvm_context) == 128, "vcpu_hvm_context size");
_Static_assert(offsetof(struct vcpu_hvm_context, cpu_regs) == 8, "vcpu_hvm_context.cpu_regs");
#endif

#endif
