/* FSE (Finite State Entropy) tables for the zstd decoder, RFC 8878 4.1:
 * reading a table description (normalized probabilities) and building the
 * decoding table from it. */
#include <keel/errno.h>
#include "zstd_internal.h"

/* Up to n <= 16 bits at bit `bit` of a forward little-endian bitstream;
 * bytes past the end read as zero (the caller checks the length used). */
static unsigned fwd_peek(const uint8_t *src, size_t len, size_t bit, unsigned n)
{
    size_t i = bit >> 3;
    uint32_t v = 0;

    for (unsigned k = 0; k < 3; k++)
        if (i + k < len)
            v |= (uint32_t)src[i + k] << (8 * k);
    return (v >> (bit & 7)) & ((1u << n) - 1);
}

/* One probability field: values below `low` use one bit fewer. */
static int read_proba(const uint8_t *src, size_t len, size_t *bit, int32_t remaining)
{
    uint32_t maxval = (uint32_t)remaining + 1;
    unsigned t = zstd_highbit(maxval) + 1;
    uint32_t half = 1u << (t - 1);
    uint32_t low = (1u << t) - 1 - maxval;
    uint32_t v = fwd_peek(src, len, *bit, t);

    if ((v & (half - 1)) < low) {
        *bit += t - 1;
        return (int)(v & (half - 1)) - 1;
    }
    *bit += t;
    return (int)(v >= half ? v - low : v) - 1;
}

int fse_read_description(struct zstd_ws *ws, const uint8_t *src, size_t len,
                         unsigned max_log, unsigned max_sym,
                         unsigned *log, unsigned *nsyms)
{
    if (len < 1)
        return zstd_corrupt(ws, src, "truncated FSE table description");
    unsigned al = (src[0] & 15u) + 5;
    if (al > max_log)
        return zstd_corrupt(ws, src, "FSE accuracy log too large");

    int32_t remaining = 1 << al;
    size_t bit = 4;
    unsigned s = 0;
    while (remaining > 0) {
        if (s > max_sym || bit > len * 8)
            return zstd_corrupt(ws, src, "bad FSE table description");
        int proba = read_proba(src, len, &bit, remaining);
        ws->norm[s++] = (int16_t)proba;
        remaining -= proba < 0 ? 1 : proba;
        if (proba != 0)
            continue;
        unsigned run;
        do {    /* 2-bit repeat flags: how many more zero probabilities */
            run = fwd_peek(src, len, bit, 2);
            bit += 2;
            if (s + run > max_sym + 1 || bit > len * 8)
                return zstd_corrupt(ws, src, "bad FSE zero-probability run");
            for (unsigned i = 0; i < run; i++)
                ws->norm[s++] = 0;
        } while (run == 3);
    }
    if (remaining < 0)
        return zstd_corrupt(ws, src, "FSE probabilities exceed the table size");
    size_t bytes = (bit + 7) >> 3;
    if (bytes > len)
        return zstd_corrupt(ws, src, "truncated FSE table description");
    *log = al;
    *nsyms = s;
    return (int)bytes;
}

void fse_build(const struct zstd_ws *ws, struct fse_cell *table, unsigned log,
               unsigned nsyms, const uint32_t *sym_base, const uint8_t *sym_extra)
{
    uint32_t size = 1u << log, high = size - 1, mask = size - 1;
    uint32_t step = (size >> 1) + (size >> 3) + 3;
    uint16_t next[ZSTD_FSE_MAX_SYMS];
    uint8_t cell_sym[1u << ZSTD_LL_MAX_LOG];

    /* "Less than one" symbols take single cells from the top down. */
    for (unsigned s = 0; s < nsyms; s++) {
        if (ws->norm[s] == -1) {
            cell_sym[high--] = (uint8_t)s;
            next[s] = 1;
        } else {
            next[s] = (uint16_t)ws->norm[s];
        }
    }
    /* The others are spread with an odd step, which visits every cell. */
    uint32_t pos = 0;
    for (unsigned s = 0; s < nsyms; s++) {
        for (int i = 0; i < ws->norm[s]; i++) {
            cell_sym[pos] = (uint8_t)s;
            do
                pos = (pos + step) & mask;
            while (pos > high);
        }
    }
    /* In state order, the k-th cell of a symbol with probability p covers
     * next-state range x = p + k: lower x need one more bit. */
    for (uint32_t u = 0; u < size; u++) {
        unsigned s = cell_sym[u];
        uint32_t x = next[s]++;
        unsigned nb = log - zstd_highbit(x);
        table[u].nbits = (uint8_t)nb;
        table[u].next = (uint16_t)((x << nb) - size);
        table[u].base = sym_base ? sym_base[s] : s;
        table[u].extra = sym_extra ? sym_extra[s] : 0;
    }
}
