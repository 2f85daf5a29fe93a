/* IO-APIC routing of legacy ISA interrupts, and the 8259 PICs masked.
 * IO-APIC: Intel 82093AA datasheet (IOREGSEL 0x00, IOWIN 0x10, redirection
 * entries at 0x10 + 2n). MADT interrupt source overrides: ACPI 6.x 5.2.12.5. */
#include <keel/apic.h>
#include <keel/acpi.h>
#include <keel/errno.h>
#include <keel/iomem.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/spinlock.h>
#include <keel/x86.h>

#define MAX_IOAPICS 16
struct ioapic {
    volatile uint32_t *mmio;
    uint32_t gsi_base, nr_pins;
    uint32_t phys;                  /* its MMIO address (PHYSDEVOP_apic_read) */
};
static struct ioapic ioapics[MAX_IOAPICS];
static unsigned nr_ioapics;
static const struct acpi_info *acpi;
/* IOREGSEL + IOWIN is a pair of accesses: one CPU at a time. */
static spinlock_t ioapic_lock = SPINLOCK_INIT;
/* GSIs Keel itself routed (its UART): never dom0's. */
static uint64_t keel_gsis[4];

static uint32_t ioapic_read(struct ioapic *io, unsigned reg)
{
    io->mmio[0] = reg;
    return io->mmio[4];
}

static void ioapic_write(struct ioapic *io, unsigned reg, uint32_t v)
{
    io->mmio[0] = reg;
    io->mmio[4] = v;
}

void pic_disable(void)
{
    /* Remap to 0x20-0x2f first so a stray PIC interrupt is recognisable. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

void ioapic_init(const struct acpi_info *ai)
{
    acpi = ai;
    for (unsigned i = 0; i < ai->nr_ioapics && nr_ioapics < MAX_IOAPICS; i++) {
        struct ioapic *io = &ioapics[nr_ioapics];
        io->mmio = ioremap(ai->ioapic[i].addr, 0x20);
        iomem_reserve(ai->ioapic[i].addr & ~0xfffUL, PAGE_SIZE, IOMEM_RO);
        if (!io->mmio) {
            log_err("ioapic: cannot map IO-APIC %u at 0x%x\n", ai->ioapic[i].id, ai->ioapic[i].addr);
            continue;
        }
        io->gsi_base = ai->ioapic[i].gsi_base;
        io->phys = ai->ioapic[i].addr;
        io->nr_pins = ((ioapic_read(io, 1) >> 16) & 0xff) + 1;
        for (unsigned pin = 0; pin < io->nr_pins; pin++) {
            ioapic_write(io, 0x10 + 2 * pin, 1U << 16);     /* masked */
            ioapic_write(io, 0x11 + 2 * pin, 0);
        }
        log_info("ioapic: id %u at 0x%x, GSIs %u-%u\n", ai->ioapic[i].id, ai->ioapic[i].addr,
                 io->gsi_base, io->gsi_base + io->nr_pins - 1);
        nr_ioapics++;
    }
}

int ioapic_route_isa_irq(unsigned irq, unsigned vector)
{
    uint32_t gsi = irq;
    uint16_t flags = 0;
    for (unsigned i = 0; acpi && i < acpi->nr_isos; i++) {
        if (acpi->iso[i].bus_irq == irq) {
            gsi = acpi->iso[i].gsi;
            flags = acpi->iso[i].flags;
        }
    }
    for (unsigned i = 0; i < nr_ioapics; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi < io->gsi_base || gsi >= io->gsi_base + io->nr_pins)
            continue;
        unsigned pin = gsi - io->gsi_base;
        uint32_t lo = vector;
        if ((flags & 3) == 3)
            lo |= 1U << 13;             /* active low */
        if (((flags >> 2) & 3) == 3)
            lo |= 1U << 15;             /* level triggered */
        uint32_t dest = cpu_percpu[0]->apic_id;
        uint64_t f = spin_lock_irqsave(&ioapic_lock);
        ioapic_write(io, 0x11 + 2 * pin, dest << 24);   /* 8-bit physical destination */
        ioapic_write(io, 0x10 + 2 * pin, lo);
        spin_unlock_irqrestore(&ioapic_lock, f);
        if (gsi < 64 * ARRAY_SIZE(keel_gsis))
            keel_gsis[gsi / 64] |= 1UL << (gsi % 64);
        return (int)gsi;
    }
    log_err("ioapic: no IO-APIC serves GSI %u (ISA IRQ %u)\n", gsi, irq);
    return -ENODEV;
}

/* ---- GSIs for dom0's physical interrupts (hv/pirq.c) ---- */

static struct ioapic *ioapic_of_gsi(unsigned gsi, unsigned *pin)
{
    for (unsigned i = 0; i < nr_ioapics; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nr_pins) {
            *pin = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

unsigned ioapic_nr_gsis(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nr_ioapics; i++)
        n = MAX(n, ioapics[i].gsi_base + ioapics[i].nr_pins);
    return n;
}

bool ioapic_gsi_is_keels(unsigned gsi)
{
    return gsi < 64 * ARRAY_SIZE(keel_gsis) && ((keel_gsis[gsi / 64] >> (gsi % 64)) & 1);
}

int ioapic_gsi_route(unsigned gsi, unsigned vector, bool level, bool active_low, bool masked)
{
    unsigned pin;
    struct ioapic *io = ioapic_of_gsi(gsi, &pin);
    if (!io)
        return -ENODEV;
    uint32_t lo = vector | (active_low ? 1U << 13 : 0) | (level ? 1U << 15 : 0) |
                  (masked ? 1U << 16 : 0);
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    ioapic_write(io, 0x10 + 2 * pin, lo | (1U << 16));  /* masked while it changes */
    ioapic_write(io, 0x11 + 2 * pin, cpu_percpu[0]->apic_id << 24);
    ioapic_write(io, 0x10 + 2 * pin, lo);
    spin_unlock_irqrestore(&ioapic_lock, f);
    return 0;
}

void ioapic_gsi_mask(unsigned gsi, bool masked)
{
    unsigned pin;
    struct ioapic *io = ioapic_of_gsi(gsi, &pin);
    if (!io)
        return;
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    uint32_t lo = ioapic_read(io, 0x10 + 2 * pin);
    ioapic_write(io, 0x10 + 2 * pin, masked ? lo | (1U << 16) : lo & ~(1U << 16));
    spin_unlock_irqrestore(&ioapic_lock, f);
}

int ioapic_read_reg(uint64_t physbase, unsigned reg, uint32_t *val)
{
    for (unsigned i = 0; i < nr_ioapics; i++) {
        if (ioapics[i].phys == physbase) {
            uint64_t f = spin_lock_irqsave(&ioapic_lock);
            *val = ioapic_read(&ioapics[i], reg);
            spin_unlock_irqrestore(&ioapic_lock, f);
            return 0;
        }
    }
    return -EINVAL;
}

void ioapic_gsi_default_mode(unsigned gsi, bool *level, bool *active_low)
{
    /* ISA interrupts are edge/high unless an override says otherwise;
     * the others (PCI) level/low (ACPI 6.x 5.2.12.5). */
    *level = gsi >= 16;
    *active_low = gsi >= 16;
    for (unsigned i = 0; acpi && i < acpi->nr_isos; i++) {
        if (acpi->iso[i].gsi != gsi)
            continue;
        uint16_t fl = acpi->iso[i].flags;
        if ((fl & ACPI_INTI_POLARITY_MASK) == 1 || (fl & ACPI_INTI_POLARITY_MASK) == 3)
            *active_low = (fl & ACPI_INTI_POLARITY_MASK) == 3;
        if ((fl & ACPI_INTI_TRIGGER_MASK) == 4 || (fl & ACPI_INTI_TRIGGER_MASK) == 0xc)
            *level = (fl & ACPI_INTI_TRIGGER_MASK) == 0xc;
    }
}
