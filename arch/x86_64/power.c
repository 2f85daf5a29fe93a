/* Reboot and power-off. ACPI: FADT RESET_REG/RESET_VALUE (ACPI 6.x 4.8.3.6)
 * and S5 via PM1x_CNT SLP_TYP (bits 10-12) | SLP_EN (bit 13) (ACPI 6.x
 * 4.8.3.2.1, 16.1.7). Fallbacks: 8042 pulse reset (0xfe to port 0x64),
 * then a triple fault. */
#include <keel/power.h>
#include <keel/acpi.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/x86.h>

bool opt_noreboot;
param_bool("noreboot", opt_noreboot);

extern struct acpi_info acpi_info;

void machine_halt(void)
{
    irq_disable();
    for (;;)
        cpu_halt();
}

/* GAS access size: 1 byte, 2 word, 3 dword (ACPI 6.x 5.2.3.2); 0 means
 * "from bit_width". */
static unsigned gas_bytes(const struct acpi_gas *g)
{
    unsigned code = g->access_size;
    if (!code)
        code = g->bit_width <= 8 ? 1 : g->bit_width <= 16 ? 2 : 3;
    return code == 1 ? 1 : code == 2 ? 2 : 4;
}

static void gas_write(const struct acpi_gas *g, uint32_t v)
{
    if (g->space_id == 1 && g->address) {               /* system I/O */
        uint16_t port = (uint16_t)g->address;
        switch (gas_bytes(g)) {
        case 1: outb(port, (uint8_t)v); break;
        case 2: outw(port, (uint16_t)v); break;
        default: outl(port, v); break;
        }
    } else if (g->space_id == 0 && g->address) {        /* system memory */
        void *p = ioremap(g->address, 4);
        if (!p)
            return;
        switch (gas_bytes(g)) {
        case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
        case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
        default: *(volatile uint32_t *)p = v; break;
        }
    }
}

static uint16_t pm1_read(const struct acpi_gas *g)
{
    return g->space_id == 1 && g->address ? inw((uint16_t)g->address) : 0;
}

void machine_reboot(void)
{
    log_always("keel: rebooting\n");
    console_flush();
    smp_stop_others();
    if (acpi_info.has_fadt && acpi_info.reset_supported && acpi_info.reset_reg.address) {
        gas_write(&acpi_info.reset_reg, acpi_info.reset_value);
        udelay(50000);
    }
    for (int i = 0; i < 10000 && (inb(0x64) & 0x02); i++)
        udelay(10);
    outb(0x64, 0xfe);
    udelay(50000);
    /* Triple fault: an empty IDT and an exception. */
    struct { uint16_t limit; uint64_t base; } __packed null_idt = { 0, 0 };
    __asm__ __volatile__("lidt %0; int3" : : "m"(null_idt));
    machine_halt();
}

void machine_power_off(void)
{
    log_always("keel: powering off\n");
    console_flush();
    smp_stop_others();
    if (acpi_info.has_fadt && acpi_info.has_s5 && !acpi_info.hw_reduced) {
        uint16_t a = pm1_read(&acpi_info.pm1a_cnt) & ~(uint16_t)(7 << 10);
        gas_write(&acpi_info.pm1a_cnt, a | (uint16_t)(acpi_info.s5_slp_typ_a << 10) | (1 << 13));
        if (acpi_info.pm1b_cnt.address) {
            uint16_t b = pm1_read(&acpi_info.pm1b_cnt) & ~(uint16_t)(7 << 10);
            gas_write(&acpi_info.pm1b_cnt, b | (uint16_t)(acpi_info.s5_slp_typ_b << 10) | (1 << 13));
        }
        udelay(100000);
    }
    log_err("keel: ACPI power-off failed; halting\n");
    console_flush();
    machine_halt();
}
