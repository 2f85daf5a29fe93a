/* Xen PV guest ABI: physdev_op (hypercall 33) and its compat form (19).
 * Ref: shared/ref/xen-pv-abi.md §5.19 (numbers and layouts only). */
#ifndef KEEL_PUBLIC_PHYSDEV_H
#define KEEL_PUBLIC_PHYSDEV_H

#include <public/xen.h>

#define PHYSDEVOP_IRQ_UNMASK_NOTIFY     4
#define PHYSDEVOP_irq_status_query      5
#define PHYSDEVOP_set_iopl              6
#define PHYSDEVOP_set_iobitmap          7
#define PHYSDEVOP_apic_read             8
#define PHYSDEVOP_apic_write            9
#define PHYSDEVOP_alloc_irq_vector      10
#define PHYSDEVOP_free_irq_vector       11
#define PHYSDEVOP_eoi                   12
#define PHYSDEVOP_map_pirq              13
#define PHYSDEVOP_unmap_pirq            14
#define PHYSDEVOP_manage_pci_add        15
#define PHYSDEVOP_manage_pci_remove     16
#define PHYSDEVOP_pirq_eoi_gmfn_v1      17
#define PHYSDEVOP_restore_msi           19
#define PHYSDEVOP_manage_pci_add_ext    20
#define PHYSDEVOP_setup_gsi             21
#define PHYSDEVOP_get_free_pirq         23
#define PHYSDEVOP_pci_mmcfg_reserved    24
#define PHYSDEVOP_pci_device_add        25
#define PHYSDEVOP_pci_device_remove     26
#define PHYSDEVOP_restore_msi_ext       27
#define PHYSDEVOP_pirq_eoi_gmfn_v2      28
#define PHYSDEVOP_dbgp_op               29
#define PHYSDEVOP_prepare_msix          30
#define PHYSDEVOP_release_msix          31
#define PHYSDEVOP_pci_device_reset      32

/* irq_status_query.flags */
#define XENIRQSTAT_needs_eoi            (1U << 0)
#define XENIRQSTAT_shared               (1U << 1)

/* map_pirq.type */
#define MAP_PIRQ_TYPE_MSI               0
#define MAP_PIRQ_TYPE_GSI               1
#define MAP_PIRQ_TYPE_UNKNOWN           2
#define MAP_PIRQ_TYPE_MSI_SEG           3
#define MAP_PIRQ_TYPE_MULTI_MSI         4

#ifndef __ASSEMBLY__
struct physdev_irq_status_query {
    uint32_t irq;
    uint32_t flags;             /* out: XENIRQSTAT_* */
};
_Static_assert(sizeof(struct physdev_irq_status_query) == 8, "irq_status_query size");

struct physdev_set_iopl {
    uint32_t iopl;
};
_Static_assert(sizeof(struct physdev_set_iopl) == 4, "set_iopl size");

struct physdev_set_iobitmap {
    uint64_t bitmap;            /* guest VA */
    uint32_t nr_ports;
    uint32_t _pad;
};
_Static_assert(sizeof(struct physdev_set_iobitmap) == 16, "set_iobitmap size");
_Static_assert(offsetof(struct physdev_set_iobitmap, nr_ports) == 8, "set_iobitmap.nr_ports");

struct physdev_apic {
    uint64_t apic_physbase;
    uint32_t reg;
    uint32_t value;
};
_Static_assert(sizeof(struct physdev_apic) == 16, "physdev_apic size");
_Static_assert(offsetof(struct physdev_apic, value) == 12, "physdev_apic.value");

struct physdev_irq {
    uint32_t irq;
    uint32_t vector;
};
_Static_assert(sizeof(struct physdev_irq) == 8, "physdev_irq size");

struct physdev_eoi {
    uint32_t irq;
};
_Static_assert(sizeof(struct physdev_eoi) == 4, "physdev_eoi size");

struct physdev_map_pirq {
    domid_t  domid;
    uint16_t _pad;
    int32_t  type;              /* MAP_PIRQ_TYPE_* */
    int32_t  index;
    int32_t  pirq;
    int32_t  bus;
    int32_t  devfn;
    int32_t  entry_nr;
    uint32_t _pad2;
    uint64_t table_base;
};
_Static_assert(sizeof(struct physdev_map_pirq) == 40, "map_pirq size");
_Static_assert(offsetof(struct physdev_map_pirq, type) == 4, "map_pirq.type");
_Static_assert(offsetof(struct physdev_map_pirq, entry_nr) == 24, "map_pirq.entry_nr");
_Static_assert(offsetof(struct physdev_map_pirq, table_base) == 32, "map_pirq.table_base");

struct physdev_unmap_pirq {
    domid_t  domid;
    uint16_t _pad;
    int32_t  pirq;
};
_Static_assert(sizeof(struct physdev_unmap_pirq) == 8, "unmap_pirq size");

struct physdev_manage_pci {
    uint8_t bus, devfn;
};
_Static_assert(sizeof(struct physdev_manage_pci) == 2, "manage_pci size");

struct physdev_pirq_eoi_gmfn {
    xen_pfn_t gmfn;
};
_Static_assert(sizeof(struct physdev_pirq_eoi_gmfn) == 8, "pirq_eoi_gmfn size");

struct physdev_restore_msi {
    uint8_t bus, devfn;
};
_Static_assert(sizeof(struct physdev_restore_msi) == 2, "restore_msi size");

struct physdev_setup_gsi {
    int32_t gsi;
    uint8_t triggering;
    uint8_t polarity;
    uint8_t _pad[2];
};
_Static_assert(sizeof(struct physdev_setup_gsi) == 8, "setup_gsi size");
_Static_assert(offsetof(struct physdev_setup_gsi, polarity) == 5, "setup_gsi.polarity");

struct physdev_get_free_pirq {
    int32_t  type;
    uint32_t pirq;              /* out */
};
_Static_assert(sizeof(struct physdev_get_free_pirq) == 8, "get_free_pirq size");

struct physdev_pci_mmcfg_reserved {
    uint64_t address;
    uint16_t segment;
    uint8_t  start_bus;
    uint8_t  end_bus;
    uint32_t flags;
};
_Static_assert(sizeof(struct physdev_pci_mmcfg_reserved) == 16, "pci_mmcfg_reserved size");
_Static_assert(offsetof(struct physdev_pci_mmcfg_reserved, flags) == 12, "mmcfg.flags");

/* pci_device_remove, restore_msi_ext, prepare/release_msix. */
struct physdev_pci_device {
    uint16_t seg;
    uint8_t  bus;
    uint8_t  devfn;
};
_Static_assert(sizeof(struct physdev_pci_device) == 4, "pci_device size");

struct physdev_pci_device_add {
    uint16_t seg;
    uint8_t  bus;
    uint8_t  devfn;
    uint32_t flags;
    struct { uint8_t bus, devfn; } physfn;
    uint16_t _pad;
    uint32_t optarr[];
};
_Static_assert(sizeof(struct physdev_pci_device_add) == 12, "pci_device_add size");
_Static_assert(offsetof(struct physdev_pci_device_add, physfn) == 8, "pci_device_add.physfn");
_Static_assert(offsetof(struct physdev_pci_device_add, optarr) == 12, "pci_device_add.optarr");
#endif

#endif
