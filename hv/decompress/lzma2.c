/* LZMA2 and the LZMA decoder under it, written from the LZMA specification
 * (range coder, literal/match/rep coding, length and distance coders) and
 * the LZMA2 chunk format (control byte, uncompressed chunks, LZMA chunks
 * with state reset / new properties / dictionary reset).
 *
 * Single-call: out[] is the dictionary, so a match copies from earlier
 * output. Every distance is checked against the data since the last
 * dictionary reset and against the dictionary size; every length against
 * the chunk's declared size; the range decoder never reads past its chunk. */
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>
#include "lzma2.h"

#define INLINE          inline __attribute__((always_inline))
#define PROB_BITS       11
#define PROB_INIT       (1u << (PROB_BITS - 1))
#define MOVE_BITS       5
#define RC_TOP          (1u << 24)
#define MATCH_LEN_MIN   2
#define LIT_STATES      7       /* states below this: last symbol was a literal */
#define CHUNK_USIZE_MAX (1u << 21)

/* Range decoder over one LZMA chunk. Reading past the chunk sets overrun
 * and yields zeros; the chunk is then rejected when it ends. */
struct rc {
    uint32_t range, code;
    const uint8_t *in, *end;
    bool overrun;
};

static INLINE void rc_normalize(struct rc *rc)
{
    if (rc->range >= RC_TOP)
        return;
    rc->range <<= 8;
    rc->code <<= 8;
    if (likely(rc->in < rc->end))
        rc->code |= *rc->in++;
    else
        rc->overrun = true;
}

static INLINE unsigned rc_bit(struct rc *rc, uint16_t *prob)
{
    uint32_t bound = (rc->range >> PROB_BITS) * *prob;
    unsigned bit;

    if (rc->code < bound) {
        rc->range = bound;
        *prob += ((1u << PROB_BITS) - *prob) >> MOVE_BITS;
        bit = 0;
    } else {
        rc->range -= bound;
        rc->code -= bound;
        *prob -= *prob >> MOVE_BITS;
        bit = 1;
    }
    rc_normalize(rc);
    return bit;
}

/* Bit tree, most significant bit first; probs[1..2^nbits-1] are used. */
static INLINE unsigned rc_tree(struct rc *rc, uint16_t *probs, unsigned nbits)
{
    unsigned m = 1;

    for (unsigned i = 0; i < nbits; i++)
        m = (m << 1) | rc_bit(rc, &probs[m]);
    return m - (1u << nbits);
}

/* Bit tree, least significant bit first. */
static INLINE unsigned rc_tree_rev(struct rc *rc, uint16_t *probs, unsigned nbits)
{
    unsigned m = 1, sym = 0;

    for (unsigned i = 0; i < nbits; i++) {
        unsigned bit = rc_bit(rc, &probs[m]);
        m = (m << 1) | bit;
        sym |= bit << i;
    }
    return sym;
}

/* Bits with probability 1/2, most significant first. */
static uint32_t rc_direct(struct rc *rc, unsigned nbits)
{
    uint32_t v = 0;

    while (nbits--) {
        rc->range >>= 1;
        v <<= 1;
        if (rc->code >= rc->range) {
            rc->code -= rc->range;
            v |= 1;
        }
        rc_normalize(rc);
    }
    return v;
}

static void fill_probs(uint16_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = PROB_INIT;
}

#define FILL(field) fill_probs((uint16_t *)&(field), sizeof(field) / sizeof(uint16_t))

static void lzma_reset_state(struct lzma2_dec *d)
{
    struct lzma_probs *p = &d->probs;

    FILL(p->is_match);
    FILL(p->is_rep);
    FILL(p->is_rep_g0);
    FILL(p->is_rep_g1);
    FILL(p->is_rep_g2);
    FILL(p->is_rep0_long);
    FILL(p->dist_slot);
    FILL(p->dist_special);
    FILL(p->dist_align);
    FILL(p->match_len);
    FILL(p->rep_len);
    fill_probs(p->literal, (size_t)LZMA_LITERAL_PROBS << (d->lc + d->lp));
    d->state = 0;
    d->rep[0] = d->rep[1] = d->rep[2] = d->rep[3] = 0;
}

void lzma2_init(struct lzma2_dec *d, uint32_t dict_size, size_t out_pos)
{
    d->dict_size = dict_size;
    d->dict_start = out_pos;
    d->need_dict_reset = true;
    d->need_props = true;
}

/* The decoder state the symbol loop updates, copied out of struct lzma2_dec
 * into a local so it stays in registers (stores to out[], being bytes, could
 * alias anything reachable through a pointer). */
struct lzma_regs {
    unsigned state;
    uint32_t rep[4];
    size_t dict_start;
    unsigned lc, lp_mask, pb_mask;
};

/* One literal byte. After a match (state >= LIT_STATES) the byte at rep0
 * steers the first bits, until a decoded bit differs from it. */
static INLINE unsigned lzma_literal(const struct lzma_regs *r, struct lzma_probs *p,
                                    struct rc *rc, const uint8_t *out, size_t pos)
{
    size_t n = pos - r->dict_start;
    unsigned prev = n ? out[pos - 1] : 0;
    unsigned ctx = (((unsigned)n & r->lp_mask) << r->lc) + (prev >> (8 - r->lc));
    uint16_t *probs = p->literal + LZMA_LITERAL_PROBS * ctx;
    unsigned sym = 1;

    if (r->state >= LIT_STATES) {
        /* rep0 < n holds (state >= 7 needs a checked match since the
         * last state reset, and a dictionary reset forces a state reset);
         * the test only keeps a broken invariant from reading out of range. */
        size_t back = (size_t)r->rep[0] + 1;
        unsigned match = likely(back <= n) ? out[pos - back] : 0;
        do {
            unsigned mbit = (match >> 7) & 1;
            match <<= 1;
            unsigned bit = rc_bit(rc, &probs[0x100 + (mbit << 8) + sym]);
            sym = (sym << 1) | bit;
            if (bit != mbit)
                break;
        } while (sym < 0x100);
    }
    while (sym < 0x100)
        sym = (sym << 1) | rc_bit(rc, &probs[sym]);
    return sym & 0xff;
}

/* Match length minus MATCH_LEN_MIN: 0..271. */
static INLINE unsigned lzma_len(struct rc *rc, struct lzma_len_probs *l, unsigned ps)
{
    if (!rc_bit(rc, &l->choice))
        return rc_tree(rc, l->low[ps], 3);
    if (!rc_bit(rc, &l->choice2))
        return 8 + rc_tree(rc, l->mid[ps], 3);
    return 16 + rc_tree(rc, l->high, 8);
}

/* 0-based match distance; 0xffffffff is LZMA's end marker. */
static INLINE uint32_t lzma_dist(struct rc *rc, struct lzma_probs *p, unsigned len)
{
    unsigned slot = rc_tree(rc, p->dist_slot[len < LZMA_DIST_STATES ? len : LZMA_DIST_STATES - 1], 6);

    if (slot < 4)
        return slot;
    unsigned nbits = (slot >> 1) - 1;
    uint32_t dist = (2u | (slot & 1)) << nbits;
    if (slot < LZMA_DIST_MODEL_END)
        return dist + rc_tree_rev(rc, p->dist_special + dist - slot, nbits);
    dist += rc_direct(rc, nbits - LZMA_ALIGN_BITS) << LZMA_ALIGN_BITS;
    return dist + rc_tree_rev(rc, p->dist_align, LZMA_ALIGN_BITS);
}

/* A match or rep: updates reps/state, returns its length minus
 * MATCH_LEN_MIN, or -1 for a "short rep" (one byte at rep0), or -2 for
 * LZMA's end marker (not allowed in LZMA2). */
static INLINE int lzma_match(struct lzma_regs *r, struct lzma_probs *p, struct rc *rc,
                             unsigned ps)
{
    unsigned st = r->state;
    uint32_t *rep = r->rep;

    if (!rc_bit(rc, &p->is_rep[st])) {
        unsigned len = lzma_len(rc, &p->match_len, ps);
        uint32_t dist = lzma_dist(rc, p, len);
        if (dist == 0xffffffffu)
            return -2;
        rep[3] = rep[2];
        rep[2] = rep[1];
        rep[1] = rep[0];
        rep[0] = dist;
        r->state = st < LIT_STATES ? 7 : 10;
        return (int)len;
    }
    if (!rc_bit(rc, &p->is_rep_g0[st])) {
        if (!rc_bit(rc, &p->is_rep0_long[st][ps])) {
            r->state = st < LIT_STATES ? 9 : 11;
            return -1;
        }
    } else {
        uint32_t dist;
        if (!rc_bit(rc, &p->is_rep_g1[st])) {
            dist = rep[1];
        } else {
            if (!rc_bit(rc, &p->is_rep_g2[st])) {
                dist = rep[2];
            } else {
                dist = rep[3];
                rep[3] = rep[2];
            }
            rep[2] = rep[1];
        }
        rep[1] = rep[0];
        rep[0] = dist;
    }
    r->state = st < LIT_STATES ? 8 : 11;
    return (int)lzma_len(rc, &p->rep_len, ps);
}

/* Copies a match 8 bytes at a time. A short distance repeats a pattern:
 * once a multiple of it that is >= 8 bytes back exists, copying from there
 * gives the same bytes, and 8-byte pieces no longer overlap their source.
 * With room in out[] the last piece may run up to 7 bytes past the match:
 * those bytes are not decoded yet and will be overwritten. */
static INLINE void copy_match(uint8_t *out, size_t pos, size_t dist, size_t len, size_t room)
{
    uint8_t *dst = out + pos;
    const uint8_t *src = dst - dist;
    bool spill = room - len >= 8;

    if (dist < 8) {
        size_t far = dist * ((8 + dist - 1) / dist);
        size_t lead = MIN(len, far - dist);
        len -= lead;
        while (lead--)
            *dst++ = *src++;
        src = dst - far;
    }
    if (spill) {
        for (size_t i = 0; i < len; i += 8)
            __builtin_memcpy(dst + i, src + i, 8);
        return;
    }
    for (; len >= 8; len -= 8, src += 8, dst += 8)
        __builtin_memcpy(dst, src, 8);
    while (len--)
        *dst++ = *src++;
}

/* Decodes symbols until out[end]; returns 0 or -EINVAL (logged). */
static int lzma_chunk(struct lzma2_dec *d, struct rc *rc, const uint8_t *in,
                      uint8_t *out, size_t out_cap, size_t pos, size_t end)
{
    struct lzma_probs *p = &d->probs;
    struct lzma_regs r = {
        .state = d->state,
        .rep = { d->rep[0], d->rep[1], d->rep[2], d->rep[3] },
        .dict_start = d->dict_start,
        .lc = d->lc,
        .lp_mask = (1u << d->lp) - 1,
        .pb_mask = (1u << d->pb) - 1,
    };
    const char *why = NULL;

    while (pos < end) {
        size_t n = pos - r.dict_start;
        unsigned ps = (unsigned)n & r.pb_mask;

        if (!rc_bit(rc, &p->is_match[r.state][ps])) {
            out[pos] = (uint8_t)lzma_literal(&r, p, rc, out, pos);
            pos++;
            r.state = r.state < 4 ? 0 : r.state < 10 ? r.state - 3 : r.state - 6;
            continue;
        }
        int len = lzma_match(&r, p, rc, ps);
        if (unlikely(len == -2)) {
            why = "end marker inside LZMA2 chunk";
            break;
        }
        size_t dist = (size_t)r.rep[0] + 1;
        if (unlikely(dist > MIN(n, (size_t)d->dict_size))) {
            why = "match distance beyond the dictionary";
            break;
        }
        if (len == -1) {
            out[pos] = out[pos - dist];
            pos++;
            continue;
        }
        size_t mlen = (size_t)len + MATCH_LEN_MIN;
        if (unlikely(mlen > end - pos)) {
            why = "match past the end of the chunk";
            break;
        }
        copy_match(out, pos, dist, mlen, out_cap - pos);
        pos += mlen;
    }
    d->state = r.state;
    memcpy(d->rep, r.rep, sizeof(d->rep));
    if (!why)
        return 0;
    if (rc->overrun)
        why = "LZMA chunk data truncated";
    log_err("xz: %s at offset 0x%zx\n", why, (size_t)(rc->in - in));
    return -EINVAL;
}

static int lzma2_err(const char *why, size_t off)
{
    log_err("xz: %s at offset 0x%zx\n", why, off);
    return -EINVAL;
}

static int lzma2_nospace(size_t need, size_t off)
{
    log_err("xz: output buffer too small (%zu more bytes needed) at offset 0x%zx\n", need, off);
    return -ENOSPC;
}

/* Properties byte: (pb * 5 + lp) * 9 + lc, with lc + lp <= 4 in LZMA2. */
static int lzma2_set_props(struct lzma2_dec *d, uint8_t b, size_t off)
{
    if (b >= 9 * 5 * 5)
        return lzma2_err("bad LZMA properties byte", off);
    unsigned lc = b % 9, lp = (b / 9) % 5, pb = b / 45;
    if (lc + lp > LZMA_LCLP_MAX)
        return lzma2_err("LZMA lc + lp above 4", off);
    d->lc = lc;
    d->lp = lp;
    d->pb = pb;
    d->need_props = false;
    return 0;
}

/* Chunk 0x01/0x02: big-endian size - 1, then the bytes themselves. */
static int lzma2_copy_chunk(const uint8_t *in, size_t in_end, size_t *in_pos,
                            uint8_t *out, size_t out_cap, size_t *out_pos)
{
    size_t ip = *in_pos, op = *out_pos;

    if (in_end - ip < 3)
        return lzma2_err("LZMA2 chunk header truncated", ip);
    size_t size = ((size_t)in[ip + 1] << 8 | in[ip + 2]) + 1;
    ip += 3;
    if (size > in_end - ip)
        return lzma2_err("LZMA2 uncompressed chunk truncated", ip);
    if (size > out_cap - op)
        return lzma2_nospace(size - (out_cap - op), ip);
    memcpy(out + op, in + ip, size);
    *in_pos = ip + size;
    *out_pos = op + size;
    return 0;
}

/* Chunk 0x80..0xff: sizes, optional properties, then range-coded data that
 * must end exactly at the declared compressed size with the coder flushed
 * (code == 0). */
static int lzma2_lzma_chunk(struct lzma2_dec *d, const uint8_t *in, size_t in_end, size_t *in_pos,
                            uint8_t *out, size_t out_cap, size_t *out_pos)
{
    size_t ip = *in_pos, op = *out_pos;
    uint8_t ctl = in[ip];
    unsigned mode = (ctl >> 5) & 3;     /* 0 none, 1 state, 2 +props, 3 +dict */
    size_t hdr = mode >= 2 ? 6 : 5;

    if (in_end - ip < hdr)
        return lzma2_err("LZMA2 chunk header truncated", ip);
    size_t usize = ((size_t)(ctl & 0x1f) << 16 | (size_t)in[ip + 1] << 8 | in[ip + 2]) + 1;
    size_t csize = ((size_t)in[ip + 3] << 8 | in[ip + 4]) + 1;
    if (mode >= 2) {
        int rc = lzma2_set_props(d, in[ip + 5], ip + 5);
        if (rc)
            return rc;
    } else if (d->need_props) {
        return lzma2_err("LZMA2 chunk without the properties it needs", ip);
    }
    if (mode >= 1)
        lzma_reset_state(d);
    ip += hdr;
    if (csize > in_end - ip)
        return lzma2_err("LZMA2 chunk data truncated", ip);
    if (usize > out_cap - op)
        return lzma2_nospace(usize - (out_cap - op), ip);
    if (csize < 5 || in[ip] != 0)
        return lzma2_err("bad range coder start", ip);

    struct rc rc = {
        .range = 0xffffffffu,
        .code = (uint32_t)in[ip + 1] << 24 | (uint32_t)in[ip + 2] << 16 |
                (uint32_t)in[ip + 3] << 8 | in[ip + 4],
        .in = in + ip + 5,
        .end = in + ip + csize,
    };
    if (rc.code == rc.range)
        return lzma2_err("bad range coder start", ip);
    int err = lzma_chunk(d, &rc, in, out, out_cap, op, op + usize);
    if (err)
        return err;
    if (rc.overrun || rc.in != rc.end || rc.code != 0)
        return lzma2_err("LZMA chunk size does not match its data", ip);
    *in_pos = ip + csize;
    *out_pos = op + usize;
    return 0;
}

int lzma2_decode(struct lzma2_dec *d, const uint8_t *in, size_t in_end, size_t *in_pos,
                 uint8_t *out, size_t out_cap, size_t *out_pos)
{
    BUILD_BUG_ON(CHUNK_USIZE_MAX != (0x1fu << 16 | 0xffffu) + 1);
    for (;;) {
        size_t ip = *in_pos;
        if (ip >= in_end)
            return lzma2_err("LZMA2 data truncated", ip);
        uint8_t ctl = in[ip];
        if (ctl == 0x00) {
            *in_pos = ip + 1;
            return 0;
        }
        if (ctl >= 0x03 && ctl < 0x80)
            return lzma2_err("bad LZMA2 control byte", ip);
        if (ctl == 0x01 || ctl >= 0xe0) {
            d->dict_start = *out_pos;
            d->need_dict_reset = false;
            if (ctl == 0x01)
                d->need_props = true;   /* the next LZMA chunk resets state */
        } else if (d->need_dict_reset) {
            return lzma2_err("first LZMA2 chunk does not reset the dictionary", ip);
        }
        int rc = ctl < 0x80 ? lzma2_copy_chunk(in, in_end, in_pos, out, out_cap, out_pos)
                            : lzma2_lzma_chunk(d, in, in_end, in_pos, out, out_cap, out_pos);
        if (rc)
            return rc;
    }
}
