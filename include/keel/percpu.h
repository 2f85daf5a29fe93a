/* Per-CPU data. Each CPU runs on a stack block (memlayout.h) whose top
 * holds a struct cpu_info: any code finds its CPU from %rsp alone, with no
 * segment base to swap on entry from a guest. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include <keel/types.h>
#include <keel/memlayout.h>
#include <keel/desc.h>
#include <keel/timer.h>

#define NR_CPUS         256

struct percpu;

struct vcpu;
struct domain;

/* Offsets used by assembly: keep CPU_INFO_SCRATCH in sync (16). */
struct cpu_info {
    uint32_t cpu_id;
    uint32_t apic_id;
    struct percpu *percpu;
    uint64_t scratch;                   /* syscall entry saves the guest's RAX here */
    struct vcpu *current;               /* the vCPU on this CPU, NULL when idle */
    uint64_t reserved[4];
};

struct percpu {
    uint32_t cpu_id;
    uint32_t apic_id;
    uint32_t acpi_uid;
    volatile bool online;
    uint32_t start_state;               /* AP start-up: AP_* (arch/x86_64/smp.c) */
    vaddr_t stack_block;                /* base of the STACK_BLOCK_SIZE block */
    struct seg_desc *gdt;               /* this CPU's GDT (reserved entries) */
    struct tss64 tss;
    struct timer_queue timers;
    volatile uint64_t timer_irqs;       /* APIC timer interrupts taken */
    struct timer heartbeat;             /* 1 Hz, see sched/timer.c */
    spinlock_t rq_lock;                 /* run queue (sched/runqueue.c) */
    struct sched_item *rq_head;         /* queued vCPUs (struct vcpu.sched) */
    unsigned rq_len;
    uint64_t min_vtime;                 /* queue's virtual time floor (monotonic) */
    struct vcpu *sched_curr;            /* vCPU running here (NULL: idle) */
    volatile bool sched_idle;           /* in the idle loop: wake it to steal work */
    uint64_t slice_start;               /* when the current vCPU was last charged */
    struct timer slice;
    volatile bool need_resched;
    struct vcpu *last_vcpu;             /* whose translations the TLB may hold */
    struct domain *last_dom;            /* last_vcpu's domain and id, compared */
    unsigned last_vcpu_id;              /*   without dereferencing (TLB shootdown) */
    struct vcpu *gdt_vcpu;              /* whose GDT frames the GDT area shows */
    vaddr_t ldt_area;                   /* PV_LDT_MAX_PAGES pages (pv_ldt.c), 0: none yet */
    uint64_t ldt_gen;                   /* which LDT it shows and LDTR holds (0: none) */
    unsigned ldt_pages;                 /* its pages showing guest frames */
    bool ldtr_loaded;                   /* LDTR set by Keel (before: the firmware's) */
    volatile uint64_t heartbeats;
    volatile uint64_t irqs;
};

BUILD_BUG_ON(sizeof(struct cpu_info) != CPU_INFO_SIZE);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_info, scratch) != CPU_INFO_SCRATCH);

extern struct percpu *cpu_percpu[NR_CPUS];
extern unsigned nr_cpus_online;
extern unsigned nr_cpus_possible;

static inline struct cpu_info *get_cpu_info(void)
{
    uint64_t sp;
    __asm__ ("mov %%rsp, %0" : "=r"(sp));
    return (struct cpu_info *)((sp & ~(STACK_BLOCK_SIZE - 1)) + STACK_BLOCK_SIZE - CPU_INFO_SIZE);
}

static inline bool cpu_online(unsigned cpu)
{
    return cpu < NR_CPUS && cpu_percpu[cpu] && cpu_percpu[cpu]->online;
}

#define for_each_online_cpu(cpu) \
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) if (!cpu_online(cpu)) {} else

static inline struct percpu *this_cpu(void) { return get_cpu_info()->percpu; }
static inline unsigned smp_processor_id(void) { return get_cpu_info()->cpu_id; }

#endif
