/* The HVM/PVH pieces of the Xen ABI the PVH test kernels use, not in
 * Keel's include/public (which holds the PV ABI). Each with the Xen 4.17
 * header it comes from. */
#ifndef PVH_HVM_ABI_H
#define PVH_HVM_ABI_H

#include <stdint.h>

/* public/arch-x86/hvm/start_info.h */
#define XEN_HVM_START_MAGIC_VALUE   0x336ec578
#define XEN_HVM_MEMMAP_TYPE_RAM     1
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;          /* version >= 1 */
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_table_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");

/* public/hvm/hvm_op.h */
#define HVMOP_set_param             0
#define HVMOP_get_param             1
struct xen_hvm_param {
    uint16_t domid;                 /* DOMID_SELF = 0x7ff0 */
    uint16_t _pad;
    uint32_t index;
    uint64_t value;
};
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param size");

#define HVMOP_set_evtchn_upcall_vector 23
struct xen_hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
    uint8_t _pad[3];
};

/* public/arch-x86/cpuid.h, leaf base+4 EAX */
#define XEN_HVM_CPUID_APIC_ACCESS_VIRT  (1u << 0)
#define XEN_HVM_CPUID_X2APIC_VIRT       (1u << 1)
#define XEN_HVM_CPUID_IOMMU_MAPPINGS    (1u << 2)
#define XEN_HVM_CPUID_VCPU_ID_PRESENT   (1u << 3)
#define XEN_HVM_CPUID_DOMID_PRESENT     (1u << 4)
#define XEN_HVM_CPUID_UPCALL_VECTOR     (1u << 6)

/* public/hvm/params.h */
#define HVM_PARAM_CALLBACK_IRQ              0
#define HVM_PARAM_CALLBACK_TYPE_VECTOR      2ULL
#define HVM_PARAM_CALLBACK_TYPE_SHIFT       56
#define HVM_PARAM_STORE_PFN                 1
#define HVM_PARAM_STORE_EVTCHN              2
#define HVM_PARAM_CONSOLE_PFN               17
#define HVM_PARAM_CONSOLE_EVTCHN            18

/* public/memory.h: XENMEM_add_to_physmap spaces (the struct is in
 * include/public/memory.h) */
#ifndef XENMAPSPACE_shared_info
#define XENMAPSPACE_shared_info     0
#define XENMAPSPACE_grant_table     1
#endif

/* public/arch-x86/cpuid.h: hypervisor leaves (base 0x40000000, or +0x100
 * steps when Viridian leaves sit first). */
#define XEN_CPUID_FIRST_LEAF        0x40000000
#define XEN_CPUID_SIGNATURE_EBX     0x566e6558  /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX     0x65584d4d  /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX     0x4d4d566e  /* "nVMM" */

#endif
