/* Virtual CPUs of PV domains. A running vCPU's registers live in the frame
 * at the top of its physical CPU's stack (where the CPU saves them on every
 * entry from the guest); a vCPU that is not running keeps them in `regs`. */
#ifndef KEEL_VCPU_H
#define KEEL_VCPU_H

#include <keel/types.h>
#include <keel/traps.h>
#include <keel/compiler.h>
#include <keel/percpu.h>
#include <keel/timer.h>
#include <keel/spinlock.h>
#include <keel/sched_policy.h>

struct domain;

#define PV_NR_TRAPS     256

struct pv_trap {
    uint64_t address;       /* 0: none registered */
    uint16_t cs;
    uint8_t flags;          /* bits 0-1 DPL, bit 2 mask events */
};

/* How late a vCPU's singleshot timer fired, and how long a woken vCPU
 * waited for its CPU: reported when its domain goes (sched/latency.c). */
struct vcpu_latency {
    uint64_t timer_late_sum, timer_late_max;    /* ns after the deadline */
    uint64_t wake_wait_sum, wake_wait_max;      /* ns from wake-up to running */
    uint64_t woken_at;                          /* system time of the last wake-up (0: none) */
    uint32_t timer_n, wake_n;
};

struct vcpu {
    struct domain *d;
    unsigned id;
    unsigned processor;                 /* pCPU it runs on */
    bool online;                        /* up (VCPUOP_up / built so) */
    bool initialised;                   /* has a context (VCPUOP_initialise) */
    volatile bool blocked;              /* SCHEDOP_block/poll: waits for an event */
    struct timer singleshot_timer;      /* set_timer_op, VCPUOP_*_singleshot_timer */
    struct timer periodic_timer;        /* VCPUOP_*_periodic_timer */
    uint64_t timer_period_ns;           /* 0: periodic timer off */
    uint64_t periodic_last_ns;          /* system time of its last tick */
    spinlock_t periodic_lock;           /* the three fields below */
    bool periodic_on_cpu;               /* running: the periodic timer ticks */
    bool periodic_parked;               /* not running: it stopped, resumes at switch-in */
    bool timers_inited;
    enum { VCPU_OFF, VCPU_QUEUED, VCPU_RUNNING } sched_state;  /* under its CPU's rq_lock */
    struct sched_item sched;            /* run-queue link and virtual time (sched_policy.h) */
    uint64_t affinity[NR_CPUS / 64];    /* hard affinity: CPUs it may run on (0s: any) */
    struct sched_runstate runstate;     /* time per state, under its CPU's rq_lock */
    struct vcpu_latency lat;            /* under its CPU's rq_lock (timer: its callback) */
    uint64_t runstate_area;             /* guest VA of its runstate copy (0: none) */

    struct cpu_regs regs;               /* saved while not running */
    bool kernel_mode;                   /* the guest's virtual kernel/user mode */
    mfn_t cr3_kernel, cr3_user;         /* L4 frames (0: none) */
    uint64_t kernel_ss, kernel_sp;      /* stack_switch */
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    uint16_t ds, es, fs, gs;            /* data selectors, kept while not running */
    struct pv_trap traps[PV_NR_TRAPS];
    uint64_t event_callback, failsafe_callback, syscall_callback;
    uint8_t syscall_flags;
    bool failsafe_masks_events;         /* CALLBACKF_mask_events on the failsafe callback */
    void *vcpu_info;                    /* hypervisor mapping of its vcpu_info */
    mfn_t vcpu_info_mfn;                /* register_vcpu_info's frame (0: in shared_info) */
    uint64_t cr2;                       /* virtual CR2 */
    uint64_t cr4;                       /* virtual CR4 (ref 8.3) */
    bool fpu_ts;                        /* virtual CR0.TS (fpu_taskswitch) */
    unsigned iopl;                      /* virtual IOPL (PHYSDEVOP_set_iopl) */
    uint64_t vmce_mcg_status;           /* virtual MCG_STATUS (pv_vmce.c) */
    bool in_multicall;                  /* batched calls cannot continue later */
    uint64_t dr[8];                     /* debug registers (DR4/5 unused) */
    mfn_t gdt_frames[14];               /* set_gdt: the guest's GDT (SEG_DESC typed) */
    unsigned gdt_ents;
    uint64_t ldt_base;                  /* MMUEXT_SET_LDT: guest linear address */
    unsigned ldt_ents;                  /*   and entries (0: no LDT) */
    mfn_t ldt_frames[16];               /* the frames under it (SEG_DESC typed) */
    uint64_t ldt_gen;                   /* names this LDT for the CPUs' LDT areas */
    struct fpu_state *fpu;              /* FPU/SSE/AVX state and XCR0 (keel/fpu.h) */
    struct hvm_vcpu *hvm;               /* PVH vCPUs: generic HVM state (keel/hvm.h), else NULL */
    void *hvm_vendor_state;             /* PVH vCPUs: the backend's state (keel/hvm_vendor.h) */
};

struct vcpu *vcpu_create(struct domain *d, unsigned id, unsigned processor);
void vcpu_destroy(struct vcpu *v);
/* Stops v's guest timers for good (before v is freed). */
void vcpu_timers_stop(struct vcpu *v);
/* Logs the domain's timer and wake-up latencies (sched/latency.c). */
void sched_latency_report(const struct domain *d);
/* Xen's default 100 Hz periodic timer of a new PV vCPU. */
void vcpu_timers_init(struct vcpu *v);
/* At switch-in: v's timers move to this CPU if v moved here. */
void vcpu_timers_follow(struct vcpu *v);
/* The time side of every switch-in, PV or PVH (interrupts off): fresh
 * time info (as Xen), timers moved here, the periodic tick resumed. */
void vcpu_switch_in_time(struct vcpu *v);
/* The periodic timer ticks only while its vCPU runs (as Xen's): these mark
 * a vCPU's switch-in and switch-out on its CPU (interrupts off). */
void vcpu_periodic_switch_in(struct vcpu *v);
void vcpu_periodic_switch_out(struct vcpu *v);
/* vcpu_op's timer sub-ops (hypercall/vcpu_timer.c). */
long vcpu_op_timer(struct vcpu *v, struct vcpu *t, int cmd, uint64_t arg);
/* Starts v on its processor (from that CPU's idle loop). */
void vcpu_start(struct vcpu *v);
/* The vCPU running on this CPU, or NULL when idle. */
/* The vCPU on this CPU (NULL when idle): inline, as every hypercall,
 * trap bounce and guest copy asks. */
static inline struct vcpu *current_vcpu(void)
{
    return get_cpu_info()->current;
}
/* Leave the guest for good on this CPU (domain shut down or crashed). */
void pv_leave_to_idle(void) __noreturn;

/* The current vCPU's frame is entered afresh on a clean stack, PV or PVH
 * (after the scheduler switched between the two kinds). */
void vcpu_resume_current(void) __noreturn;
/* Enters the guest with the frame at the top of this CPU's stack. */
void pv_enter_guest(struct vcpu *v) __noreturn;
/* Makes `next` current, its registers loaded into the top frame `regs`. */
void pv_switch_to(struct vcpu *next, struct cpu_regs *regs);
void pv_switch_from(struct vcpu *prev, const struct cpu_regs *regs);
void load_debug_regs(struct vcpu *v);
long pv_set_debugreg(struct vcpu *v, unsigned reg, uint64_t value);
bool pv_debug_trap_in_hypervisor(struct cpu_regs *regs);
void pv_cpu_init(void);                 /* syscall MSRs and entry stub, per CPU */
/* A trap from the guest (CPL 3): bounce it to the guest or crash it. */
void pv_guest_trap(struct cpu_regs *regs);

void pv_syscall(struct cpu_regs *regs);
/* Enters the event callback if an upcall is pending and events are
 * unmasked (every return to the guest ends with this). */
void pv_deliver_pending_upcall(struct cpu_regs *regs);
/* Virtual kernel/user mode switch: page tables and GS bases (ref 3.4). */
void pv_toggle_guest_mode(struct vcpu *v);
/* vcpu_info's evtchn_upcall_mask (events masked when no vcpu_info). */
bool pv_events_masked(struct vcpu *v);
void pv_set_events_masked(struct vcpu *v, bool masked);
/* Data selectors and FS/GS bases (arch/x86_64/pv_segments.c). */
void pv_save_segments(struct vcpu *v);
void pv_load_segments(struct vcpu *v, struct cpu_regs *regs);
void pv_load_user_gs_selector(struct vcpu *v, uint16_t sel);
/* FPU/SSE state: saved when a vCPU leaves its CPU, restored when it comes
 * back (eagerly: Keel itself never touches these registers). */
void fpu_init_state(struct vcpu *v);
void pv_time_update(struct vcpu *v);
/* Guest GDTs (arch/x86_64/pv_gdt.c). */
void pv_load_gdt(struct vcpu *v);
long pv_set_gdt(struct vcpu *v, uint64_t frame_list, uint64_t entries);
long pv_set_gdt_frames(struct vcpu *v, const mfn_t *frames, uint64_t entries);
long pv_update_descriptor(struct vcpu *v, uint64_t maddr, uint64_t desc);
void pv_release_gdt(struct vcpu *v);   /* vcpu_info.time from Keel's clock */
/* Guest LDTs (arch/x86_64/pv_ldt.c). pv_set_ldt: the caller holds
 * v->d->lock; v's kernel page tables are walked, v need not be running. */
void pv_load_ldt(struct vcpu *v);
long pv_set_ldt(struct vcpu *v, uint64_t linear, uint64_t nr_ents);
void pv_release_ldt(struct vcpu *v);
void fpu_save(struct vcpu *v);
void fpu_restore(struct vcpu *v);
long pv_iret(struct vcpu *v, struct cpu_regs *regs);
/* Enter the guest kernel at `handler` with an exception/interrupt frame
 * (ref 3.5). */
void pv_bounce_to(struct vcpu *v, struct cpu_regs *regs, uint64_t handler,
                  bool has_error, uint64_t error, bool mask_events);

/* The guest frame: the top of this CPU's primary stack, below cpu_info. */
static inline struct cpu_regs *guest_regs(void)
{
    return (struct cpu_regs *)((char *)get_cpu_info() - sizeof(struct cpu_regs));
}

#endif
