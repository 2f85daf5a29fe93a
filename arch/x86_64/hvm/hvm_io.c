/* Port I/O of a PVH guest. It has no emulated devices: as on Xen, a read
 * of a port nothing emulates gives all ones and a write is dropped. One
 * port is served: 0xe9, Xen's HVM debug console (xen/arch/x86/hvm/hvm.c
 * hvm_print_line), whose bytes become the domain's console lines. The
 * PIT counters (0x40-0x42) read 0 rather than all ones: Linux's
 * quick_pit_calibrate runs before it has read the ACPI tables that say
 * there is no PIC (tsc_early_init precedes acpi_boot_table_init in 6.1
 * setup_arch), and a counter stuck at 0xff makes it poll port 0x42
 * 100,000 times (1.4 s of exits under QEMU TCG) before giving up; a 0
 * ends it at the first read. Xen gives ~0 there and pays the exits. String
 * I/O (INS/OUTS) is not emulated yet: it crashes the domain with a log
 * line rather than pretend. */
#include <keel/hvm.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/traps.h>
#include <keel/vcpu.h>

#define PORT_DEBUG_CONSOLE  0xe9

struct hvm_port {
    uint16_t port;
    void (*out)(struct vcpu *v, uint32_t val, unsigned size);
    uint32_t (*in)(struct vcpu *v, unsigned size);
};

static void debug_console_out(struct vcpu *v, uint32_t val, unsigned size)
{
    (void)size;
    domain_console_put(v->d, (char)val);
}

static uint32_t pit_counter_in(struct vcpu *v, unsigned size)
{
    (void)v, (void)size;
    return 0;
}

static const struct hvm_port ports[] = {
    { PORT_DEBUG_CONSOLE, debug_console_out, NULL },
    { 0x40, NULL, pit_counter_in },
    { 0x41, NULL, pit_counter_in },
    { 0x42, NULL, pit_counter_in },
};

bool hvm_io(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    unsigned size = e->io.size;
    uint32_t mask = size == 4 ? 0xffffffffU : (1U << (8 * size)) - 1;
    if (e->io.string)
        return false;
    const struct hvm_port *p = NULL;
    for (unsigned i = 0; i < ARRAY_SIZE(ports); i++)
        if (ports[i].port == e->io.port)
            p = &ports[i];
    if (e->io.in) {
        uint32_t val = p && p->in ? p->in(v, size) & mask : mask;
        regs->rax = (regs->rax & ~(uint64_t)mask) | val;
    } else if (p && p->out) {
        p->out(v, (uint32_t)regs->rax & mask, size);
    }
    hvm_skip_insn(regs, e, 1);          /* in/out with DX: one byte (no prefix) */
    return true;
}
