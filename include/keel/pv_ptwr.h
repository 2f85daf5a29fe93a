/* Writable page tables (VMASST_TYPE_writable_pagetables, ref/xen-pv-abi.md
 * 5.14; Xen 4.17 xen/arch/x86/pv/ro-page-fault.c): a PV kernel may write
 * its own L1 page-table entries with ordinary instructions. The page is
 * mapped read-only, so the write faults; the hypervisor decodes the
 * instruction, computes the new entry, validates it like an mmu_update
 * and stores it. Linux depends on it: ptep_get_and_clear is an xchg,
 * ptep_set_wrprotect a `lock and`, ptep_test_and_clear_young a `lock btr`.
 *
 * This header is the pure part (mm/pv_ptwr_insn.c, host unit-tested):
 * decoding the one-memory-operand write instructions such code uses and
 * computing their effect. The fault path is arch/x86_64/pv_ptwr.c. */
#ifndef KEEL_PV_PTWR_H
#define KEEL_PV_PTWR_H

#include <keel/types.h>

enum ptwr_op {
    PTWR_ADD, PTWR_OR, PTWR_ADC, PTWR_SBB, PTWR_AND, PTWR_SUB, PTWR_XOR, /* = ModRM /n */
    PTWR_MOV, PTWR_XCHG, PTWR_CMPXCHG, PTWR_BTS, PTWR_BTR, PTWR_BTC,
};

#define PTWR_NO_REG     (-1)
#define PTWR_RIP        16          /* base register: RIP-relative */

struct ptwr_insn {
    unsigned len;                   /* instruction bytes, prefixes included */
    enum ptwr_op op;
    unsigned size;                  /* operand bytes: 1, 2, 4, 8 */
    bool lock;
    bool src_is_reg;                /* else the immediate */
    unsigned src;                   /* source register 0..15 (size 1 without
                                     * REX: 4..7 are AH, CH, DH, BH) */
    bool rex;                       /* a REX prefix was present */
    uint64_t imm;                   /* sign-extended to 64 bits */
    int base, index;                /* PTWR_NO_REG, 0..15, or PTWR_RIP */
    unsigned scale;                 /* 1, 2, 4, 8 */
    int64_t disp;
    unsigned seg;                   /* 0, or 4 = FS, 5 = GS (prefix) */
};

/* 0 and *in if b[0..n) starts with a supported memory-writing instruction
 * in 64-bit mode; -EINVAL otherwise (register destinations, 32-bit address
 * size, REP/F2/F3, anything else). */
int ptwr_decode(const uint8_t *b, unsigned n, struct ptwr_insn *in);

/* Guest general registers in the hardware encoding order (rax, rcx, rdx,
 * rbx, rsp, rbp, rsi, rdi, r8..r15). */
struct ptwr_gprs { uint64_t r[16]; };

/* The linear address written: base + index*scale + disp (+ the FS/GS base
 * given for seg), rip_next for RIP-relative; for BTS/BTR/BTC with a
 * register bit offset, the operand the offset selects. */
uint64_t ptwr_address(const struct ptwr_insn *in, const struct ptwr_gprs *g, uint64_t rip_next,
                      uint64_t seg_base);

struct ptwr_result {
    uint64_t mem;                   /* new operand value (low `size` bytes) */
    bool write_mem;                 /* false: memory unchanged (never for now) */
    uint64_t rflags;                /* the guest's RFLAGS after the instruction */
    struct ptwr_gprs gprs;          /* registers after it */
};

/* Executes the instruction on the operand value `old` (low `size` bytes)
 * with registers g and flags rflags. */
void ptwr_execute(const struct ptwr_insn *in, uint64_t old, const struct ptwr_gprs *g,
                  uint64_t rflags, struct ptwr_result *r);

#endif
