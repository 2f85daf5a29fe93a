/* PCI configuration space through ports 0xcf8/0xcfc (configuration
 * mechanism #1: QEMU's i440fx and q35, every PC chipset), under one lock
 * so that Keel's accesses and dom0's never interleave their address and
 * data cycles (arch/x86_64/pci.c).
 *
 * dom0 reaches config space through the same ports, emulated: a 32-bit
 * write to 0xcf8 is latched per domain, and an access to 0xcfc-0xcff is
 * done under the lock with the latched address (as Xen 4.17's
 * pci_cfg_ok / guest_io_{read,write} in xen/arch/x86/pv/emul-priv-op.c). */
#ifndef KEEL_PCI_H
#define KEEL_PCI_H

#include <keel/types.h>

struct domain;

#define PCI_CONF_ADDR_PORT  0xcf8
#define PCI_CONF_DATA_PORT  0xcfc

/* Registers and capability IDs (PCI Local Bus spec 3.0, 6.1 / 6.8). */
#define PCI_VENDOR_ID       0x00
#define PCI_COMMAND         0x04
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_STATUS          0x06
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_CAP_PTR         0x34
#define PCI_CAP_ID_MSI      0x05
#define PCI_CAP_ID_MSIX     0x11

/* reg is a byte offset below 256; size 1, 2 or 4, naturally aligned
 * (anything else reads all ones and writes nothing). */
uint32_t pci_conf_read(unsigned bus, unsigned devfn, unsigned reg, unsigned size);
void pci_conf_write(unsigned bus, unsigned devfn, unsigned reg, unsigned size, uint32_t val);

/* Whether a function answers (vendor ID not all ones). */
bool pci_dev_present(unsigned bus, unsigned devfn);
/* Offset of the first capability `id` in the list, 0 if none (the walk
 * is bounded: a looping list from a broken device ends it). */
unsigned pci_find_cap(unsigned bus, unsigned devfn, unsigned id);
/* Physical address of memory BAR `bir` (0-5) of a type-0 header, 64-bit
 * BARs included; 0 for an I/O BAR, an absent one or a bad index. */
uint64_t pci_mem_bar(unsigned bus, unsigned devfn, unsigned bir);

/* dom0's port I/O on 0xcf8-0xcff (pv_emulate.c): true if handled here. */
bool pci_guest_port_in(struct domain *d, uint16_t port, unsigned size, uint32_t *val);
bool pci_guest_port_out(struct domain *d, uint16_t port, unsigned size, uint32_t val);

#endif
