/* The Sequences_Section of a zstd compressed block, RFC 8878 3.1.1.3.2 and
 * 3.1.1.4: the three code tables (predefined, RLE, FSE-described or
 * repeated), the interleaved FSE bitstream, repeat offsets, and execution
 * of each (literal copy, match copy) straight into the output. */
#include <keel/errno.h>
#include <keel/string.h>
#include "zstd_internal.h"

enum seq_mode { MODE_PREDEFINED, MODE_RLE, MODE_FSE, MODE_REPEAT };

/* What a code means (Baseline, Number_of_Bits) and how its table may be
 * described. */
struct seq_code {
    const uint32_t *base;
    const uint8_t *extra;
    const int16_t *dflt;    /* default distribution */
    unsigned dflt_syms, dflt_log, max_log, max_code;
};

static const uint32_t ll_base[ZSTD_LL_MAX_CODE + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
    8192, 16384, 32768, 65536,
};
static const uint8_t ll_extra[ZSTD_LL_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16,
};
static const int16_t ll_default[ZSTD_LL_MAX_CODE + 1] = {
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
};

static const uint32_t ml_base[ZSTD_ML_MAX_CODE + 1] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
    4099, 8195, 16387, 32771, 65539,
};
static const uint8_t ml_extra[ZSTD_ML_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16,
};
static const int16_t ml_default[ZSTD_ML_MAX_CODE + 1] = {
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
    -1, -1, -1, -1, -1,
};

/* Offset code c: Offset_Value = 2^c + c raw bits. */
static const uint32_t of_base[ZSTD_OF_MAX_CODE + 1] = {
    1u << 0, 1u << 1, 1u << 2, 1u << 3, 1u << 4, 1u << 5, 1u << 6, 1u << 7,
    1u << 8, 1u << 9, 1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
    1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
    1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31,
};
static const uint8_t of_extra[ZSTD_OF_MAX_CODE + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};
static const int16_t of_default[29] = {
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
};

static const struct seq_code ll_code = {
    ll_base, ll_extra, ll_default, ARRAY_SIZE(ll_default), 6, ZSTD_LL_MAX_LOG, ZSTD_LL_MAX_CODE,
};
static const struct seq_code ml_code = {
    ml_base, ml_extra, ml_default, ARRAY_SIZE(ml_default), 6, ZSTD_ML_MAX_LOG, ZSTD_ML_MAX_CODE,
};
static const struct seq_code of_code = {
    of_base, of_extra, of_default, ARRAY_SIZE(of_default), 5, ZSTD_OF_MAX_LOG, ZSTD_OF_MAX_CODE,
};

/* Sets up one code table for this block; *p advances past its
 * description. Returns 0 or a negative errno. */
static int seq_table(struct zstd_ws *ws, enum seq_mode mode, const struct seq_code *c,
                     struct fse_cell *table, struct fse_table *st,
                     const uint8_t **p, const uint8_t *end)
{
    unsigned log, nsyms;
    int used;

    switch (mode) {
    case MODE_PREDEFINED:
        memcpy(ws->norm, c->dflt, c->dflt_syms * sizeof(ws->norm[0]));
        fse_build(ws, table, c->dflt_log, c->dflt_syms, c->base, c->extra);
        st->log = c->dflt_log;
        break;
    case MODE_RLE:
        if (*p >= end || **p > c->max_code)
            return zstd_corrupt(ws, *p, "bad RLE sequence code");
        table[0] = (struct fse_cell){ c->base[**p], c->extra[**p], 0, 0 };
        st->log = 0;
        (*p)++;
        break;
    case MODE_FSE:
        used = fse_read_description(ws, *p, (size_t)(end - *p), c->max_log, c->max_code, &log, &nsyms);
        if (used < 0)
            return used;
        fse_build(ws, table, log, nsyms, c->base, c->extra);
        st->log = log;
        *p += used;
        break;
    case MODE_REPEAT:
        if (!st->valid)
            return zstd_corrupt(ws, *p, "repeated sequence table without a previous one");
        break;
    }
    st->valid = true;
    return 0;
}

/* Copies n bytes in 16-byte chunks, possibly writing up to 15 past dst+n
 * (the caller has checked there is room); chunks never read bytes this
 * copy has yet to write as long as dst - src >= 16. */
static inline void copy16_wild(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t k = 0; k < n; k += 16)
        __builtin_memcpy(dst + k, src + k, 16);
}

static inline void copy_match(uint8_t *op, size_t off, size_t ml, const uint8_t *end)
{
    const uint8_t *src = op - off;

    if (off >= 16 && (size_t)(end - op) >= ml + 16) {
        copy16_wild(op, src, ml);
    } else if (off == 1) {
        memset(op, *src, ml);
    } else if (off >= 8) {
        size_t k = 0;
        for (; k + 8 <= ml; k += 8)
            __builtin_memcpy(op + k, src + k, 8);
        for (; k < ml; k++)
            op[k] = src[k];
    } else {
        for (size_t k = 0; k < ml; k++)
            op[k] = src[k];
    }
}

/* Resolves an Offset_Value against the repeat offsets (updating them);
 * returns the match distance (0 is invalid). */
static inline uint64_t resolve_offset(uint32_t *rep, uint64_t ofv, uint64_t ll)
{
    if (ofv > 3) {
        rep[2] = rep[1];
        rep[1] = rep[0];
        rep[0] = (uint32_t)(ofv - 3);
        return ofv - 3;
    }
    unsigned idx = (unsigned)ofv - 1 + (ll == 0);
    if (idx == 0)
        return rep[0];
    uint32_t off = idx == 3 ? rep[0] - 1 : rep[idx];
    if (idx != 1)
        rep[2] = rep[1];
    rep[1] = rep[0];
    rep[0] = off;
    return off;
}

struct seq_exec {
    const uint8_t *lit, *lit_end;
    uint8_t *frame, *op, *end;
};

static inline int exec_sequence(struct zstd_ws *ws, struct seq_exec *x, const uint8_t *at,
                                uint64_t ll, uint64_t off, uint64_t ml)
{
    if (ll > (uint64_t)(x->lit_end - x->lit))
        return zstd_corrupt(ws, at, "literal length beyond the literals");
    if (ll + ml > (uint64_t)(x->end - x->op))
        return zstd_nospace(ws, at);
    if ((uint64_t)(x->end - x->op) >= ll + 16)
        copy16_wild(x->op, x->lit, ll);
    else
        memcpy(x->op, x->lit, ll);
    x->op += ll;
    x->lit += ll;
    if (off == 0 || off > (uint64_t)(x->op - x->frame) || off > ws->window)
        return zstd_corrupt(ws, at, "match offset beyond the window");
    copy_match(x->op, off, ml, x->end);
    x->op += ml;
    return 0;
}

/* The interleaved bitstream: initial states, then per sequence the offset,
 * match length and literal length bits, then state updates. */
static int decode_sequences(struct zstd_ws *ws, const uint8_t *src, size_t len,
                            uint32_t nseq, struct seq_exec *x)
{
    struct bwd_bits b;
    if (!bwd_init(&b, src, len))
        return zstd_corrupt(ws, src, "bad sequence bitstream end marker");
    bwd_refill(&b);
    unsigned ll_s = (unsigned)bwd_read(&b, ws->ll_t.log);
    unsigned of_s = (unsigned)bwd_read(&b, ws->of_t.log);
    unsigned ml_s = (unsigned)bwd_read(&b, ws->ml_t.log);

    for (uint32_t i = 0; i < nseq; i++) {
        const struct fse_cell *llc = &ws->ll[ll_s], *mlc = &ws->ml[ml_s], *ofc = &ws->of[of_s];
        bwd_refill(&b);
        uint64_t ofv = ofc->base + bwd_read(&b, ofc->extra);
        bwd_refill(&b);
        uint64_t ml = mlc->base + bwd_read(&b, mlc->extra);
        uint64_t ll = llc->base + bwd_read(&b, llc->extra);
        if (i + 1 < nseq) {
            bwd_refill(&b);
            ll_s = llc->next + (unsigned)bwd_read(&b, llc->nbits);
            ml_s = mlc->next + (unsigned)bwd_read(&b, mlc->nbits);
            of_s = ofc->next + (unsigned)bwd_read(&b, ofc->nbits);
        }
        if (unlikely(b.pos < 0))
            return zstd_corrupt(ws, src, "sequence bitstream overrun");
        uint64_t off = resolve_offset(ws->rep, ofv, ll);
        int rc = exec_sequence(ws, x, src, ll, off, ml);
        if (rc < 0)
            return rc;
    }
    if (b.pos != 0)
        return zstd_corrupt(ws, src, "sequence bitstream not fully consumed");
    return 0;
}

/* Number_of_Sequences: 1 to 3 bytes. Returns bytes used or 0 if truncated. */
static size_t read_nseq(const uint8_t *p, size_t len, uint32_t *nseq)
{
    if (len < 1)
        return 0;
    if (p[0] < 128) {
        *nseq = p[0];
        return 1;
    }
    if (p[0] < 255) {
        if (len < 2)
            return 0;
        *nseq = ((uint32_t)(p[0] - 128) << 8) + p[1];
        return 2;
    }
    if (len < 3)
        return 0;
    *nseq = p[1] + ((uint32_t)p[2] << 8) + 0x7f00;
    return 3;
}

int zstd_sequences(struct zstd_ws *ws, const uint8_t *src, size_t len, size_t nlit,
                   uint8_t *frame, uint8_t **op, uint8_t *end)
{
    struct seq_exec x = { ws->lit, ws->lit + nlit, frame, *op, end };
    const uint8_t *p = src, *send = src + len;
    uint32_t nseq;
    size_t used = read_nseq(p, len, &nseq);
    if (!used)
        return zstd_corrupt(ws, src, "truncated sequences section header");
    p += used;

    if (nseq > 0) {
        if (p >= send || (*p & 3))
            return zstd_corrupt(ws, p, "bad sequence compression modes");
        unsigned modes = *p++;
        int rc = seq_table(ws, modes >> 6, &ll_code, ws->ll, &ws->ll_t, &p, send);
        if (rc == 0)
            rc = seq_table(ws, (modes >> 4) & 3, &of_code, ws->of, &ws->of_t, &p, send);
        if (rc == 0)
            rc = seq_table(ws, (modes >> 2) & 3, &ml_code, ws->ml, &ws->ml_t, &p, send);
        if (rc == 0)
            rc = decode_sequences(ws, p, (size_t)(send - p), nseq, &x);
        if (rc < 0)
            return rc;
    } else if (p != send) {
        return zstd_corrupt(ws, p, "data after an empty sequences section");
    }

    size_t rest = (size_t)(x.lit_end - x.lit);
    if (rest > (size_t)(end - x.op))
        return zstd_nospace(ws, src);
    memcpy(x.op, x.lit, rest);
    *op = x.op + rest;
    return 0;
}
