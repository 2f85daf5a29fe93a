/* Decoding and executing the memory-writing instructions a PV kernel uses
 * on its page-table entries (include/keel/pv_ptwr.h). Pure code. Encodings:
 * Intel SDM vol. 2 (ModRM/SIB, 2.1-2.2; the opcodes' own pages); flags as
 * the SDM defines them for each instruction (undefined ones cleared). */
#include <keel/pv_ptwr.h>
#include <keel/errno.h>

#define F_CF    (1UL << 0)
#define F_PF    (1UL << 2)
#define F_AF    (1UL << 4)
#define F_ZF    (1UL << 6)
#define F_SF    (1UL << 7)
#define F_OF    (1UL << 11)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

struct cursor {
    const uint8_t *b;
    unsigned n, pos;
};

static bool take(struct cursor *c, unsigned bytes, uint64_t *v, bool sign)
{
    if (c->pos + bytes > c->n || c->pos + bytes > 15)
        return false;
    uint64_t x = 0;
    for (unsigned i = 0; i < bytes; i++)
        x |= (uint64_t)c->b[c->pos + i] << (8 * i);
    c->pos += bytes;
    if (sign && bytes < 8 && (x >> (8 * bytes - 1)) & 1)
        x |= ~0UL << (8 * bytes);
    *v = x;
    return true;
}

/* ModRM (+ SIB + displacement) of a memory operand; *reg gets ModRM.reg
 * extended by REX.R. False for a register operand or a short buffer. */
static bool modrm_mem(struct cursor *c, unsigned rex, struct ptwr_insn *in, unsigned *reg)
{
    uint64_t m, s, d = 0;
    if (!take(c, 1, &m, false))
        return false;
    unsigned mod = m >> 6, rm = m & 7;
    *reg = ((m >> 3) & 7) | ((rex & 4) ? 8 : 0);
    if (mod == 3)
        return false;
    in->base = PTWR_NO_REG;
    in->index = PTWR_NO_REG;
    in->scale = 1;
    if (rm == 4) {
        if (!take(c, 1, &s, false))
            return false;
        unsigned idx = ((s >> 3) & 7) | ((rex & 2) ? 8 : 0), base = (s & 7) | ((rex & 1) ? 8 : 0);
        in->scale = 1u << (s >> 6);
        if (idx != 4)
            in->index = (int)idx;
        if ((s & 7) == 5 && mod == 0) {
            if (!take(c, 4, &d, true))
                return false;
        } else {
            in->base = (int)base;
        }
    } else if (rm == 5 && mod == 0) {
        in->base = PTWR_RIP;
        if (!take(c, 4, &d, true))
            return false;
    } else {
        in->base = (int)(rm | ((rex & 1) ? 8 : 0));
    }
    if (mod == 1 && !take(c, 1, &d, true))
        return false;
    if (mod == 2 && !take(c, 4, &d, true))
        return false;
    in->disp = (int64_t)d;
    return true;
}

int ptwr_decode(const uint8_t *b, unsigned n, struct ptwr_insn *in)
{
    struct cursor c = { b, n, 0 };
    bool opsize16 = false;
    unsigned rex = 0;
    uint64_t op, op2 = 0, reg64;

    *in = (struct ptwr_insn){ .seg = 0 };
    for (;;) {
        if (c.pos >= c.n || c.pos >= 15)
            return -EINVAL;
        uint8_t p = b[c.pos];
        if (p == 0xf0)
            in->lock = true;
        else if (p == 0x66)
            opsize16 = true;
        else if (p == 0x64 || p == 0x65)
            in->seg = p == 0x64 ? 4 : 5;
        else if (p == 0x2e || p == 0x3e || p == 0x26 || p == 0x36)
            ;                           /* null segments in 64-bit mode */
        else
            break;                      /* 0x67, F2/F3 are no opcode we take */
        c.pos++;
    }
    if ((b[c.pos] & 0xf0) == 0x40) {
        rex = b[c.pos++] & 0xf;
        in->rex = true;
    }
    if (!take(&c, 1, &op, false))
        return -EINVAL;
    if (op == 0x0f && !take(&c, 1, &op2, false))
        return -EINVAL;

    bool byte_op;
    unsigned reg;
    unsigned imm_bytes = 0;             /* immediate after ModRM (sign-extended) */
    if (op < 0x40 && (op & 7) <= 1) {           /* ALU r/m, reg: 00 01 08 09 ... 30 31 */
        if ((op >> 3) == 7)
            return -EINVAL;                     /* CMP does not write */
        in->op = (enum ptwr_op)(op >> 3);
        byte_op = !(op & 1);
        in->src_is_reg = true;
    } else if (op == 0x80 || op == 0x81 || op == 0x83) {
        byte_op = op == 0x80;
        imm_bytes = op == 0x81 ? 4 : 1;
    } else if (op == 0x88 || op == 0x89) {
        in->op = PTWR_MOV;
        byte_op = op == 0x88;
        in->src_is_reg = true;
    } else if (op == 0xc6 || op == 0xc7) {
        in->op = PTWR_MOV;
        byte_op = op == 0xc6;
        imm_bytes = byte_op ? 1 : 4;
    } else if (op == 0x86 || op == 0x87) {
        in->op = PTWR_XCHG;
        byte_op = op == 0x86;
        in->src_is_reg = true;
        in->lock = true;                        /* always locked */
    } else if (op == 0x0f && (op2 == 0xb0 || op2 == 0xb1)) {
        in->op = PTWR_CMPXCHG;
        byte_op = op2 == 0xb0;
        in->src_is_reg = true;
    } else if (op == 0x0f && (op2 == 0xab || op2 == 0xb3 || op2 == 0xbb)) {
        in->op = op2 == 0xab ? PTWR_BTS : op2 == 0xb3 ? PTWR_BTR : PTWR_BTC;
        byte_op = false;
        in->src_is_reg = true;
    } else if (op == 0x0f && op2 == 0xba) {
        byte_op = false;
        imm_bytes = 1;
    } else {
        return -EINVAL;
    }
    if (!modrm_mem(&c, rex, in, &reg))
        return -EINVAL;
    unsigned sub = reg & 7;                     /* ModRM.reg as an opcode extension */
    if (op == 0x80 || op == 0x81 || op == 0x83) {
        if (sub == 7)
            return -EINVAL;                     /* CMP */
        in->op = (enum ptwr_op)sub;
    } else if (op == 0xc6 || op == 0xc7) {
        if (sub != 0)
            return -EINVAL;
    } else if (op == 0x0f && op2 == 0xba) {
        if (sub < 5)
            return -EINVAL;                     /* BT (4) does not write */
        in->op = sub == 5 ? PTWR_BTS : sub == 6 ? PTWR_BTR : PTWR_BTC;
    } else {
        in->src = reg;
    }
    in->size = byte_op ? 1 : (rex & 8) ? 8 : opsize16 ? 2 : 4;
    if (imm_bytes) {
        unsigned nb = imm_bytes == 4 && in->size == 2 ? 2 : imm_bytes;
        if (!take(&c, nb, &reg64, true))
            return -EINVAL;
        in->imm = reg64;
    }
    in->len = c.pos;
    return 0;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0UL : (1UL << (8 * size)) - 1;
}

/* Register operand of the given size (legacy AH..BH for size 1, no REX). */
static uint64_t reg_read(const struct ptwr_insn *in, const struct ptwr_gprs *g, unsigned r,
                         unsigned size)
{
    if (size == 1 && !in->rex && r >= 4 && r < 8)
        return (g->r[r - 4] >> 8) & 0xff;
    return g->r[r] & size_mask(size);
}

static void reg_write(const struct ptwr_insn *in, struct ptwr_gprs *g, unsigned r, unsigned size,
                      uint64_t val)
{
    if (size == 1 && !in->rex && r >= 4 && r < 8) {
        g->r[r - 4] = (g->r[r - 4] & ~0xff00UL) | ((val & 0xff) << 8);
        return;
    }
    if (size == 4)
        g->r[r] = val & 0xffffffffUL;           /* 32-bit writes zero the top */
    else
        g->r[r] = (g->r[r] & ~size_mask(size)) | (val & size_mask(size));
}

/* Bit offset of BTS/BTR/BTC: the register form addresses a bit string
 * (signed offset, may select another operand); the immediate form wraps
 * within the operand. */
static int64_t bit_offset(const struct ptwr_insn *in, const struct ptwr_gprs *g)
{
    if (!in->src_is_reg)
        return (int64_t)(in->imm & (8 * in->size - 1));
    uint64_t v = g->r[in->src];
    switch (in->size) {
    case 2:  return (int16_t)v;
    case 4:  return (int32_t)v;
    default: return (int64_t)v;
    }
}

uint64_t ptwr_address(const struct ptwr_insn *in, const struct ptwr_gprs *g, uint64_t rip_next,
                      uint64_t seg_base)
{
    uint64_t a = (uint64_t)in->disp;
    if (in->base == PTWR_RIP)
        a += rip_next;
    else if (in->base != PTWR_NO_REG)
        a += g->r[in->base];
    if (in->index != PTWR_NO_REG)
        a += g->r[in->index] * in->scale;
    if (in->seg)
        a += seg_base;
    if ((in->op == PTWR_BTS || in->op == PTWR_BTR || in->op == PTWR_BTC) && in->src_is_reg) {
        int64_t bits = 8 * (int64_t)in->size, off = bit_offset(in, g);
        int64_t word = off >= 0 ? off / bits : -((-off + bits - 1) / bits);
        a += (uint64_t)(word * (int64_t)in->size);
    }
    return a;
}

static uint64_t zsp_flags(uint64_t r, unsigned size)
{
    uint64_t f = 0;
    r &= size_mask(size);
    if (!r)
        f |= F_ZF;
    if ((r >> (8 * size - 1)) & 1)
        f |= F_SF;
    if (!(__builtin_popcount((unsigned)(r & 0xff)) & 1))
        f |= F_PF;
    return f;
}

/* a op b (+/- carry-in) with the flags of ADD/ADC and SUB/SBB/CMP. */
static uint64_t add_sub(bool sub, uint64_t a, uint64_t b, unsigned cin, unsigned size, uint64_t *flags)
{
    unsigned bits = 8 * size;
    uint64_t m = size_mask(size);
    a &= m, b &= m;
    unsigned __int128 full = sub ? (unsigned __int128)a - b - cin : (unsigned __int128)a + b + cin;
    uint64_t r = (uint64_t)full & m;
    uint64_t f = zsp_flags(r, size);
    if (sub ? ((unsigned __int128)a < (unsigned __int128)b + cin) : (bool)((full >> bits) & 1))
        f |= F_CF;
    if ((a ^ b ^ r) & 0x10)
        f |= F_AF;
    uint64_t ov = sub ? (a ^ b) & (a ^ r) : ~(a ^ b) & (a ^ r);
    if ((ov >> (bits - 1)) & 1)
        f |= F_OF;
    *flags = f;
    return r;
}

void ptwr_execute(const struct ptwr_insn *in, uint64_t old, const struct ptwr_gprs *g,
                  uint64_t rflags, struct ptwr_result *r)
{
    unsigned size = in->size;
    uint64_t m = size_mask(size);
    uint64_t src = in->src_is_reg ? reg_read(in, g, in->src, size) : in->imm & m;
    uint64_t f = 0, fmask = F_ARITH;
    unsigned cf = rflags & F_CF ? 1 : 0;

    old &= m;
    r->gprs = *g;
    r->write_mem = true;
    switch (in->op) {
    case PTWR_MOV:
        r->mem = src;
        fmask = 0;
        break;
    case PTWR_XCHG:
        r->mem = src;
        reg_write(in, &r->gprs, in->src, size, old);
        fmask = 0;
        break;
    case PTWR_CMPXCHG: {
        uint64_t acc = g->r[0] & m;
        add_sub(true, acc, old, 0, size, &f);   /* flags of CMP acc, mem */
        if (acc == old) {
            r->mem = src;
        } else {
            r->mem = old;
            r->write_mem = false;
            reg_write(in, &r->gprs, 0, size, old);
        }
        break;
    }
    case PTWR_ADD: case PTWR_ADC:
        r->mem = add_sub(false, old, src, in->op == PTWR_ADC ? cf : 0, size, &f);
        break;
    case PTWR_SUB: case PTWR_SBB:
        r->mem = add_sub(true, old, src, in->op == PTWR_SBB ? cf : 0, size, &f);
        break;
    case PTWR_AND: case PTWR_OR: case PTWR_XOR:
        r->mem = in->op == PTWR_AND ? old & src : in->op == PTWR_OR ? old | src : old ^ src;
        f = zsp_flags(r->mem, size);            /* CF = OF = 0, AF undefined: 0 */
        break;
    case PTWR_BTS: case PTWR_BTR: case PTWR_BTC: {
        int64_t bits = 8 * (int64_t)size, off = bit_offset(in, g);
        unsigned bit = (unsigned)(((off % bits) + bits) % bits);
        uint64_t mask = 1UL << bit;
        f = (old & mask) ? F_CF : 0;
        fmask = F_CF;                           /* ZF kept; the rest undefined: kept */
        r->mem = in->op == PTWR_BTS ? old | mask : in->op == PTWR_BTR ? old & ~mask : old ^ mask;
        break;
    }
    }
    r->mem &= m;
    r->rflags = (rflags & ~fmask) | (f & fmask);
}
