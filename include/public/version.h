/* Xen PV guest ABI: xen_version (hypercall 17) and the XENFEAT_* bits.
 * Ref: shared/ref/xen-pv-abi.md §5.11, §10.1 (numbers and layouts only).
 * The XENFEAT_* lines repeat include/keel/elfnote.h's definitions token for
 * token, so both headers may be included together. */
#ifndef KEEL_PUBLIC_VERSION_H
#define KEEL_PUBLIC_VERSION_H

#include <public/xen.h>

#define XENVER_version              0   /* NULL arg; returns major << 16 | minor */
#define XENVER_extraversion         1
#define XENVER_compile_info         2
#define XENVER_capabilities         3
#define XENVER_changeset            4
#define XENVER_platform_parameters  5
#define XENVER_get_features         6
#define XENVER_pagesize             7   /* NULL arg; returns 4096 */
#define XENVER_guest_handle         8
#define XENVER_commandline          9
#define XENVER_build_id             10
#define XENVER_extraversion2        11
#define XENVER_capabilities2        12
#define XENVER_changeset2           13
#define XENVER_commandline2         14

#define XEN_EXTRAVERSION_LEN        16
#define XEN_CAPABILITIES_INFO_LEN   1024
#define XEN_CHANGESET_INFO_LEN      64
#define XEN_GUEST_HANDLE_LEN        16
#define XEN_COMMANDLINE_LEN         1024

/* XENFEAT_* bit numbers in submap 0 (ref §10.1). */
#define XENFEAT_writable_page_tables        0
#define XENFEAT_writable_descriptor_tables  1
#define XENFEAT_auto_translated_physmap     2
#define XENFEAT_supervisor_mode_kernel      3
#define XENFEAT_pae_pgdir_above_4gb         4
#define XENFEAT_mmu_pt_update_preserve_ad   5
#define XENFEAT_highmem_assist              6
#define XENFEAT_gnttab_map_avail_bits       7
#define XENFEAT_hvm_callback_vector         8
#define XENFEAT_hvm_safe_pvclock            9
#define XENFEAT_hvm_pirqs                   10
#define XENFEAT_dom0                        11
#define XENFEAT_memory_op_vnode_supported   13
#define XENFEAT_ARM_SMCCC_supported         14
#define XENFEAT_linux_rsdp_unrestricted     15
#define XENFEAT_not_direct_mapped           16
#define XENFEAT_direct_mapped               17
#define XENFEAT_runstate_phys_area          18
#define XENFEAT_vcpu_time_phys_area         19
#define XENFEAT_dm_msix_all_writes          20
#define XENFEAT_NR_SUBMAPS                  1

#ifndef __ASSEMBLY__
struct xen_extraversion {
    char extraversion[XEN_EXTRAVERSION_LEN];
};
_Static_assert(sizeof(struct xen_extraversion) == 16, "xen_extraversion size");

struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info size");
_Static_assert(offsetof(struct xen_compile_info, compile_date) == 112, "xen_compile_info.compile_date");

struct xen_capabilities_info {
    char info[XEN_CAPABILITIES_INFO_LEN];
};

struct xen_changeset_info {
    char info[XEN_CHANGESET_INFO_LEN];
};

struct xen_platform_parameters {
    uint64_t virt_start;
};
_Static_assert(sizeof(struct xen_platform_parameters) == 8, "xen_platform_parameters size");

struct xen_feature_info {
    uint32_t submap_idx;        /* in */
    uint32_t submap;            /* out: 32 XENFEAT bits */
};
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info size");
_Static_assert(offsetof(struct xen_feature_info, submap) == 4, "xen_feature_info.submap");

struct xen_guest_handle_info {
    uint8_t uuid[XEN_GUEST_HANDLE_LEN];
};

struct xen_commandline_info {
    char buf[XEN_COMMANDLINE_LEN];
};

/* build_id and the *2 variable-size sub-ops: a length then the bytes. */
struct xen_build_id {
    uint32_t len;               /* in: buffer size, out: bytes written */
    uint8_t  buf[];
};
_Static_assert(sizeof(struct xen_build_id) == 4, "xen_build_id size");

struct xen_varbuf {
    uint32_t len;
    char     buf[];
};
_Static_assert(sizeof(struct xen_varbuf) == 4, "xen_varbuf size");
#endif

#endif
