/* The machine-to-phys table PV guests read (mm/m2p.c). */
#ifndef KEEL_M2P_H
#define KEEL_M2P_H

#include <keel/types.h>

#define M2P_INVALID     (~0UL)

void m2p_init(mfn_t nr_frames);
void m2p_set(mfn_t mfn, uint64_t pfn);
uint64_t m2p_get(mfn_t mfn);
mfn_t m2p_max_mfn(void);
unsigned m2p_extents(mfn_t *out, unsigned max);
#define M2P_VIRT_END    0xffff804000000000UL    /* the ABI's M2P window end (256 GiB) */

#endif
