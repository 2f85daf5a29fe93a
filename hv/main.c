/* Keel's start: from the boot loader's hand-off to every CPU idling (or
 * running the self-tests and powering off). */
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/cpufeature.h>
#include <keel/dom_build.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/power.h>
#include <keel/sched.h>
#include <keel/selftest.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/timer.h>
#include <keel/traps.h>
#include <keel/uart.h>
#include <keel/x86.h>

#define KEEL_VERSION "0.1"

extern char __image_start_hv[], __image_virt_end[];
extern struct acpi_info acpi_info;
void acpi_init(const struct boot_info *bi);

static struct boot_info boot_info;

/* sched= is accepted now so Xen-style GRUB entries boot; there is one
 * scheduler until the scheduler issue. */
static char opt_sched[16] = "credit";
static unsigned opt_maxcpus = NR_CPUS;
param_string("sched", opt_sched);
param_uint("maxcpus", opt_maxcpus, 1, NR_CPUS);

/* The boot page tables map 0-4 GiB at the direct map. */
static const void *early_phys_map(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (phys + len < phys || phys + len > GiB(4))
        return NULL;
    return phys_to_virt(phys);
}

static void uart_irq_handler(struct cpu_regs *regs, unsigned vector)
{
    (void)regs, (void)vector;
    uart_irq();
}

static void uart_rx_route(void)
{
    const struct uart_cfg *c = uart_config();
    int gsi = ioapic_route_isa_irq(c->irq, VEC_IRQ_BASE + c->irq);
    if (gsi < 0)
        return;
    irq_set_handler(VEC_IRQ_BASE + c->irq, uart_irq_handler);
    console_enable_input();
}

static void log_memory(void)
{
    log_info("mem: total %lu KiB, free %lu KiB (usable %lu KiB, firmware keeps %lu KiB)\n",
             mm_total_ram >> 10, mm_free_frames() * 4, mm_usable_ram >> 10,
             (mm_total_ram - mm_usable_ram) >> 10);
}

static void debug_key_memory(char key)
{
    (void)key;
    log_memory();
}
debug_key('m', "show free memory", debug_key_memory);

static void debug_key_cpus(char key)
{
    (void)key;
    for_each_online_cpu(cpu) {
        struct percpu *pc = cpu_percpu[cpu];
        log_info("cpu %u: APIC id %u, %lu interrupts, %lu timer interrupts, %lu heartbeats\n",
                 cpu, pc->apic_id, pc->irqs, pc->timer_irqs, pc->heartbeats);
    }
}
debug_key('c', "show CPUs", debug_key_cpus);

static void debug_key_reboot(char key)
{
    (void)key;
    machine_reboot();
}
debug_key('R', "reboot the machine", debug_key_reboot);

static void __noreturn bsp_continue(void)
{
    struct percpu *pc = this_cpu();

    cpu_init(pc);
    timers_cpu_init();
    pc->online = true;
    nr_cpus_online = 1;
    smp_init_ipis();
    irq_enable();
    timer_start_heartbeat();
    uart_rx_route();
    smp_boot_cpus(&acpi_info, opt_maxcpus);
    log_memory();

    crashtest_run();
    if (opt_selftest) {
        selftest_run_all();             /* powers off when all tests are done */
        idle_loop();
    }
    log_info("keel: boot complete, %u CPUs. Serial input goes to dom0; Ctrl-A three times switches it to Keel's keys ('h' for help).\n", nr_cpus_online);
    boot_domains(&boot_info);
    idle_loop();
}

static void __noreturn switch_stack(vaddr_t top, void (*fn)(void))
{
    __asm__ __volatile__("mov %0, %%rsp; xor %%ebp, %%ebp; call *%1"
                         : : "r"(top), "r"(fn) : "memory");
    __builtin_unreachable();
}

static void log_boot_info(const struct boot_info *bi)
{
    log_info("boot: Multiboot%d from '%s'%s\n", bi->protocol, bi->loader[0] ? bi->loader : "?",
             bi->efi ? " (UEFI)" : "");
    log_info("boot: command line: '%s'\n", bi->cmdline);
    for (unsigned i = 0; i < bi->nr_mmap; i++)
        log_debug("boot: mem 0x%016lx-0x%016lx type %u\n", bi->mmap[i].base,
                  bi->mmap[i].base + bi->mmap[i].len, bi->mmap[i].type);
    for (unsigned i = 0; i < bi->nr_mod; i++)
        log_info("boot: module %u: 0x%lx-0x%lx (%lu KiB) '%s'\n", i, bi->mod[i].start,
                 bi->mod[i].end, (bi->mod[i].end - bi->mod[i].start) >> 10, bi->mod[i].cmdline);
}

void kmain(uint32_t magic, uint32_t info_phys)
{
    struct boot_mem_access access = { early_phys_map, NULL };

    console_early_init();
    cpu_early_init();
    log_always("\nKeel hypervisor %s (x86-64)\n", KEEL_VERSION);
    if (bootinfo_parse(magic, info_phys, &access, &boot_info) < 0)
        panic("boot: no usable boot information (magic 0x%x)", magic);
    /* Debian's Xen GRUB entries put a word "placeholder" first (Xen drops the
     * first word); accept those entries unchanged. */
    const char *cmdline = boot_info.cmdline;
    if (!strncmp(cmdline, "placeholder", 11) && (cmdline[11] == ' ' || !cmdline[11]))
        cmdline += 11;
    cmdline_parse_registered(cmdline);
    console_init();
    log_boot_info(&boot_info);
    bootinfo_check_modules(&boot_info, virt_to_phys(__image_start_hv), virt_to_phys(__image_virt_end));

    cpu_features_detect(&boot_cpu);
    cpu_features_print(&boot_cpu);
    mm_init(&boot_info);
    acpi_init(&boot_info);
    time_init();
    rtc_init_wallclock();
    pic_disable();
    apic_bsp_init(acpi_info.lapic_phys);
    ioapic_init(&acpi_info);

    struct percpu *pc = cpu_alloc(0, apic_read_id());
    if (!pc)
        panic("cpu: cannot allocate the boot CPU's stacks");
    switch_stack(pc->stack_block + STACK_BLOCK_SIZE - CPU_INFO_SIZE, bsp_continue);
}
