/* A domain's grant table (hv/grant_table.c): version 1 shared frames only,
 * allocated on demand up to a per-domain maximum. The frames are the
 * domain's own (owner == its id, so a PV guest may map them writable) but
 * Keel's to free: they are not counted in tot_pages (Xen counts them as
 * xenheap pages, not domain memory) and cannot be given back. Facts: Xen
 * 4.17 xen/common/grant_table.c (opt_max_grant_frames 64,
 * INITIAL_NR_GRANT_FRAMES 1 in arch/x86/include/asm/grant_table.h). */
#ifndef KEEL_GRANT_TABLE_H
#define KEEL_GRANT_TABLE_H

#include <keel/types.h>

struct domain;

#define GRANT_FRAMES_MAX        64      /* Xen's default max_grant_frames */
#define GRANT_FRAMES_INITIAL    1       /* what a new table has */
#define GRANT_GFN_NONE          (~0UL)  /* a PVH frame mapped nowhere */

/* frame.flags bit of a grant frame: shared by Keel with its owner. */
#define FRAME_FLAG_GRANT        0x0002

/* Sets up d's table with its initial frame(s). -ENOMEM. */
int grant_table_init(struct domain *d);
/* Destruction, in two steps around pv_mm_relinquish: _relinquish drops
 * Keel's own references on the frames (so the guest's page tables that
 * map them are released as usual), _destroy then frees the frames and the
 * table. */
void grant_table_relinquish(struct domain *d);
void grant_table_destroy(struct domain *d);
/* Current and maximum number of frames. */
unsigned grant_table_nr_frames(struct domain *d);
unsigned grant_table_max_frames(struct domain *d);
/* Makes the table at least nr frames long. -EINVAL past the maximum,
 * -ENOMEM. */
int grant_table_grow(struct domain *d, unsigned nr);
/* Frame idx (growing the table to reach it): *mfn. -EINVAL past the
 * maximum, -ENOMEM. */
int grant_table_frame(struct domain *d, unsigned idx, mfn_t *mfn);
/* PVH: where frame idx is mapped in the guest-physical space (the p2m
 * keeps the truth; this is for unmapping it from its old place and for
 * setup_table). Set and read under the caller's p2m update. */
uint64_t grant_table_frame_gfn(struct domain *d, unsigned idx);
void grant_table_set_frame_gfn(struct domain *d, unsigned idx, uint64_t gfn);
/* Which of d's grant frames mfn is, or -1 if none. */
int grant_table_frame_index(struct domain *d, mfn_t mfn);

#endif
