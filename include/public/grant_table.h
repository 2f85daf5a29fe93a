/* Xen PV guest ABI: grant_table_op (hypercall 20). Ref: shared/ref/xen-pv-abi.md
 * §5.13 (numbers and layouts only; no Xen header text). */
#ifndef KEEL_PUBLIC_GRANT_TABLE_H
#define KEEL_PUBLIC_GRANT_TABLE_H

#include <public/xen.h>

#define GNTTABOP_map_grant_ref          0
#define GNTTABOP_unmap_grant_ref        1
#define GNTTABOP_setup_table            2
#define GNTTABOP_dump_table             3
#define GNTTABOP_transfer               4
#define GNTTABOP_copy                   5
#define GNTTABOP_query_size             6
#define GNTTABOP_unmap_and_replace      7
#define GNTTABOP_set_version            8
#define GNTTABOP_get_status_frames      9
#define GNTTABOP_get_version            10
#define GNTTABOP_swap_grant_ref         11
#define GNTTABOP_cache_flush            12
/* cmd bits above the sub-op carry a continuation (cache_flush only):
 * Xen 4.17 common/grant_table.c GNTTABOP_CONTINUATION_ARG_SHIFT 12. */
#define GNTTABOP_CMD_MASK               0xfffU

/* status codes (GNTST_*) */
#define GNTST_okay                      0
#define GNTST_general_error             (-1)
#define GNTST_bad_domain                (-2)
#define GNTST_bad_virt_addr             (-5)
#define GNTST_permission_denied         (-8)

#ifndef __ASSEMBLY__
struct gnttab_setup_table {
    domid_t  dom;
    uint16_t _pad0;
    uint32_t nr_frames;
    int16_t  status;            /* out */
    uint16_t _pad1[3];
    uint64_t frame_list;        /* guest VA of xen_pfn_t[nr_frames] (out) */
};
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "gnttab_setup_table size");
_Static_assert(offsetof(struct gnttab_setup_table, nr_frames) == 4, "setup_table.nr_frames");
_Static_assert(offsetof(struct gnttab_setup_table, status) == 8, "setup_table.status");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "setup_table.frame_list");

struct gnttab_set_version {
    uint32_t version;           /* in: wanted, out: in force */
};
_Static_assert(sizeof(struct gnttab_set_version) == 4, "gnttab_set_version size");

struct gnttab_get_version {
    domid_t  dom;
    uint16_t _pad;
    uint32_t version;           /* out */
};
_Static_assert(sizeof(struct gnttab_get_version) == 8, "gnttab_get_version size");
_Static_assert(offsetof(struct gnttab_get_version, version) == 4, "get_version.version");

struct gnttab_query_size {
    domid_t  dom;
    uint16_t _pad0;
    uint32_t nr_frames;         /* out */
    uint32_t max_nr_frames;     /* out */
    int16_t  status;            /* out */
    uint16_t _pad1;
};
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size size");
_Static_assert(offsetof(struct gnttab_query_size, max_nr_frames) == 8, "query_size.max_nr_frames");
_Static_assert(offsetof(struct gnttab_query_size, status) == 12, "query_size.status");
#endif

#endif
