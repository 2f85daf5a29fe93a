/* Processor setup for every CPU. */
#include <keel/cpu.h>
#include <keel/cmdline.h>
#include <keel/cpufeature.h>
#include <keel/hvm.h>
#include <keel/fpu.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/traps.h>
#include <keel/x86.h>
#include <keel/vcpu.h>

bool opt_smep = true, opt_smap = true;
/* Read by the entry code: clear EFLAGS.AC on entry from a guest (clac
 * faults on CPUs without SMAP, so only when it is on). */
uint8_t smap_active;
param_bool("smep", opt_smep);

/* smap= given or not: by default SMAP is on except under QEMU TCG. QEMU's
 * TCG up to 9.0 pops the frame of an iretq (and lretq) executed in ring 3
 * with its kernel MMU index, which with CR4.SMAP set is a supervisor
 * access checked by SMAP; a PV guest kernel runs in ring 3 on user pages,
 * so Linux's sync_core() (iretq to itself) faults there on the read of its
 * own stack (#PF error 1, address = rsp). Real CPUs use CPL 3 for those
 * reads. Xen 4.17 under the same QEMU dies the same way (shared DESIGN.md,
 * test rigs). Facts: QEMU 7.2 target/i386 cpu_mmu_index_kernel() (CPL 3 +
 * CR4.SMAP = MMU_KSMAP_IDX) used by helper_ret_protected's pops; reworked
 * upstream in July 2024 (x86_mmu_index_kernel_pl, "target/i386/tcg" series
 * by R. Henderson / P. Bonzini). smap=1 forces SMAP on anyway. */
static int8_t smap_option = -1;

static int parse_smap(const char *v)
{
    bool on = true;
    if (*v && !cmdline_parse_bool(v, &on))
        return -1;
    smap_option = on;
    return 0;
}

static int parse_no_smap(const char *v)
{
    if (*v)
        return -1;
    smap_option = 0;
    return 0;
}
param_custom("smap", parse_smap);
param_custom("no-smap", parse_no_smap);

/* Once, on the boot CPU, before any CPU sets CR4. */
static void smap_decide(void)
{
    if (smap_option >= 0) {
        opt_smap = smap_option;
        return;
    }
    opt_smap = !boot_cpu.qemu_tcg;
    if (boot_cpu.smap && boot_cpu.qemu_tcg)
        log_info("cpu: SMAP left off under QEMU TCG (its ring-3 iretq reads the stack as "
                 "a supervisor access checked by SMAP); smap=1 turns it on\n");
}

struct percpu *cpu_percpu[NR_CPUS];
unsigned nr_cpus_online;
unsigned nr_cpus_possible = 1;

/* The BSP runs on a static stack block and GDT until memory is up. */
extern char bsp_boot_stack[];
static struct seg_desc bsp_early_gdt[FIRST_RESERVED_GDT_ENTRY + GDT_RESERVED_ENTRIES] __aligned(4096);
static struct percpu bsp_percpu;

static void gdt_fill_reserved(struct seg_desc *gdt, struct tss64 *tss)
{
    struct seg_desc *r = gdt + FIRST_RESERVED_GDT_ENTRY;
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

    r[1].raw = 0x00af9a000000ffffUL;    /* hypervisor code64, DPL0 */
    r[2].raw = 0x00cf92000000ffffUL;    /* hypervisor data, DPL0 */
    r[4].raw = 0x00cffa000000ffffUL;    /* ring-3 code32 */
    r[5].raw = 0x00cff2000000ffffUL;    /* ring-3 data */
    r[6].raw = 0x00affa000000ffffUL;    /* ring-3 code64 */
    r[8].raw = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
               ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    r[9].raw = base >> 32;              /* 64-bit TSS, available */
}

static void gdt_load(struct seg_desc *gdt)
{
    struct desc_ptr p = {
        (FIRST_RESERVED_GDT_ENTRY + GDT_RESERVED_ENTRIES) * 8 - 1, (uint64_t)gdt
    };
    __asm__ __volatile__(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %2, %%eax\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        : : "m"(p), "i"(HYPERVISOR_CS), "i"(HYPERVISOR_DS) : "rax", "memory");
    __asm__ __volatile__("ltr %w0" : : "r"(TSS_SEL));
    /* No LDT until a guest installs one: the reset LDTR (base 0, limit
     * 0xffff) would let guest-controlled memory act as descriptors. */
    __asm__ __volatile__("lldt %w0" : : "r"(0));
}

static void tss_setup(struct tss64 *tss, vaddr_t block)
{
    memset(tss, 0, sizeof(*tss));
    tss->rsp[0] = block + STACK_BLOCK_SIZE - CPU_INFO_SIZE;
    tss->ist[IST_DF - 1] = block + STACK_IST_DF_TOP;
    tss->ist[IST_NMI - 1] = block + STACK_IST_NMI_TOP;
    tss->ist[IST_MC - 1] = block + STACK_IST_MC_TOP;
    tss->iomap_base = sizeof(*tss);     /* no I/O bitmap: ring 3 gets #GP */
}

static void cpu_control_regs(void)
{
    uint64_t cr4 = read_cr4();

    if (boot_cpu.pge)
        cr4 |= CR4_PGE;
    if (boot_cpu.smep && opt_smep)
        cr4 |= CR4_SMEP;
    if (boot_cpu.smap && opt_smap) {
        cr4 |= CR4_SMAP;
        smap_active = 1;
    }
    if (boot_cpu.fsgsbase)
        cr4 |= CR4_FSGSBASE;
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    write_cr4(cr4);
    fpu_cpu_init();                     /* CR4.OSXSAVE and XCR0 */
    write_cr0(read_cr0() | CR0_WP | CR0_NE | CR0_MP);
    if (boot_cpu.nx)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

static const char *on_off(bool present, bool wanted)
{
    return !present ? "absent" : wanted ? "on" : "off (option)";
}

static const char *smap_state(void)
{
    if (boot_cpu.smap && !opt_smap && smap_option < 0)
        return "off (QEMU TCG)";
    return on_off(boot_cpu.smap, opt_smap);
}

void cpu_early_init(void)
{
    struct cpu_info *ci = (struct cpu_info *)(bsp_boot_stack + STACK_BLOCK_SIZE - CPU_INFO_SIZE);

    bsp_percpu.stack_block = (vaddr_t)bsp_boot_stack;
    bsp_percpu.gdt = bsp_early_gdt;
    ci->percpu = &bsp_percpu;
    ci->cpu_id = 0;
    cpu_percpu[0] = &bsp_percpu;
    tss_setup(&bsp_percpu.tss, bsp_percpu.stack_block);
    gdt_fill_reserved(bsp_early_gdt, &bsp_percpu.tss);
    gdt_load(bsp_early_gdt);
    idt_init();
    idt_load();
}

struct percpu *cpu_alloc(unsigned cpu_id, uint32_t apic_id)
{
    struct percpu *pc = cpu_id == 0 ? &bsp_percpu : kzalloc(sizeof(*pc));
    if (!pc)
        return NULL;
    pc->cpu_id = cpu_id;
    pc->apic_id = apic_id;
    pc->stack_block = vmap_stack_block();
    pc->gdt = vmap_gdt();
    if (!pc->stack_block || !pc->gdt)
        return NULL;
    struct cpu_info *ci = (struct cpu_info *)(pc->stack_block + STACK_BLOCK_SIZE - CPU_INFO_SIZE);
    ci->cpu_id = cpu_id;
    ci->apic_id = apic_id;
    ci->percpu = pc;
    timer_queue_init(&pc->timers);
    cpu_percpu[cpu_id] = pc;
    return pc;
}

/* Runs on the CPU's own stack block. */
void cpu_init(struct percpu *pc)
{
    tss_setup(&pc->tss, pc->stack_block);
    gdt_fill_reserved(pc->gdt, &pc->tss);
    gdt_load(pc->gdt);
    idt_load();
    if (pc->cpu_id == 0)
        smap_decide();
    cpu_control_regs();
    pv_cpu_init();
    if (pc->cpu_id == 0)
        log_info("cpu: protections: NX %s, WP on, SMEP %s, SMAP %s\n", on_off(boot_cpu.nx, true),
                 on_off(boot_cpu.smep, opt_smep), smap_state());
    hvm_cpu_init();                     /* SVM/VMX on, or the `hvm: none` line */
}
