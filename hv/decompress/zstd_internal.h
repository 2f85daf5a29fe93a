/* Internals shared by the Zstandard decoder's parts (RFC 8878): the
 * backward bit reader, FSE and Huffman tables, the per-call workspace.
 * Not an interface for other code: use unzstd() from <keel/decompress.h>. */
#ifndef KEEL_ZSTD_INTERNAL_H
#define KEEL_ZSTD_INTERNAL_H

#include <keel/compiler.h>
#include <keel/types.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the zstd decoder assumes a little-endian host"
#endif

#define ZSTD_BLOCK_MAX      (128u * 1024)   /* Block_Maximum_Size upper bound */
#define ZSTD_LIT_SLACK      32              /* lets literal copies overrun */
#define ZSTD_HUF_MAX_BITS   11
#define ZSTD_HUF_MAX_SYMS   256
#define ZSTD_LL_MAX_LOG     9
#define ZSTD_ML_MAX_LOG     9
#define ZSTD_OF_MAX_LOG     8
#define ZSTD_HUFW_MAX_LOG   6
#define ZSTD_LL_MAX_CODE    35
#define ZSTD_ML_MAX_CODE    52
#define ZSTD_OF_MAX_CODE    31              /* offsets below 2^32 */
#define ZSTD_FSE_MAX_SYMS   64              /* every alphabet above fits */

/* One FSE decoding-table cell, with the symbol already turned into what it
 * means: `base` plus `extra` raw bits read from the stream (for Huffman
 * weights: base = the weight, extra = 0). The next state is `next` plus
 * `nbits` bits read from the stream. */
struct fse_cell {
    uint32_t base;
    uint8_t extra;
    uint8_t nbits;
    uint16_t next;
};

/* A decoding table and whether a block may repeat it (Repeat_Mode). */
struct fse_table {
    unsigned log;
    bool valid;
};

struct zstd_ws {
    const uint8_t *in0;             /* start of the whole input, for offsets */
    struct fse_cell ll[1u << ZSTD_LL_MAX_LOG];
    struct fse_cell ml[1u << ZSTD_ML_MAX_LOG];
    struct fse_cell of[1u << ZSTD_OF_MAX_LOG];
    struct fse_cell hufw[1u << ZSTD_HUFW_MAX_LOG];
    struct fse_table ll_t, ml_t, of_t;
    uint16_t huf[1u << ZSTD_HUF_MAX_BITS]; /* symbol | code length << 8 */
    unsigned huf_bits;              /* Max_Number_of_Bits, 0: no table yet */
    uint32_t rep[3];                /* Repeated_Offset1..3 */
    size_t window;                  /* Window_Size of the current frame */
    int16_t norm[ZSTD_FSE_MAX_SYMS];
    uint8_t weights[ZSTD_HUF_MAX_SYMS];
    uint8_t lit[ZSTD_BLOCK_MAX + ZSTD_LIT_SLACK];
};

/* Logs "zstd: <why> at offset 0x..." (offset of `at` in the input) and
 * returns -EINVAL. */
int zstd_corrupt(const struct zstd_ws *ws, const uint8_t *at, const char *why);
/* Logs that the output buffer is too small and returns -ENOSPC. */
int zstd_nospace(const struct zstd_ws *ws, const uint8_t *at);

static inline uint64_t zstd_le64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline uint32_t zstd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline unsigned zstd_highbit(uint32_t v)
{
    return 31u - (unsigned)__builtin_clz(v);
}

/* Backward bit reader: a stream is one little-endian number whose top set
 * bit (in its last byte) marks the start; fields are taken from the top
 * down. `pos` counts the bits not yet read; `val` holds the 64 stream bits
 * from bit `base` up. Bits below the stream start read as zero and drive
 * `pos` negative, which callers treat as overrun. */
struct bwd_bits {
    const uint8_t *buf;
    size_t len;
    int64_t pos;
    int64_t base;
    uint64_t val;
};

/* Returns false if the stream is empty or its last byte is zero. */
bool bwd_init(struct bwd_bits *b, const uint8_t *buf, size_t len);

/* After a refill at least 56 bits are readable unless the stream start is
 * closer than that. */
static inline void bwd_refill(struct bwd_bits *b)
{
    if (b->len < 8 || b->pos - b->base >= 56)
        return;
    int64_t byte = b->pos >= 0 ? (b->pos >> 3) - 7 : 0;
    if (byte < 0)
        byte = 0;
    b->base = byte * 8;
    b->val = zstd_le64(b->buf + byte);
}

/* Bits below the stream start: zero-filled. */
static inline uint64_t bwd_low(const struct bwd_bits *b, int64_t d, unsigned n)
{
    uint64_t mask = (1ull << n) - 1;
    return -d >= 64 ? 0 : (b->val << -d) & mask;
}

/* Reads n <= 56 bits; the caller has refilled since reading 56 - n bits. */
static inline uint64_t bwd_read(struct bwd_bits *b, unsigned n)
{
    b->pos -= n;
    int64_t d = b->pos - b->base;
    if (likely(d >= 0))
        return (b->val >> d) & ((1ull << n) - 1);
    return bwd_low(b, d, n);
}

static inline uint64_t bwd_peek(const struct bwd_bits *b, unsigned n)
{
    int64_t d = b->pos - n - b->base;
    if (likely(d >= 0))
        return (b->val >> d) & ((1ull << n) - 1);
    return bwd_low(b, d, n);
}

/* FSE (zstd_fse.c). Parses an FSE table description of at most `len`
 * bytes into ws->norm (probabilities of symbols 0..*nsyms-1, -1 meaning
 * "less than one") and returns the bytes used or a negative errno. */
int fse_read_description(struct zstd_ws *ws, const uint8_t *src, size_t len,
                         unsigned max_log, unsigned max_sym,
                         unsigned *log, unsigned *nsyms);
/* Builds a decoding table from ws->norm; each cell's symbol s becomes
 * base = sym_base[s], extra = sym_extra[s] (identity if sym_base is NULL). */
void fse_build(const struct zstd_ws *ws, struct fse_cell *table, unsigned log,
               unsigned nsyms, const uint32_t *sym_base, const uint8_t *sym_extra);

/* Huffman literals (zstd_huf.c). Reads a Huffman_Tree_Description and
 * builds ws->huf; returns the bytes used or a negative errno. */
int huf_read_tree(struct zstd_ws *ws, const uint8_t *src, size_t len);
/* Decodes `n` literals from 1 or 4 streams into ws->lit. */
int huf_decode_literals(struct zstd_ws *ws, const uint8_t *src, size_t len,
                        size_t n, bool four_streams);

/* Sequences (zstd_seq.c): decodes the Sequences_Section [src, src+len) and
 * executes it with the `nlit` literals in ws->lit, writing at *op (frame
 * output starts at `frame`, buffer ends at `end`). */
int zstd_sequences(struct zstd_ws *ws, const uint8_t *src, size_t len, size_t nlit,
                   uint8_t *frame, uint8_t **op, uint8_t *end);

/* XXH64 (xxhash64.c). */
uint64_t xxh64(const uint8_t *data, size_t len, uint64_t seed);

#endif
