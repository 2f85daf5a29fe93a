/* PCI configuration space (include/keel/pci.h). */
#include <keel/pci.h>
#include <keel/domain.h>
#include <keel/spinlock.h>
#include <keel/x86.h>

static spinlock_t pci_lock = SPINLOCK_INIT;

static uint32_t conf_addr(unsigned bus, unsigned devfn, unsigned reg)
{
    return 0x80000000u | (bus & 0xff) << 16 | (devfn & 0xff) << 8 | (reg & 0xfc);
}

static bool access_ok(unsigned reg, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && reg < 256 && !(reg & (size - 1));
}

/* Under the lock: one data-port access at byte `off` (0-3) of the dword. */
static uint32_t data_in(unsigned off, unsigned size)
{
    uint16_t port = (uint16_t)(PCI_CONF_DATA_PORT + off);
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void data_out(unsigned off, unsigned size, uint32_t val)
{
    uint16_t port = (uint16_t)(PCI_CONF_DATA_PORT + off);
    if (size == 1) outb(port, (uint8_t)val);
    else if (size == 2) outw(port, (uint16_t)val);
    else outl(port, val);
}

static uint32_t raw_read(uint32_t addr, unsigned off, unsigned size)
{
    uint64_t f = spin_lock_irqsave(&pci_lock);
    outl(PCI_CONF_ADDR_PORT, addr);
    uint32_t v = data_in(off, size);
    spin_unlock_irqrestore(&pci_lock, f);
    return v;
}

static void raw_write(uint32_t addr, unsigned off, unsigned size, uint32_t val)
{
    uint64_t f = spin_lock_irqsave(&pci_lock);
    outl(PCI_CONF_ADDR_PORT, addr);
    data_out(off, size, val);
    spin_unlock_irqrestore(&pci_lock, f);
}

uint32_t pci_conf_read(unsigned bus, unsigned devfn, unsigned reg, unsigned size)
{
    if (!access_ok(reg, size) || bus > 255 || devfn > 255)
        return 0xffffffffu;
    return raw_read(conf_addr(bus, devfn, reg), reg & 3, size);
}

void pci_conf_write(unsigned bus, unsigned devfn, unsigned reg, unsigned size, uint32_t val)
{
    if (!access_ok(reg, size) || bus > 255 || devfn > 255)
        return;
    raw_write(conf_addr(bus, devfn, reg), reg & 3, size, val);
}

bool pci_dev_present(unsigned bus, unsigned devfn)
{
    return (pci_conf_read(bus, devfn, PCI_VENDOR_ID, 2) & 0xffff) != 0xffff;
}

unsigned pci_find_cap(unsigned bus, unsigned devfn, unsigned id)
{
    if (!pci_dev_present(bus, devfn) ||
        !(pci_conf_read(bus, devfn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned pos = pci_conf_read(bus, devfn, PCI_CAP_PTR, 1) & 0xfc;
    /* At most 48 capabilities fit in the 192 bytes after the header. */
    for (unsigned n = 0; n < 48 && pos >= 0x40; n++) {
        uint32_t hdr = pci_conf_read(bus, devfn, pos, 2);
        if ((hdr & 0xff) == id)
            return pos;
        pos = (hdr >> 8) & 0xfc;
    }
    return 0;
}

uint64_t pci_mem_bar(unsigned bus, unsigned devfn, unsigned bir)
{
    if (bir > 5 || (pci_conf_read(bus, devfn, PCI_HEADER_TYPE, 1) & 0x7f) != 0)
        return 0;
    uint32_t lo = pci_conf_read(bus, devfn, PCI_BAR0 + 4 * bir, 4);
    if (lo & 1)
        return 0;                               /* I/O space */
    uint64_t a = lo & ~0xfull;
    if ((lo & 6) == 4) {                        /* 64-bit: the next BAR is the high half */
        if (bir == 5)
            return 0;
        a |= (uint64_t)pci_conf_read(bus, devfn, PCI_BAR0 + 4 * (bir + 1), 4) << 32;
    }
    return a;
}

/* ---- dom0's accesses ---- */

bool pci_guest_port_in(struct domain *d, uint16_t port, unsigned size, uint32_t *val)
{
    if (port == PCI_CONF_ADDR_PORT && size == 4) {
        *val = d->pci_cf8;
        return true;
    }
    if (port < PCI_CONF_DATA_PORT || port > PCI_CONF_DATA_PORT + 3)
        return false;                   /* 0xcf9 (reset control) etc.: the real port */
    unsigned off = port & 3;
    if (!(d->pci_cf8 & 0x80000000u) || off + size > 4) {
        *val = 0xffffffffu;
        return true;
    }
    *val = raw_read(d->pci_cf8 & ~3u, off, size);
    return true;
}

bool pci_guest_port_out(struct domain *d, uint16_t port, unsigned size, uint32_t val)
{
    if (port == PCI_CONF_ADDR_PORT && size == 4) {
        d->pci_cf8 = val;
        return true;
    }
    if (port < PCI_CONF_DATA_PORT || port > PCI_CONF_DATA_PORT + 3)
        return false;
    unsigned off = port & 3;
    if ((d->pci_cf8 & 0x80000000u) && off + size <= 4)
        raw_write(d->pci_cf8 & ~3u, off, size, val);
    return true;
}
