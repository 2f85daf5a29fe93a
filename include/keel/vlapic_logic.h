/* The pure arithmetic of the PVH local APIC (arch/x86_64/hvm/vlapic_logic.c,
 * also built into the host unit test tests/unit/test_vlapic_logic.c):
 * priorities, the x2APIC logical id, ICR decoding and destination
 * matching. Intel SDM vol. 3 §11.8.3 (TPR/PPR), §11.12.10.2 (x2APIC
 * logical destination), §11.6.1 and §11.12.9 (ICR). */
#ifndef KEEL_VLAPIC_LOGIC_H
#define KEEL_VLAPIC_LOGIC_H

#include <keel/types.h>

#define VLAPIC_BROADCAST    0xffffffffu

enum vlapic_dm {
    VLAPIC_DM_FIXED = 0, VLAPIC_DM_LOWEST = 1, VLAPIC_DM_SMI = 2, VLAPIC_DM_NMI = 4,
    VLAPIC_DM_INIT = 5, VLAPIC_DM_STARTUP = 6, VLAPIC_DM_EXTINT = 7,
};

enum vlapic_shorthand {
    VLAPIC_SH_NONE = 0, VLAPIC_SH_SELF = 1, VLAPIC_SH_ALL = 2, VLAPIC_SH_ALL_BUT_SELF = 3,
};

struct vlapic_icr {
    uint8_t vector;
    enum vlapic_dm dm;
    bool logical;           /* destination mode */
    bool assert;            /* level: assert (INIT: de-assert when clear) */
    enum vlapic_shorthand shorthand;
    uint32_t dest;          /* x2APIC: the whole high half */
};

/* The x2APIC logical id (LDR) of x2APIC id `id`: cluster id[31:4] in bits
 * 31:16, bit id[3:0] set in bits 15:0. */
uint32_t vlapic_ldr(uint32_t id);
/* The highest vector set in a 256-bit map, -1 if none. */
int vlapic_highest(const uint64_t bits[4]);
/* The processor priority: TPR, or the ISR's highest class if above it. */
uint32_t vlapic_ppr(uint32_t tpr, const uint64_t isr[4]);
/* The IRR vector to deliver now (above the PPR's class, APIC software-
 * enabled in SVR bit 8), 0 if none. */
uint8_t vlapic_deliverable(const uint64_t irr[4], const uint64_t isr[4], uint32_t tpr,
                           uint32_t svr);
struct vlapic_icr vlapic_icr_decode(uint64_t icr);
/* Is the APIC with x2APIC id `id` the ICR's destination (shorthand none)? */
bool vlapic_dest_match(uint32_t id, uint32_t dest, bool logical);
/* xAPIC mode (SDM vol. 3 §11.6.2): physical: the 8-bit ID or 0xFF;
 * logical: flat (DFR 31:28 = 1111) any common bit of LDR[31:24] and the
 * destination, cluster (0000) the same cluster (bits 7:4) and a common
 * bit in 3:0; 0xFF is everyone in both. */
bool vlapic_xapic_dest_match(uint32_t id, uint32_t ldr, uint32_t dfr, uint8_t dest, bool logical);

#endif
