/* Xen PV guest ABI: memory_op (hypercall 12). Ref: shared/ref/xen-pv-abi.md
 * §5.10 (numbers and layouts only; no Xen header text). Guest pointers are
 * uint64_t guest virtual addresses: the hypervisor never dereferences them
 * directly. */
#ifndef KEEL_PUBLIC_MEMORY_H
#define KEEL_PUBLIC_MEMORY_H

#include <public/xen.h>

#define XENMEM_increase_reservation     0
#define XENMEM_decrease_reservation     1
#define XENMEM_maximum_ram_page         2
#define XENMEM_current_reservation      3
#define XENMEM_maximum_reservation      4
#define XENMEM_machphys_mfn_list        5
#define XENMEM_populate_physmap         6
#define XENMEM_add_to_physmap           7
#define XENMEM_memory_map               9
#define XENMEM_machine_memory_map       10
#define XENMEM_exchange                 11
#define XENMEM_machphys_mapping         12
#define XENMEM_set_memory_map           13
#define XENMEM_maximum_gpfn             14
#define XENMEM_remove_from_physmap      15
#define XENMEM_set_pod_target           16
#define XENMEM_get_pod_target           17
#define XENMEM_add_to_physmap_batch     23
#define XENMEM_machphys_compat_mfn_list 25

/* memory_op cmd: low bits = op, the rest = continuation start extent. */
#define MEMOP_CMD_MASK                  0x3f
#define MEMOP_EXTENT_SHIFT              6

/* xen_memory_reservation.mem_flags */
#define XENMEMF_address_bits(x)         ((x) & 0xffU)
#define XENMEMF_get_address_bits(f)     ((f) & 0xffU)
#define XENMEMF_node(n)                 ((((n) + 1U) & 0xffU) << 8)
#define XENMEMF_get_node(f)             ((((f) >> 8) - 1U) & 0xffU)
#define XENMEMF_populate_on_demand      (1U << 16)
#define XENMEMF_exact_node_request      (1U << 17)
#define XENMEMF_vnode                   (1U << 18)

/* xen_add_to_physmap.space */
#define XENMAPSPACE_shared_info         0
#define XENMAPSPACE_grant_table         1
#define XENMAPSPACE_gmfn                2
#define XENMAPSPACE_gmfn_range          3
#define XENMAPSPACE_gmfn_foreign        4
#define XENMAPSPACE_dev_mmio            5
#define XENMAPIDX_grant_table_status    (1U << 31)

/* e820 entry types */
#define E820_RAM                        1
#define E820_RESERVED                   2
#define E820_ACPI                       3
#define E820_NVS                        4
#define E820_UNUSABLE                   5

#ifndef __ASSEMBLY__
struct xen_memory_reservation {
    uint64_t extent_start;      /* guest VA of xen_pfn_t[nr_extents] */
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;         /* XENMEMF_* */
    domid_t  domid;
    uint16_t _pad[3];
};
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "xen_memory_reservation size");
_Static_assert(offsetof(struct xen_memory_reservation, nr_extents) == 8, "reservation.nr_extents");
_Static_assert(offsetof(struct xen_memory_reservation, extent_order) == 16, "reservation.extent_order");
_Static_assert(offsetof(struct xen_memory_reservation, mem_flags) == 20, "reservation.mem_flags");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == 24, "reservation.domid");

struct xen_memory_exchange {
    struct xen_memory_reservation in;
    struct xen_memory_reservation out;
    uint64_t nr_exchanged;      /* must be 0 on entry */
};
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "xen_memory_exchange size");
_Static_assert(offsetof(struct xen_memory_exchange, out) == 32, "exchange.out");
_Static_assert(offsetof(struct xen_memory_exchange, nr_exchanged) == 64, "exchange.nr_exchanged");

/* current/maximum_reservation, maximum_gpfn. */
struct xen_memory_domain {
    domid_t domid;
};
_Static_assert(sizeof(struct xen_memory_domain) == 2, "xen_memory_domain size");

struct xen_machphys_mfn_list {
    uint32_t max_extents;
    uint32_t _pad0;
    uint64_t extent_start;      /* guest VA of xen_pfn_t[] */
    uint32_t nr_extents;
    uint32_t _pad1;
};
_Static_assert(sizeof(struct xen_machphys_mfn_list) == 24, "xen_machphys_mfn_list size");
_Static_assert(offsetof(struct xen_machphys_mfn_list, extent_start) == 8, "mfn_list.extent_start");
_Static_assert(offsetof(struct xen_machphys_mfn_list, nr_extents) == 16, "mfn_list.nr_extents");

struct xen_machphys_mapping {
    uint64_t v_start, v_end;    /* where the read-only M2P is mapped */
    uint64_t max_mfn;
};
_Static_assert(sizeof(struct xen_machphys_mapping) == 24, "xen_machphys_mapping size");

struct xen_add_to_physmap {
    domid_t  domid;
    uint16_t size;              /* gmfn_range: number of pages */
    uint32_t space;             /* XENMAPSPACE_* */
    uint64_t idx;
    xen_pfn_t gpfn;
};
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap size");
_Static_assert(offsetof(struct xen_add_to_physmap, space) == 4, "add_to_physmap.space");
_Static_assert(offsetof(struct xen_add_to_physmap, idx) == 8, "add_to_physmap.idx");
_Static_assert(offsetof(struct xen_add_to_physmap, gpfn) == 16, "add_to_physmap.gpfn");

struct xen_remove_from_physmap {
    domid_t  domid;
    uint16_t _pad[3];
    xen_pfn_t gpfn;
};
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "xen_remove_from_physmap size");

/* One e820 record as memory_map returns it: packed, 20 bytes. */
struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;              /* E820_* */
} __attribute__((packed));
_Static_assert(sizeof(struct e820_entry) == 20, "e820_entry size");
_Static_assert(offsetof(struct e820_entry, type) == 16, "e820_entry.type");

struct xen_memory_map {
    uint32_t nr_entries;        /* in: capacity, out: entries written */
    uint32_t _pad;
    uint64_t buffer;            /* guest VA of struct e820_entry[] */
};
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map size");
_Static_assert(offsetof(struct xen_memory_map, buffer) == 8, "memory_map.buffer");

struct xen_foreign_memory_map {
    domid_t  domid;
    uint16_t _pad[3];
    struct xen_memory_map map;
};
_Static_assert(sizeof(struct xen_foreign_memory_map) == 24, "xen_foreign_memory_map size");
_Static_assert(offsetof(struct xen_foreign_memory_map, map) == 8, "foreign_memory_map.map");

struct xen_pod_target {
    uint64_t target_pages;
    uint64_t tot_pages;
    uint64_t pod_cache_pages;
    uint64_t pod_entries;
    domid_t  domid;
    uint16_t _pad[3];
};
_Static_assert(sizeof(struct xen_pod_target) == 40, "xen_pod_target size");
_Static_assert(offsetof(struct xen_pod_target, domid) == 32, "pod_target.domid");
#endif

#endif
