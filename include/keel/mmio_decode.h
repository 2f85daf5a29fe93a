/* Decoding the guest instruction that touched an emulated MMIO page (the
 * xAPIC page: arch/x86_64/hvm/hvm_mmio.c). Pure logic (arch/x86_64/hvm/
 * mmio_decode.c), also built into the host unit test
 * tests/unit/test_mmio_decode.c.
 *
 * Only the plain moves compilers emit for a volatile 32-bit access are
 * taken: MOV r/m,r (89), MOV r,r/m (8B), MOV r/m,imm (C7 /0) and MOV
 * between rAX and a moffs (A1/A3), with prefixes 66 (operand size), 67
 * (address size), segment overrides (the faulting guest-physical address
 * is known, so the segment does not matter) and REX in 64-bit code.
 * Operand sizes 2, 4 and 8 (REX.W). ModRM memory forms with SIB and
 * displacement, RIP-relative included (only the length matters: the
 * address is the fault's). 16-bit addressing, LOCK/REP and everything
 * else are refused. Encodings: Intel SDM vol. 2 ch. 2 (prefixes, ModRM,
 * SIB, REX) and the MOV pages. */
#ifndef KEEL_MMIO_DECODE_H
#define KEEL_MMIO_DECODE_H

#include <keel/types.h>

#define MMIO_INSN_MAX   15      /* the longest x86 instruction */

enum mmio_code_mode { MMIO_CODE16, MMIO_CODE32, MMIO_CODE64 };

struct mmio_insn {
    uint8_t len;                /* bytes, prefixes included */
    uint8_t size;               /* operand bytes: 2, 4 or 8 */
    bool write;                 /* to memory (89, C7, A3) */
    bool has_imm;               /* C7: the source is imm */
    uint8_t reg;                /* the GPR (0 rAX .. 15 r15) read or written */
    uint64_t imm;               /* C7: sign-extended to size */
};

enum mmio_decode_err {
    MMIO_DECODE_OK = 0,
    MMIO_DECODE_SHORT = -1,     /* the bytes ran out before the instruction did */
    MMIO_DECODE_UNSUPPORTED = -2,
    MMIO_DECODE_NOT_MEMORY = -3,/* ModRM names a register: cannot be the access */
};

/* Decodes bytes[0..avail) as executed in `mode`. 0 or an mmio_decode_err. */
int mmio_decode(const uint8_t *bytes, unsigned avail, enum mmio_code_mode mode,
                struct mmio_insn *out);

#endif
