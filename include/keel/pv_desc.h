/* Segment descriptors a PV guest may put in its GDT/LDT pages
 * (ref/xen-pv-abi.md 3.2; formats: Intel SDM vol. 3A 3.4.5, 5.8.3.1).
 * Pure rules, no state: each 8-byte slot is judged on its own.
 *
 *  - not present (P=0): accepted, stored as is;
 *  - code/data (S=1): accepted with DPL raised to 3 (the guest kernel runs
 *    in ring 3), except L=1 with D=1 (reserved combination) -> refused;
 *  - system type 0: accepted as is (the upper half of a 16-byte gate);
 *  - 64-bit call gate (type 0xc): the target must be a guest selector (GDT
 *    index below FIRST_RESERVED_GDT_ENTRY, any LDT selector) or
 *    FLAT_KERNEL_CS (any RPL), bits 32..39 must be 0; stored with DPL 0
 *    (every use traps, so the hypervisor can emulate or refuse it) and the
 *    gate's DPL, raised to 3 like a code segment's, in the target RPL;
 *  - every other system type (LDT, TSS, task/interrupt/trap gates, 16-bit
 *    gates, reserved types) -> refused.
 *
 * Stored values are fixed points: checking a stored value gives itself, so
 * applying the fixups twice is harmless.
 *
 * A call gate's upper half is not checked against its lower half: it is
 * accepted if it is itself acceptable (P=0, or type 0 as the SDM requires).
 * The CPU raises #GP on a gate whose upper half has a non-zero type, and
 * the gate's DPL of 0 makes every use trap first anyway. */
#ifndef KEEL_PV_DESC_H
#define KEEL_PV_DESC_H

#include <keel/types.h>

#define PV_DESC_PAGE_ENTRIES    512

/* Fields of an 8-byte descriptor. */
#define PV_DESC_TYPE_SHIFT      40
#define PV_DESC_TYPE_MASK       (0xfULL << PV_DESC_TYPE_SHIFT)
#define PV_DESC_S               (1ULL << 44)    /* 1: code/data, 0: system */
#define PV_DESC_DPL_SHIFT       45
#define PV_DESC_DPL_MASK        (3ULL << PV_DESC_DPL_SHIFT)
#define PV_DESC_P               (1ULL << 47)
#define PV_DESC_L               (1ULL << 53)    /* 64-bit code segment */
#define PV_DESC_DB              (1ULL << 54)    /* default operand size / big */
#define PV_DESC_GATE_SEL_SHIFT  16              /* call gate target selector */
#define PV_DESC_GATE_SEL_MASK   (0xffffULL << PV_DESC_GATE_SEL_SHIFT)
#define PV_DESC_GATE_RSVD       (0xffULL << 32) /* 64-bit call gate: must be 0 */

#define PV_DESC_SYS_UPPER_HALF  0x0             /* system type 0 */
#define PV_DESC_SYS_CALL_GATE64 0xc

static inline unsigned pv_desc_type(uint64_t d)
{
    return (unsigned)((d & PV_DESC_TYPE_MASK) >> PV_DESC_TYPE_SHIFT);
}

static inline unsigned pv_desc_dpl(uint64_t d)
{
    return (unsigned)((d & PV_DESC_DPL_MASK) >> PV_DESC_DPL_SHIFT);
}

/* One descriptor: 0 and *out = the value to store, or -EINVAL (*out
 * untouched). */
int pv_desc_check(uint64_t desc, uint64_t *out);

/* A whole descriptor page (PV_DESC_PAGE_ENTRIES entries): 0 if every entry
 * is acceptable, else -EINVAL. Reads only. Fits the check_desc_page hook of
 * struct pv_mm_ctx (through a wrapper taking the context). */
int pv_desc_page_check(const uint64_t *page);

/* Rewrites every acceptable entry of a page to its stored form (entries
 * that would be refused are left as they are; call after a successful
 * pv_desc_page_check). Idempotent. */
void pv_desc_page_fixup(uint64_t *page);

/* Both in one: 0 with the page rewritten, or -EINVAL with it unchanged. */
int pv_desc_page_validate(uint64_t *page);

/* ---- LDTs (MMUEXT_SET_LDT, ref 5.4) ---- */

#define PV_LDT_MAX_ENTS         8192
#define PV_LDT_MAX_PAGES        (PV_LDT_MAX_ENTS * 8 / PAGE_SIZE)   /* 16 */

/* SET_LDT's argument rules (Xen 4.17's): nr_ents at most 8192; with
 * nr_ents 0 the address is ignored and *base becomes 0 (no LDT);
 * otherwise *base must be page aligned and an address a guest may use
 * (below 2^48 or at/above HYPERVISOR_VIRT_END: Xen's test, which lets a
 * non-canonical base through to fault on use). 0 or -EINVAL. */
int pv_ldt_check_args(uint64_t *base, uint64_t nr_ents);

/* Pages an LDT of nr_ents (<= PV_LDT_MAX_ENTS) entries spans. */
static inline unsigned pv_ldt_pages(uint64_t nr_ents)
{
    return (unsigned)((nr_ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
}

/* The 16-byte LDT system descriptor (type 2, present, DPL 0, byte
 * granular limit nr_ents * 8 - 1) for an LDT at `base`; nr_ents in
 * 1..PV_LDT_MAX_ENTS. */
void pv_ldt_system_desc(uint64_t base, uint64_t nr_ents, uint64_t out[2]);

#endif
