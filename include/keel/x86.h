/* x86-64 instruction wrappers and architectural constants. */
#ifndef KEEL_X86_H
#define KEEL_X86_H

#include <keel/types.h>

#define CR0_PE      (1UL << 0)
#define CR0_MP      (1UL << 1)
#define CR0_EM      (1UL << 2)
#define CR0_TS      (1UL << 3)
#define CR0_NE      (1UL << 5)
#define CR0_WP      (1UL << 16)
#define CR0_PG      (1UL << 31)
#define CR4_PAE     (1UL << 5)
#define CR4_PGE     (1UL << 7)
#define CR4_OSFXSR  (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define CR4_FSGSBASE (1UL << 16)
#define CR4_PCIDE   (1UL << 17)
#define CR4_OSXSAVE (1UL << 18)
#define CR4_SMEP    (1UL << 20)
#define CR4_SMAP    (1UL << 21)

#define MSR_APIC_BASE       0x0000001b
#define MSR_TSC_DEADLINE    0x000006e0
#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_PAT             0x00000277
#define EFER_SCE    (1UL << 0)
#define EFER_LME    (1UL << 8)
#define EFER_NXE    (1UL << 11)

#define RFLAGS_IF   (1UL << 9)

static inline void outb(uint16_t port, uint8_t v) { __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Extended control registers (XCR0 = enabled XSAVE state components);
 * both need CR4.OSXSAVE, xsetbv needs CPL 0. */
static inline uint64_t xgetbv(uint32_t xcr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t xcr, uint64_t v)
{
    __asm__ __volatile__("xsetbv" : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n) \
    static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) { __asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
/* sti;hlt: interrupts are taken only once halted, so no wake-up is lost. */
static inline void cpu_safe_halt(void) { __asm__ __volatile__("sti; hlt" ::: "memory"); }

static inline uint64_t irq_save(void)
{
    uint64_t flags;
    __asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint64_t flags)
{
    if (flags & RFLAGS_IF)
        irq_enable();
}

static inline bool irqs_enabled(void)
{
    uint64_t flags;
    __asm__ __volatile__("pushfq; popq %0" : "=r"(flags));
    return flags & RFLAGS_IF;
}

static inline void invlpg(vaddr_t va) { __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory"); }

/* Exception-table entry: a fault at label `from` resumes at label `to`. */
#define EX_TABLE_ENTRY(from, to) \
    ".pushsection __ex_table, \"a\"\n\t.balign 4\n\t.long " #from " - .\n\t.long " #to " - .\n\t.popsection\n\t"

/* rdmsr that returns -1 instead of faulting on a missing MSR. */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    int err = 0;
    __asm__ __volatile__("1: rdmsr\n\t"
                         "2:\n\t"
                         ".pushsection .text.fixup, \"ax\"\n"
                         "3: movl $-1, %2\n\t"
                         "jmp 2b\n\t"
                         ".popsection\n\t"
                         EX_TABLE_ENTRY(1b, 3b)
                         : "=a"(lo), "=d"(hi), "+r"(err) : "c"(msr));
    *val = ((uint64_t)hi << 32) | lo;
    return err;
}

/* Reads 8 bytes at addr, returning -1 instead of faulting (#PF, #GP). */
static inline int probe_read_u64(const void *addr, uint64_t *val)
{
    uint64_t v = 0;
    int err = 0;
    __asm__ __volatile__("1: movq (%3), %0\n\t"
                         "2:\n\t"
                         ".pushsection .text.fixup, \"ax\"\n"
                         "3: movl $-1, %1\n\t"
                         "jmp 2b\n\t"
                         ".popsection\n\t"
                         EX_TABLE_ENTRY(1b, 3b)
                         : "=r"(v), "+r"(err) : "0"(v), "r"(addr) : "memory");
    *val = v;
    return err;
}

#endif
