/* Huffman-coded literals for the zstd decoder, RFC 8878 4.2: the tree
 * description (weights, direct or FSE-compressed), the decoding table, and
 * the 1- or 4-stream literal bitstreams. */
#include <keel/errno.h>
#include <keel/string.h>
#include "zstd_internal.h"

#define HUFW_MAX_WEIGHT 11

/* FSE-compressed weights: two interleaved states over one table; when a
 * state update runs past the stream start, the other state's symbol is the
 * last one. Returns the number of weights or a negative errno. */
static int huf_fse_weights(struct zstd_ws *ws, const uint8_t *src, size_t len)
{
    unsigned log, nsyms;
    int used = fse_read_description(ws, src, len, ZSTD_HUFW_MAX_LOG, HUFW_MAX_WEIGHT, &log, &nsyms);
    if (used < 0)
        return used;
    fse_build(ws, ws->hufw, log, nsyms, NULL, NULL);

    struct bwd_bits b;
    if (!bwd_init(&b, src + used, len - (size_t)used))
        return zstd_corrupt(ws, src, "bad Huffman weights bitstream");
    const struct fse_cell *t = ws->hufw;
    unsigned st[2];
    bwd_refill(&b);
    st[0] = (unsigned)bwd_read(&b, log);
    st[1] = (unsigned)bwd_read(&b, log);

    int n = 0;
    for (unsigned cur = 0;; cur ^= 1) {
        if (n >= ZSTD_HUF_MAX_SYMS - 2)  /* room for this and a final one */
            return zstd_corrupt(ws, src, "too many Huffman weights");
        ws->weights[n++] = (uint8_t)t[st[cur]].base;
        bwd_refill(&b);
        st[cur] = t[st[cur]].next + (unsigned)bwd_read(&b, t[st[cur]].nbits);
        if (b.pos < 0) {
            ws->weights[n++] = (uint8_t)t[st[cur ^ 1]].base;
            return n;
        }
    }
}

/* Completes the weights with the implied last one and fills ws->huf:
 * lowest weights first, each symbol owning 2^(weight-1) entries. */
static int huf_build(struct zstd_ws *ws, const uint8_t *at, unsigned n)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ws->weights[i] > HUFW_MAX_WEIGHT)
            return zstd_corrupt(ws, at, "Huffman weight too large");
        if (ws->weights[i])
            sum += 1u << (ws->weights[i] - 1);
    }
    if (sum == 0)
        return zstd_corrupt(ws, at, "Huffman tree without symbols");
    unsigned maxbits = zstd_highbit(sum) + 1;
    uint32_t rest = (1u << maxbits) - sum;
    if (maxbits > ZSTD_HUF_MAX_BITS || (rest & (rest - 1)))
        return zstd_corrupt(ws, at, "bad Huffman tree weights");
    ws->weights[n++] = (uint8_t)(zstd_highbit(rest) + 1);

    uint32_t pos = 0, ones = 0;
    for (unsigned w = 1; w <= maxbits; w++) {
        uint16_t len = (uint16_t)((maxbits + 1 - w) << 8);
        for (unsigned s = 0; s < n; s++) {
            if (ws->weights[s] != w)
                continue;
            ones += w == 1;
            for (uint32_t k = 0; k < 1u << (w - 1); k++)
                ws->huf[pos++] = (uint16_t)(len | s);
        }
    }
    if (!ones)
        return zstd_corrupt(ws, at, "Huffman tree without a weight-1 symbol");
    ws->huf_bits = maxbits;
    return 0;
}

int huf_read_tree(struct zstd_ws *ws, const uint8_t *src, size_t len)
{
    if (len < 1)
        return zstd_corrupt(ws, src, "truncated Huffman tree description");
    unsigned header = src[0];
    size_t used;
    int n;

    ws->huf_bits = 0;
    if (header >= 128) {    /* direct: 4-bit weights, high nibble first */
        n = (int)header - 127;
        used = 1 + ((size_t)n + 1) / 2;
        if (used > len)
            return zstd_corrupt(ws, src, "truncated Huffman weights");
        for (int i = 0; i < n; i++) {
            uint8_t byte = src[1 + i / 2];
            ws->weights[i] = (i & 1) ? (byte & 15) : (byte >> 4);
        }
    } else {
        used = 1 + header;
        if (header == 0 || used > len)
            return zstd_corrupt(ws, src, "truncated Huffman weights");
        n = huf_fse_weights(ws, src + 1, header);
        if (n < 0)
            return n;
    }
    int rc = huf_build(ws, src, (unsigned)n);
    return rc < 0 ? rc : (int)used;
}

/* One stream of `n` literals; it must end exactly at its first bit. */
static int huf_stream(struct zstd_ws *ws, const uint8_t *src, size_t len, uint8_t *dst, size_t n)
{
    struct bwd_bits b;
    if (!bwd_init(&b, src, len))
        return zstd_corrupt(ws, src, "bad Huffman stream end marker");
    const uint16_t *t = ws->huf;
    const unsigned mb = ws->huf_bits;
    const uint64_t mask = (1ull << mb) - 1;
    uint8_t *end = dst + n;

    /* Five codes of at most 11 bits fit in the 56 bits after a refill. */
    while (end - dst >= 5) {
        bwd_refill(&b);
        if (b.pos - b.base < 5 * (int64_t)mb)
            break;
        for (int k = 0; k < 5; k++) {
            uint16_t e = t[(b.val >> (b.pos - b.base - mb)) & mask];
            *dst++ = (uint8_t)e;
            b.pos -= e >> 8;
        }
    }
    while (dst < end) {
        bwd_refill(&b);
        uint16_t e = t[bwd_peek(&b, mb)];
        b.pos -= e >> 8;
        if (b.pos < 0)
            return zstd_corrupt(ws, src, "Huffman stream overrun");
        *dst++ = (uint8_t)e;
    }
    if (b.pos != 0)
        return zstd_corrupt(ws, src, "Huffman stream not fully consumed");
    return 0;
}

int huf_decode_literals(struct zstd_ws *ws, const uint8_t *src, size_t len,
                        size_t n, bool four_streams)
{
    if (!ws->huf_bits)
        return zstd_corrupt(ws, src, "treeless literals without a Huffman table");
    if (!four_streams)
        return huf_stream(ws, src, len, ws->lit, n);

    if (len < 10)
        return zstd_corrupt(ws, src, "truncated literals jump table");
    size_t size[4], seg = (n + 3) / 4;
    size[0] = src[0] | (size_t)src[1] << 8;
    size[1] = src[2] | (size_t)src[3] << 8;
    size[2] = src[4] | (size_t)src[5] << 8;
    size_t first3 = 6 + size[0] + size[1] + size[2];
    if (first3 >= len || 3 * seg > n)
        return zstd_corrupt(ws, src, "bad literals jump table");
    size[3] = len - first3;

    const uint8_t *s = src + 6;
    for (int i = 0; i < 4; i++) {
        size_t count = i < 3 ? seg : n - 3 * seg;
        int rc = huf_stream(ws, s, size[i], ws->lit + i * seg, count);
        if (rc < 0)
            return rc;
        s += size[i];
    }
    return 0;
}
