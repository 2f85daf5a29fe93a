/* The MOV forms of an emulated MMIO access (keel/mmio_decode.h). */
#include <keel/mmio_decode.h>

#define REX_W   8
#define REX_R   4

/* Bytes of ModRM's memory operand after the ModRM byte itself (SIB and
 * displacement), 32/64-bit addressing; -1: a register operand. */
static int modrm_tail(const uint8_t *p, unsigned avail, unsigned *tail)
{
    uint8_t modrm = p[0];
    unsigned mod = modrm >> 6, rm = modrm & 7, n = 0;
    if (mod == 3)
        return -1;
    if (rm == 4) {                      /* SIB follows */
        if (avail < 2)
            return -2;
        n = 1;
        if (mod == 0 && (p[1] & 7) == 5)
            n += 4;                     /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        n = 4;                          /* disp32 (RIP-relative in 64-bit code) */
    }
    if (mod == 1)
        n += 1;
    else if (mod == 2)
        n += 4;
    *tail = n;
    return 0;
}

int mmio_decode(const uint8_t *b, unsigned avail, enum mmio_code_mode mode, struct mmio_insn *out)
{
    bool opsize = false, addrsize = false;
    uint8_t rex = 0;
    unsigned i = 0;
    if (avail > MMIO_INSN_MAX)
        avail = MMIO_INSN_MAX;
    *out = (struct mmio_insn){ 0 };
    if (mode == MMIO_CODE16)
        return MMIO_DECODE_UNSUPPORTED;
    for (;; i++) {
        if (i >= avail)
            return MMIO_DECODE_SHORT;
        uint8_t c = b[i];
        if (mode == MMIO_CODE64 && (c & 0xf0) == 0x40) {
            rex = c;
            continue;
        }
        if (c == 0x66)
            opsize = true;
        else if (c == 0x67)
            addrsize = true;
        else if (!(c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 || c == 0x65))
            break;                      /* the opcode (LOCK and REP: refused as opcodes) */
        rex = 0;                        /* a REX counts only right before the opcode (SDM 2.2.1) */
    }
    /* 32-bit code with 67 is 16-bit addressing: not taken. */
    if (mode == MMIO_CODE32 && addrsize)
        return MMIO_DECODE_UNSUPPORTED;
    out->size = (rex & REX_W) ? 8 : opsize ? 2 : 4;
    uint8_t op = b[i++];
    switch (op) {
    case 0x89: case 0x8b: case 0xc7: {
        if (i >= avail)
            return MMIO_DECODE_SHORT;
        unsigned tail;
        int r = modrm_tail(b + i, avail - i, &tail);
        if (r == -1)
            return MMIO_DECODE_NOT_MEMORY;
        if (r == -2)
            return MMIO_DECODE_SHORT;
        uint8_t modrm = b[i];
        i += 1 + tail;
        out->write = op != 0x8b;
        if (op == 0xc7) {
            if ((modrm >> 3) & 7)
                return MMIO_DECODE_UNSUPPORTED;     /* C7 /0 only */
            unsigned isz = out->size == 2 ? 2 : 4;  /* imm32 sign-extended for REX.W */
            if (i + isz > avail)
                return MMIO_DECODE_SHORT;
            uint32_t imm = 0;
            for (unsigned k = 0; k < isz; k++)
                imm |= (uint32_t)b[i + k] << (8 * k);
            i += isz;
            out->has_imm = true;
            out->imm = isz == 2 ? (uint64_t)(uint16_t)imm : (uint64_t)(int64_t)(int32_t)imm;
            if (out->size == 4)
                out->imm = (uint32_t)out->imm;
        } else {
            out->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0));
        }
        break;
    }
    case 0xa1: case 0xa3: {
        /* moffs: the address size's width (64-bit code: 8, or 4 with 67). */
        unsigned asz = mode == MMIO_CODE64 && !addrsize ? 8 : 4;
        i += asz;
        out->write = op == 0xa3;
        out->reg = 0;
        break;
    }
    default:
        return MMIO_DECODE_UNSUPPORTED;
    }
    if (i > avail)
        return MMIO_DECODE_SHORT;
    if (i > MMIO_INSN_MAX)
        return MMIO_DECODE_UNSUPPORTED;
    out->len = (uint8_t)i;
    return MMIO_DECODE_OK;
}
