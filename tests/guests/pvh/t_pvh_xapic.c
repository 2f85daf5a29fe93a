/* The local APIC's xAPIC MMIO page and its modes (issue 6). A PVH vCPU's
 * LAPIC starts in xAPIC mode, as Xen's (APIC_BASE 0xfee00900 on vCPU 0:
 * xen/arch/x86/hvm/vlapic.c vlapic_reset): registers read through the page
 * with the MOV forms compilers emit (ModRM base+disp, SIB, REX.R, moffs
 * A1/A3, C7 imm32, 16-bit) agree with CPUID and, after the switch to
 * x2APIC mode, with the MSRs; a self-IPI sent through ICR_HI/ICR_LO
 * (physical, logical flat, shorthand self) arrives on its IDT vector, sits
 * in ISR (PPR = its class) until the EOI. Modes as Intel SDM vol. 3
 * §11.12.5 and Xen 4.17 guest_wrmsr_apic_base: the x2APIC MSRs #GP in xAPIC
 * mode, x2APIC -> xAPIC #GP, x2APIC -> disabled -> xAPIC resets the
 * registers (SVR 0xff), disabled -> x2APIC #GP, moving the xAPIC page #GP.
 * Keel and Xen 4.17 (run-xen.sh pvh_xapic) agree on all of it. */
#include "pvh.h"

GUEST_TEST("pvh_xapic");

#define APIC_BASE_MSR   0x1b
#define BASE_EN         (1UL << 11)
#define BASE_EXTD       (1UL << 10)
#define BASE_BSP        (1UL << 8)
#define ICR_PENDING     (1u << 12)
#define ICR_LOGICAL     (1u << 11)
#define ICR_SELF        (1u << 18)
#define VEC             PVH_TEST_IPI_VECTOR
#define BANK(reg, v)    ((reg) + ((v) / 32) * 0x10)

/* The MOV forms, each once (objdump of this file shows the bytes). */
static uint32_t ver_moffs(void)             /* a1 + 8-byte moffs */
{
    uint32_t v;
    __asm__ __volatile__("movabs 0xfee00030, %%eax" : "=a"(v) :: "memory");
    return v;
}

static void tpr_moffs(uint32_t v)           /* a3 */
{
    __asm__ __volatile__("movabs %%eax, 0xfee00080" :: "a"(v) : "memory");
}

static uint32_t ver_rex_r9(void)            /* 44 8b 4a 30: mov 0x30(%rdx),%r9d */
{
    uint64_t v;
    __asm__ __volatile__("mov 0x30(%%rdx), %%r9d\n\tmov %%r9, %0" : "=r"(v) : "d"(LAPIC_BASE) : "r9", "memory");
    return (uint32_t)v;
}

static uint32_t id_sib(void)                /* 8b 14 08: mov (%rax,%rcx,1),%edx */
{
    uint32_t v;
    __asm__ __volatile__("mov (%%rax,%%rcx,1), %%edx" : "=d"(v) : "a"(LAPIC_BASE), "c"(LAPIC_ID) : "memory");
    return v;
}

static void svr_imm(void)                   /* c7 80 f0 00 00 00 ff 01 00 00 */
{
    __asm__ __volatile__("movl $0x1ff, 0xf0(%%rax)" :: "a"(LAPIC_BASE) : "memory");
}

static uint64_t ver_16(void)                /* 66 8b 48 30: the rest of RCX kept */
{
    uint64_t v;
    __asm__ __volatile__("movq $-1, %%rcx\n\tmovw 0x30(%%rax), %%cx" : "=c"(v) : "a"(LAPIC_BASE) : "memory");
    return v;
}

static uint64_t ver_32(void)                /* 8b 48 30: zero-extends into RCX */
{
    uint64_t v;
    __asm__ __volatile__("movq $-1, %%rcx\n\tmovl 0x30(%%rax), %%ecx" : "=c"(v) : "a"(LAPIC_BASE) : "memory");
    return v;
}

static bool wait_ipi(unsigned before)
{
    uint64_t end = pvclock_ns() + 200000000;
    irq_enable();
    while (test_ipis_seen == before && pvclock_ns() < end)
        cpu_relax();
    irq_disable();
    return test_ipis_seen != before;
}

/* One self-IPI through ICR (xAPIC: ICR_HI then ICR_LO sends): taken once,
 * in service until the EOI. */
static void xapic_ipi(const char *how, uint32_t hi, uint32_t lo)
{
    unsigned before = test_ipis_seen;
    lapic_write(LAPIC_ICR_HI, hi);
    lapic_write(LAPIC_ICR, lo);
    check(!(lapic_read(LAPIC_ICR) & ICR_PENDING), "%s: ICR send pending %#x", how, lapic_read(LAPIC_ICR));
    check_eq(how, lapic_read(LAPIC_ICR) & 0xfff, lo & 0xfff);
    if (!wait_ipi(before)) {
        fail("%s: the IPI did not arrive (IRR %#x)", how, lapic_read(BANK(LAPIC_IRR, VEC)));
        return;
    }
    check_eq(how, test_ipis_seen - before, 1);
    check(lapic_read(BANK(LAPIC_ISR, VEC)) & (1u << (VEC % 32)), "%s: not in ISR", how);
    check_eq("PPR while in service", lapic_read(LAPIC_PPR), VEC & 0xf0);
    lapic_write(LAPIC_EOI, 0);
    check(!(lapic_read(BANK(LAPIC_ISR, VEC)) & (1u << (VEC % 32))), "%s: in ISR after the EOI", how);
    check_eq("PPR after the EOI", lapic_read(LAPIC_PPR), 0);
}

static void x2apic_part(uint64_t base, uint32_t ver, uint32_t x2id)
{
    uint64_t v;
    wrmsr(APIC_BASE_MSR, base | BASE_EXTD);
    check_eq("APIC_BASE in x2APIC mode", rdmsr(APIC_BASE_MSR), base | BASE_EXTD);
    check_eq("x2APIC ID (MSR 0x802)", rdmsr(0x802), x2id);
    check_eq("x2APIC version (MSR 0x803)", rdmsr(0x803), ver);
    check_eq("x2APIC LDR (cluster 0, bit 0)", rdmsr(0x80d), 1u << (x2id & 0xf) | (x2id >> 4) << 16);
    check_eq("x2APIC DFR does not exist", rdmsr_probe(0x80e, &v), 13);
    check_eq("x2APIC SVR kept from xAPIC mode", rdmsr(0x80f) & 0x1ff, 0x1ff);
    unsigned before = test_ipis_seen;
    wrmsr(0x830, ICR_SELF | VEC);
    check(wait_ipi(before), "x2APIC self-IPI did not arrive");
    check(rdmsr(0x800 + BANK(LAPIC_ISR, VEC) / 16) & (1u << (VEC % 32)), "x2APIC: not in ISR");
    check_eq("x2APIC EOI of 1", wrmsr_probe(0x80b, 1), 13);
    wrmsr(0x80b, 0);
    check_eq("x2APIC ISR after the EOI", rdmsr(0x800 + BANK(LAPIC_ISR, VEC) / 16) & (1u << (VEC % 32)), 0);

    /* Mode changes (SDM vol. 3 Figure 11-27; Xen guest_wrmsr_apic_base). */
    check_eq("x2APIC -> xAPIC", wrmsr_probe(APIC_BASE_MSR, base), 13);
    check_eq("x2APIC -> invalid (EN=0, EXTD=1)",
             wrmsr_probe(APIC_BASE_MSR, (base & ~BASE_EN) | BASE_EXTD), 13);
    check_eq("x2APIC -> disabled", wrmsr_probe(APIC_BASE_MSR, base & ~BASE_EN), -1);
    check_eq("APIC_BASE disabled", rdmsr(APIC_BASE_MSR) & (BASE_EN | BASE_EXTD), 0);
    check(!(cpuid(1, 0).d & (1u << 9)), "CPUID.1 EDX APIC set while disabled");
    check_eq("x2APIC MSR while disabled", rdmsr_probe(0x802, &v), 13);
    check_eq("disabled -> x2APIC", wrmsr_probe(APIC_BASE_MSR, base | BASE_EXTD), 13);
    check_eq("disabled -> xAPIC", wrmsr_probe(APIC_BASE_MSR, base), -1);
    check(cpuid(1, 0).d & (1u << 9), "CPUID.1 EDX APIC clear once enabled");
}

void test_main(void)
{
    uint64_t v;
    struct cpuid l1 = cpuid(1, 0);
    uint32_t cpuid_id = l1.b >> 24;
    uint32_t x2id = cpuid_id;
    if (cpuid(0, 0).a >= 0xb)
        x2id = cpuid(0xb, 0).d;
    check(l1.d & (1u << 9), "CPUID.1 EDX: no APIC");
    check(l1.c & (1u << 21), "CPUID.1 ECX: no x2APIC");

    uint64_t base = rdmsr(APIC_BASE_MSR);
    printk("APIC_BASE %#lx, CPUID APIC id %u, x2APIC id %u\n", base, cpuid_id, x2id);
    /* Both start in xAPIC mode at the default base (Xen: 0xfee00900). */
    check_eq("APIC_BASE at reset (xAPIC, BSP)", base, LAPIC_BASE | BASE_EN | BASE_BSP);
    if (base & BASE_EXTD)                       /* (not seen: both start in xAPIC mode) */
        wrmsr(APIC_BASE_MSR, base & ~(BASE_EN | BASE_EXTD));
    base = LAPIC_BASE | BASE_EN | BASE_BSP;
    wrmsr(APIC_BASE_MSR, base);

    /* Reads, in each form. */
    uint32_t ver = lapic_read(LAPIC_VER);
    printk("xAPIC: ID %#x, version %#x, SVR %#x, LVT timer %#x\n", lapic_read(LAPIC_ID), ver,
           lapic_read(LAPIC_SVR), lapic_read(LAPIC_LVTT));
    check_eq("ID (bits 31:24) against CPUID.1 EBX", lapic_read(LAPIC_ID), cpuid_id << 24);
    check_eq("ID through SIB", id_sib(), cpuid_id << 24);
    check_eq("version 0x50014 (Xen's: 6 LVTs, 0x14)", ver, 0x50014);
    check_eq("version through moffs (a1)", ver_moffs(), ver);
    check_eq("version into r9d (REX.R)", ver_rex_r9(), ver);
    check_eq("16-bit read keeps RCX's upper bits", ver_16(), 0xffffffffffff0000UL | (ver & 0xffff));
    check_eq("32-bit read zero-extends", ver_32(), ver);
    check_eq("x2APIC MSR 0x802 in xAPIC mode", rdmsr_probe(0x802, &v), 13);
    check_eq("x2APIC MSR 0x830 write in xAPIC mode", wrmsr_probe(0x830, ICR_SELF | VEC), 13);
    check_eq("SVR at reset", lapic_read(LAPIC_SVR), 0xff);

    /* Writes. */
    svr_imm();
    check_eq("SVR after movl $0x1ff", lapic_read(LAPIC_SVR), 0x1ff);
    tpr_moffs(0x20);
    check_eq("TPR through a3", lapic_read(LAPIC_TPR), 0x20);
    check_eq("PPR follows TPR", lapic_read(LAPIC_PPR), 0x20);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVTT, (1u << 16) | 0xef);
    check_eq("LVT timer read back", lapic_read(LAPIC_LVTT), (1u << 16) | 0xef);
    lapic_write(LAPIC_ESR, 0);
    check_eq("ESR", lapic_read(LAPIC_ESR), 0);
    lapic_write(LAPIC_DFR, 0xffffffff);         /* flat model, as Linux's apic_flat */
    lapic_write(LAPIC_LDR, 1u << 24);
    check_eq("DFR", lapic_read(LAPIC_DFR), 0xffffffff);
    check_eq("LDR", lapic_read(LAPIC_LDR), 1u << 24);

    /* Self-IPIs through ICR_HI/ICR_LO. */
    xapic_ipi("physical self-IPI", cpuid_id << 24, VEC);
    xapic_ipi("logical (flat) self-IPI", 1u << 24, ICR_LOGICAL | VEC);
    xapic_ipi("shorthand self", 0, ICR_SELF | VEC);
    unsigned before = test_ipis_seen;
    lapic_write(LAPIC_ICR_HI, 2u << 24);        /* flat bit 1: nobody */
    lapic_write(LAPIC_ICR, ICR_LOGICAL | VEC);
    check(!wait_ipi(before), "logical IPI to nobody arrived");

    x2apic_part(base, ver, x2id);

    /* Back in xAPIC mode: enabling reset the registers. */
    check_eq("xAPIC again: SVR reset", lapic_read(LAPIC_SVR), 0xff);
    check_eq("xAPIC again: ID", lapic_read(LAPIC_ID), cpuid_id << 24);
    check_eq("moving the xAPIC page", wrmsr_probe(APIC_BASE_MSR, (base & 0xfff) | 0xfed00000), 13);
    svr_imm();
    xapic_ipi("physical self-IPI after the mode changes", cpuid_id << 24, VEC);
}
