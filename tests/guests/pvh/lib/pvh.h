/* The PVH test-kernel library: what a PVH test kernel
 * (tests/guests/pvh/t_NAME.c) uses. The kernel is entered through the
 * PHYS32_ENTRY note (lib/head.S) and runs in ring 0, identity-mapped (VA =
 * GPA, first 4 GiB). When test_main runs the library has: an IDT (vectors
 * 0-31 print a verdict on an unexpected fault, the event vector), found the
 * Xen CPUID leaves and the hypercall instruction (VMMCALL on AMD/Hygon,
 * VMCALL otherwise), mapped shared_info and registered the callback vector
 * (interrupts stay off until a test enables them). The verdict line
 * (keel-test: <name>: PASS | FAIL <reason>), the console, the command line
 * and the pvclock are shared with the PV kernels: ../../common/test.h. */
#ifndef PVH_H
#define PVH_H

#include "test.h"
#include <public/sched.h>
#include <public/version.h>
#include <public/vcpu.h>
#include <public/memory.h>
#include <public/event_channel.h>
#include <public/io_console.h>
#include "hvm_abi.h"

#define ENOENT  2
#define EFAULT  14
#define EINVAL  22
#define ENOSYS  38

/* ---- start of day ---- */
struct pvh_entry_state {            /* layout fixed by head.S */
    uint32_t ebx, cr0, cr4, eflags;
    uint16_t cs, ss;
    uint8_t _pad[4];
};
extern struct pvh_entry_state pvh_entry32;
extern const struct hvm_start_info *pvh_start_info;
extern char _image_start[], _image_end[];
extern uint64_t pvh_pml4[512], pvh_pdpt[512], pvh_pd[4 * 512];

/* ---- CPU ---- */
struct cpuid { uint32_t a, b, c, d; };
static inline struct cpuid cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid r;
    __asm__ __volatile__("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
                         : "a"(leaf), "c"(sub));
    return r;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{ __asm__ __volatile__("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void outb(uint16_t port, uint8_t v) { __asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void invlpg(const void *va) { __asm__ __volatile__("invlpg (%0)" :: "r"(va) : "memory"); }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ __volatile__("mov %%cr3, %0" : "=r"(v)); return v; }

/* ---- hypervisor ---- */
extern uint32_t xen_cpuid_base;         /* 0x40000000 (+0x100 n) */
extern bool cpu_is_amd;                 /* VMMCALL rather than VMCALL */

/* How hypercalls are made: inline VMCALL/VMMCALL (by vendor) or through the
 * hypercall page Xen wrote on the MSR of CPUID base+2 (hypercall_page_init). */
enum hcall_path { HCALL_INLINE, HCALL_VMCALL, HCALL_VMMCALL, HCALL_PAGE };
extern enum hcall_path hcall_path;
extern char hypercall_page[4096];
/* Writes the hypercall page through the MSR (page 0); returns the MSR. */
uint32_t hypercall_page_init(void);
long hypercall5(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long hypercall5_via(enum hcall_path path, unsigned nr, uint64_t a1, uint64_t a2,
                    uint64_t a3, uint64_t a4, uint64_t a5);
#define HC(nr, a1, a2, a3, a4, a5) \
    hypercall5(nr, (uint64_t)(a1), (uint64_t)(a2), (uint64_t)(a3), (uint64_t)(a4), (uint64_t)(a5))

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{ return HC(__HYPERVISOR_xen_version, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_console_io(int cmd, unsigned count, const void *buf)
{ return HC(__HYPERVISOR_console_io, cmd, count, buf, 0, 0); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{ return HC(__HYPERVISOR_sched_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_memory_op(unsigned cmd, void *arg)
{ return HC(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_hvm_op(unsigned cmd, void *arg)
{ return HC(__HYPERVISOR_hvm_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned vcpu, void *arg)
{ return HC(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{ return HC(__HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_set_timer_op(uint64_t deadline_ns)
{ return HC(__HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0); }
long hvm_param_set(uint32_t index, uint64_t value);
long hvm_param_get(uint32_t index, uint64_t *value);

/* ---- shared_info and events ---- */
#define PVH_EVENT_VECTOR 0xf3               /* the callback vector */
/* Defined true by a test: the library does not set HVM_PARAM_CALLBACK_IRQ. */
extern bool pvh_no_callback_irq;
/* The per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector, Xen 4.17
 * public/hvm/hvm_op.h), delivered through the local APIC. */
#define PVH_APIC_EVENT_VECTOR 0xf4
extern volatile unsigned apic_events_seen;
extern bool apic_event_eoi;                 /* handler writes EOI (default) */
/* A vector a test sends itself through the local APIC: the handler
 * counts it and does not EOI (the test does). */
#define PVH_TEST_IPI_VECTOR 0xe0
extern volatile unsigned test_ipis_seen;
#define LAPIC_BASE  0xfee00000UL
#define LAPIC_ID    0x20
#define LAPIC_VER   0x30
#define LAPIC_TPR   0x80
#define LAPIC_PPR   0xa0
#define LAPIC_LDR   0xd0
#define LAPIC_DFR   0xe0
#define LAPIC_EOI   0xb0
#define LAPIC_SVR   0xf0
#define LAPIC_ISR   0x100
#define LAPIC_IRR   0x200
#define LAPIC_ESR   0x280
#define LAPIC_ICR   0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVTT  0x320
static inline uint32_t lapic_read(unsigned reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }

/* ---- console ---- */
/* Before the hypercall instruction is known: port 0xe9 (Xen's HVM debug
 * port, hvm.c hvm_print_line). */
void e9_write(const char *s);

/* ---- traps ---- */
struct trap_record {
    unsigned count;
    uint64_t vector, error_code, rip, cr2;
};
extern volatile struct trap_record last_trap;
/* Set before a deliberate fault: the handler records it and resumes there
 * (then clears it); a fault with 0 here ends the test with FAIL. */
extern volatile uint64_t trap_resume_rip;
/* Runs `insn` (asm text, inputs after it; R11 is scratch, so an insn may
 * not write registers it does not declare) expecting a fault: returns the
 * vector, or -1 if it completed. */
#define PROBE(insn, ...) ({                                                 \
        unsigned _before = last_trap.count;                                 \
        __asm__ __volatile__("leaq 1f(%%rip), %%r11\n\t"                    \
                             "movq %%r11, trap_resume_rip(%%rip)\n\t"       \
                             insn "\n1:\n\t"                                \
                             "movq $0, trap_resume_rip(%%rip)"              \
                             :: __VA_ARGS__ : "r11", "memory");             \
        last_trap.count != _before ? (long)last_trap.vector : -1L; })
void idt_load(void);                /* this CPU (APs too) */
/* rdmsr/wrmsr that may fault: the vector (13 = #GP) or -1 if it completed. */
static inline long rdmsr_probe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    unsigned before = last_trap.count;
    __asm__ __volatile__("leaq 1f(%%rip), %%rax\n\tmovq %%rax, trap_resume_rip(%%rip)\n\t"
                         "movl %[m], %%ecx\n\trdmsr\n\tmovl %%eax, %[lo]\n\tmovl %%edx, %[hi]\n"
                         "1:\n\tmovq $0, trap_resume_rip(%%rip)"
                         : [lo] "+m"(lo), [hi] "+m"(hi) : [m] "r"(msr) : "rax", "rcx", "rdx", "memory");
    *val = ((uint64_t)hi << 32) | lo;
    return last_trap.count != before ? (long)last_trap.vector : -1;
}
static inline long wrmsr_probe(uint32_t msr, uint64_t val)
{
    return PROBE("wrmsr", "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

/* ---- page tables (identity map, 2 MiB pages) ---- */
#define PTE_P   (1UL << 0)
#define PTE_RW  (1UL << 1)
#define PTE_PS  (1UL << 7)
/* Maps 2 MiB at GPA gpa (aligned down) into a window at PVH_WINDOW_VA and
 * returns the VA of gpa there; flags are extra PTE bits. */
#define PVH_WINDOW_VA 0x8000000000UL        /* PML4 slot 1 */
void *map_window(uint64_t gpa, uint64_t extra_flags);
extern uint64_t pvh_window_pdpt[512], pvh_window_pd[512];

/* ---- vCPUs ---- */
/* Initialises vCPU id (64-bit mode, our page tables) to run fn(id) on
 * stack_top, then brings it up; returns the first failing vcpu_op's rc. */
long start_ap(unsigned id, void (*fn)(unsigned), void *stack_top);
uint64_t this_vcpu_id(void);

/* ---- user mode (lib/user.c) ---- */
/* Runs fn in ring 3 (interrupts off, the identity map) on a stack of its
 * own; fn must end with USER_RETURN, never return. Faults in ring 3 go
 * through trap_dispatch as in ring 0 (PROBE works there). */
#define USER_RETURN_VECTOR 0x80
#define USER_RETURN() __asm__ __volatile__("int $0x80" ::: "memory")
void run_user(void (*fn)(void));

#endif
