/* Exceptions and interrupts: the saved register frame and vector use. */
#ifndef KEEL_TRAPS_H
#define KEEL_TRAPS_H

#include <keel/types.h>

/* Layout must match the push order in arch/x86_64/entry.S. */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;         /* hardware frame */
};

#include <keel/cpu_regs_offsets.h>
#define CPU_REGS_CHECK_(f, F) \
    _Static_assert(__builtin_offsetof(struct cpu_regs, f) == CPU_REGS_##F, "cpu_regs." #f)
CPU_REGS_CHECK_(r15, R15); CPU_REGS_CHECK_(r14, R14); CPU_REGS_CHECK_(r13, R13);
CPU_REGS_CHECK_(r12, R12); CPU_REGS_CHECK_(r11, R11); CPU_REGS_CHECK_(r10, R10);
CPU_REGS_CHECK_(r9, R9); CPU_REGS_CHECK_(r8, R8); CPU_REGS_CHECK_(rbp, RBP);
CPU_REGS_CHECK_(rdi, RDI); CPU_REGS_CHECK_(rsi, RSI); CPU_REGS_CHECK_(rdx, RDX);
CPU_REGS_CHECK_(rcx, RCX); CPU_REGS_CHECK_(rbx, RBX); CPU_REGS_CHECK_(rax, RAX);
#undef CPU_REGS_CHECK_

enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5,
    VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12,
    VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19,
    VEC_VE = 20, VEC_CP = 21,
};

#define VEC_IRQ_BASE        0x30    /* GSI n -> VEC_IRQ_BASE + n (n < 64) */
#define VEC_IRQ_LAST        0x6f
#define VEC_MSI_BASE        0x70    /* dom0's MSI pirqs (hv/pirq_msi.c) */
#define VEC_MSI_LAST        0xdf
#define VEC_CALL_FUNCTION   0xec    /* cross-CPU call IPI */
#define VEC_STOP_CPU        0xed    /* panic: stop other CPUs */
#define VEC_APIC_ERROR      0xee
#define VEC_APIC_TIMER      0xef
#define VEC_SPURIOUS        0xff

typedef void (*irq_handler_t)(struct cpu_regs *regs, unsigned vector);

void idt_init(void);
void idt_load(void);
void irq_set_handler(unsigned vector, irq_handler_t fn);
void trap_dispatch(struct cpu_regs *regs);
void show_registers(const struct cpu_regs *regs);
void show_stack_trace(uint64_t rip, uint64_t rbp);

/* Exception fixups: a faulting instruction at `insn` resumes at `fixup`
 * (used by fault-safe accessors and probes). */
struct ex_entry {
    int32_t insn;       /* relative to the field's own address */
    int32_t fixup;
};
bool ex_fixup(struct cpu_regs *regs);

/* Deliberate faults for testing the crash path (option keel.crashtest=). */
void crashtest_run(void);

#endif
