/* Vendor-neutral HVM layer (arch/x86_64/hvm/): PVH vCPUs run through the
 * backend of keel/hvm_vendor.h. Generic code: the run loop and exit
 * dispatch, guest CPUID / MSR / I/O policy, hypercalls through
 * VMMCALL/VMCALL, event delivery through the callback vector, guest
 * memory access through the guest's page tables and the p2m. */
#ifndef KEEL_HVM_H
#define KEEL_HVM_H

#include <keel/types.h>
#include <keel/hvm_vendor.h>
#include <keel/npt.h>
#include <keel/vlapic.h>
#include <public/memory.h>

struct vcpu;
struct domain;
struct cpu_regs;

/* PVH guest-physical map: RAM below 640 KiB and from 1 MiB up. */
#define HVM_LOW_HOLE_START  0xa0000UL
#define HVM_LOW_HOLE_END    0x100000UL
#define HVM_NR_PARAMS       64      /* HVM_PARAM_* (public/hvm/params.h in Xen) */

/* Per PVH domain (d->hvm). */
struct hvm_domain {
    uint64_t nr_gfns;           /* guest-physical space: gfns below this (npt is the p2m) */
    uint64_t ram_pages;         /* guest RAM gfns [0, ram_pages) */
    struct npt_ctx npt;         /* the nested tables the hardware walks */
    uint64_t params[HVM_NR_PARAMS];
    uint8_t callback_vector;    /* HVM_PARAM_CALLBACK_IRQ type vector, 0: none */
    bool callback_type_noted;   /* a non-vector CALLBACK_IRQ was logged once */
    uint64_t shared_info_gfn;   /* where XENMEM_add_to_physmap put shared_info */
    bool shared_info_mapped;
    struct e820_entry memmap[4];        /* the map start_info gives (XENMEM_memory_map too) */
    unsigned nr_memmap;
};

/* Per PVH vCPU (v->hvm). */
struct hvm_vcpu {
    uint64_t exit_counts[HVM_EXIT_NR];  /* per-reason exit counters */
    uint64_t hypercall_page_gpa;        /* last write of MSR 0x40000000, 0: none */
    bool vcpu_info_registered;          /* VCPUOP_register_vcpu_info done */
    uint64_t tsc_aux;                   /* MSR TSC_AUX as the guest wrote it */
    uint64_t vm_hsave_pa;               /* AMD VM_HSAVE_PA as the guest wrote it (kept only) */
    bool crashed_logged;
    uint8_t upcall_vector;              /* HVMOP_set_evtchn_upcall_vector, 0: none */
    struct vlapic lapic;                /* x2APIC (vlapic.c) */
};

/* Is an HVM backend active (probe and cpu_enable succeeded on the boot CPU)? */
static inline bool hvm_available(void)
{
    return hvm_vendor != NULL;
}

static inline bool is_hvm_vcpu(const struct vcpu *v);

/* Per CPU, from cpu_init: the boot CPU picks the backend and prints the
 * `hvm:` feature line; every CPU enables it. */
void hvm_cpu_init(void);

/* ---- domains (hvm_domain.c) ---- */
/* Sets up d as PVH with nr_gfns guest frames of address space (none
 * mapped yet). -ENOMEM, -ENODEV (no backend). */
int hvm_domain_init(struct domain *d, uint64_t nr_gfns);
/* Frees the p2m and nested tables and drops Keel's references on the
 * domain's frames (before pv_mm_relinquish, which would report them). */
void hvm_domain_destroy(struct domain *d);
/* Maps (perms NPT_*) or unmaps (perms 0) one guest frame; every vCPU of d
 * drops its guest translations before its next entry. */
int hvm_p2m_set(struct domain *d, uint64_t gfn, mfn_t mfn, unsigned perms);
/* Every vCPU of d drops its guest translations, and when this returns no
 * CPU runs one of them with a translation made before the call: for a
 * frame leaving the domain (freed after this). Interrupts on. */
void hvm_flush_domain_sync(struct domain *d);
/* The machine frame behind gfn, 0 if none. */
mfn_t hvm_gfn_to_mfn(const struct domain *d, uint64_t gfn);

/* ---- vCPUs (hvm_vcpu.c) ---- */
int hvm_vcpu_init(struct vcpu *v);
void hvm_vcpu_destroy(struct vcpu *v);
/* VCPUOP_register_vcpu_info of a PVH vCPU (hvm_vcpu_info.c). */
long hvm_register_vcpu_info(struct vcpu *t, uint64_t arg);
/* VCPUOP_initialise of a PVH vCPU (struct vcpu_hvm_context at arg). */
long hvm_vcpu_initialise(struct vcpu *t, uint64_t arg);
void hvm_switch_to(struct vcpu *next, struct cpu_regs *regs);
void hvm_switch_from(struct vcpu *prev, const struct cpu_regs *regs);
/* Runs the current (HVM) vCPU on this CPU from its frame; never returns. */
void hvm_resume(void) __attribute__((noreturn));
/* Crashes v's domain with `why`, the exit and a register dump, and leaves. */
void hvm_crash(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e,
               const char *why) __attribute__((noreturn));

/* ---- exits (hvm_exit.c and the handlers) ---- */
const char *hvm_exit_name(enum hvm_exit_reason r);
void hvm_handle_exit(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
/* Steps over the exiting instruction (its length from the exit, else `fallback`). */
void hvm_skip_insn(struct cpu_regs *regs, const struct hvm_exit *e, unsigned fallback);
void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
bool hvm_cpuid(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
bool hvm_msr_read(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
bool hvm_msr_write(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
void hvm_msr_setup(struct vcpu *v);         /* which MSRs pass through */
bool hvm_io(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
/* A nested page fault on an emulated page (the xAPIC's, hvm_mmio.c):
 * done and RIP advanced (true), or false: not such a page. */
bool hvm_mmio_npf(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
bool hvm_hypercall(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e);
/* memory_op from a PVH guest (hvm_op.c): *common = true sends it on to
 * the sub-ops every guest type shares. */
long hvm_memory_op(struct vcpu *v, uint64_t a1, uint64_t a2, bool *common);
/* The guest-physical map (hvm_physmap.c). XENMEM_add_to_physmap of
 * shared_info (idx 0) or grant frame idx at gfn: 0, -EINVAL, -ENOMEM. */
long hvm_add_to_physmap(struct vcpu *v, unsigned space, uint64_t idx, uint64_t gfn);
/* Removes what is at gfn; RAM taken from d in *freed (the caller passes it
 * to domain_free_taken), 0 if nothing is to be freed. -ENOENT (a hole),
 * or domain_take_frame's error. */
int hvm_physmap_remove(struct domain *d, uint64_t gfn, mfn_t *freed);
/* Maps d's new frames [mfn, mfn + 2^order) at gfn, replacing what is
 * there. -EINVAL (outside the guest-physical space), -ENOMEM. */
int hvm_physmap_populate(struct domain *d, uint64_t gfn, mfn_t mfn, unsigned order);
/* The callback vector, injected when an upcall is pending (hvm_events.c). */
void hvm_deliver_events(struct vcpu *v, struct cpu_regs *regs);
bool hvm_upcall_pending(struct vcpu *v);

/* ---- guest memory (hvm_guest_copy.c): guest-virtual through the guest's
 * own paging and the p2m; the guest_access.h functions use it for HVM. */
int hvm_copy_from_guest(struct vcpu *v, void *dst, uint64_t va, size_t len);
int hvm_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len);
/* Guest-physical copies (the builder, start_info). */
int hvm_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t len);

#include <keel/vcpu.h>
static inline bool is_hvm_vcpu(const struct vcpu *v)
{
    return v->hvm != NULL;
}

#endif
