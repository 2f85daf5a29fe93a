/* .xz decoder ("The .xz File Format" 1.0.4+): streams with header, blocks,
 * index and footer; stream padding and concatenated streams; checks None,
 * CRC32 and CRC64 (SHA-256 and reserved check IDs: -EOPNOTSUPP); filter
 * chains of up to three of x86 BCJ / Delta ahead of LZMA2 (lzma2.c).
 *
 * The input is a bzImage payload, i.e. .xz embedded in another format: Linux
 * appends the uncompressed size after the stream. So after each stream and
 * its padding, bytes that do not start another stream end the data and are
 * ignored (the spec's rule for embedded .xz is to stop after a stream). */
#include <keel/alloc.h>
#include <keel/compiler.h>
#include <keel/decompress.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>
#include "lzma2.h"

#define STREAM_HDR_SIZE 12
#define STREAM_FTR_SIZE 12
#define CHECK_NONE      0x00
#define CHECK_CRC32     0x01
#define CHECK_CRC64     0x04
#define CHECK_SHA256    0x0a
#define FILTER_DELTA    0x03
#define FILTER_X86      0x04
#define FILTER_LZMA2    0x21
#define FILTERS_MAX     4
#define VLI_BYTES_MAX   9
#define SIZE_UNKNOWN    UINT64_MAX

static const uint8_t header_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t footer_magic[2] = { 'Y', 'Z' };

/* Size in bytes of each check ID (spec 2.1.1.2). */
static const uint8_t check_sizes[16] = { 0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64 };

struct workspace {
    uint32_t crc32_table[8][256];   /* slicing-by-8: [k] = CRC of a byte and k zeros */
    uint64_t crc64_table[256];
    struct lzma2_dec lzma2;
};

struct filter {
    uint64_t id;
    uint32_t arg;       /* x86: start offset; delta: distance; LZMA2: dict size */
};

struct block_header {
    size_t size;
    uint64_t csize, usize;  /* SIZE_UNKNOWN when absent */
    unsigned nfilters;
    struct filter filters[FILTERS_MAX];
};

/* What the blocks of the current stream were, to check the index against. */
struct stream_tally {
    uint64_t blocks;
    uint64_t hash;      /* CRC64 over each block's (unpadded, uncompressed) */
};

struct xz {
    const uint8_t *in;
    size_t in_len, ip;
    uint8_t *out;
    size_t out_cap, op;
    struct workspace *ws;
    uint8_t flags[2];   /* stream flags of the current stream */
    unsigned check;
    struct stream_tally tally;
};

static int xz_err(const char *why, size_t off)
{
    log_err("xz: %s at offset 0x%zx\n", why, off);
    return -EINVAL;
}

static int xz_unsupported(const char *what, uint64_t val, size_t off)
{
    log_err("xz: unsupported %s 0x%llx at offset 0x%zx\n", what, (unsigned long long)val, off);
    return -EOPNOTSUPP;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC32 (poly 0xEDB88320) and CRC64 (ECMA-182, 0xC96C5795D7870F42),
 * reflected, tables built per call in the workspace. CRC32 runs over every
 * output byte of the kernel, so it takes eight bytes per step. */
static void crc_tables_init(struct workspace *ws)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c32 = i;
        uint64_t c64 = i;
        for (int j = 0; j < 8; j++) {
            c32 = (c32 >> 1) ^ (c32 & 1 ? 0xedb88320u : 0);
            c64 = (c64 >> 1) ^ (c64 & 1 ? 0xc96c5795d7870f42ull : 0);
        }
        ws->crc32_table[0][i] = c32;
        ws->crc64_table[i] = c64;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) {
            uint32_t c = ws->crc32_table[k - 1][i];
            ws->crc32_table[k][i] = (c >> 8) ^ ws->crc32_table[0][c & 0xff];
        }
}

static uint32_t crc32(const struct workspace *ws, const uint8_t *p, size_t n)
{
    const uint32_t (*t)[256] = ws->crc32_table;
    uint32_t c = 0xffffffffu;

    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = c ^ get_le32(p), hi = get_le32(p + 4);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    while (n--)
        c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint64_t crc64_update(const struct workspace *ws, uint64_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = ~crc;

    while (n--)
        c = ws->crc64_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

/* Variable-length integer (spec 1.2): 7 bits per byte, low first, at most
 * nine bytes, no superfluous zero byte at the end. */
static bool get_vli(const uint8_t *in, size_t end, size_t *pos, uint64_t *val)
{
    uint64_t v = 0;
    size_t p = *pos;

    for (unsigned i = 0; i < VLI_BYTES_MAX; i++) {
        if (p >= end)
            return false;
        uint8_t b = in[p++];
        if (i > 0 && b == 0)
            return false;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *val = v;
            *pos = p;
            return true;
        }
    }
    return false;
}

static bool x86_is_ms_byte(uint8_t b)
{
    return b == 0x00 || b == 0xff;
}

/* x86 BCJ decoder, in place. The encoder made the 32-bit operand of an
 * E8 (call) / E9 (jmp) byte absolute (operand + address of the next
 * instruction) when the operand's top byte was 00 or FF; we subtract again.
 * `mask` remembers which of the three bytes before the current one were
 * E8/E9 bytes left unconverted (bit 2 = three back ... bit 0 = one back in
 * the position the current byte is seen from). The current E8/E9 may then be
 * inside that earlier candidate's operand: it is skipped when the pattern is
 * one the encoder skips or the byte where that operand's top byte would be
 * is 00/FF. Converted, the result byte that lands on that spot must not be
 * 00/FF either: if it is, the encoder had inverted the bits up to it, once
 * (a second inversion cannot happen: it would have required that spot to be
 * 00/FF in the input, which the skip rule excludes). */
static void bcj_x86_decode(uint8_t *buf, size_t size, uint32_t start)
{
    static const bool mask_ok[8] = { true, true, true, false, true, false, false, false };
    static const uint8_t mask_back[8] = { 0, 1, 2, 2, 3, 3, 3, 3 };
    size_t prev = SIZE_MAX;     /* the last E8/E9 position examined, "-1" */
    unsigned mask = 0;

    for (size_t i = 0; size >= 5 && i <= size - 5; i++) {
        if ((buf[i] & 0xfe) != 0xe8)
            continue;
        size_t gap = i - prev;
        if (gap > 3) {
            mask = 0;
        } else {
            mask = (mask << (gap - 1)) & 7;
            if (mask && (!mask_ok[mask] || x86_is_ms_byte(buf[i + 4 - mask_back[mask]]))) {
                prev = i;
                mask = ((mask << 1) & 7) | 1;
                continue;
            }
        }
        prev = i;
        if (!x86_is_ms_byte(buf[i + 4])) {
            mask = ((mask << 1) & 7) | 1;
            continue;
        }
        uint32_t here = start + (uint32_t)i + 5;
        uint32_t v = get_le32(buf + i + 1) - here;
        if (mask) {
            unsigned sh = 24 - 8u * mask_back[mask];
            if (x86_is_ms_byte((uint8_t)(v >> sh)))
                v = (v ^ ((1u << (sh + 8)) - 1)) - here;
        }
        /* the top byte repeats bit 24: the operand is a sign-extended 25 bits */
        v = (v & 0x01ffffffu) | (v & 0x01000000u ? 0xff000000u : 0);
        buf[i + 1] = (uint8_t)v;
        buf[i + 2] = (uint8_t)(v >> 8);
        buf[i + 3] = (uint8_t)(v >> 16);
        buf[i + 4] = (uint8_t)(v >> 24);
        i += 4;
    }
}

/* Delta decoder, in place: each byte was stored minus the byte `dist`
 * positions earlier (zeros before the start). */
static void delta_decode(uint8_t *buf, size_t size, uint32_t dist)
{
    for (size_t i = dist; i < size; i++)
        buf[i] = (uint8_t)(buf[i] + buf[i - dist]);
}

/* One Filter Flags entry: ID, properties size, properties. */
static int parse_filter(struct xz *x, size_t end, size_t *pos, bool last, struct filter *f)
{
    uint64_t id, psize;
    size_t at = *pos;

    if (!get_vli(x->in, end, pos, &id) || !get_vli(x->in, end, pos, &psize) ||
        psize > end - *pos)
        return xz_err("bad filter flags in block header", at);
    const uint8_t *props = x->in + *pos;
    *pos += psize;
    f->id = id;
    if (id != FILTER_LZMA2 && id != FILTER_X86 && id != FILTER_DELTA)
        return id >= (1ull << 62) ? xz_err("reserved filter ID", at)
                                  : xz_unsupported("filter", id, at);
    if (last != (id == FILTER_LZMA2))
        return xz_err("LZMA2 must be the last filter, and only the last", at);
    if (id == FILTER_LZMA2) {
        if (psize != 1)
            return xz_err("bad LZMA2 properties size", at);
        uint8_t bits = props[0];
        if (bits > 40)
            return xz_unsupported("LZMA2 dictionary size", bits, at);
        f->arg = bits == 40 ? 0xffffffffu : (2u | (bits & 1)) << (bits / 2 + 11);
    } else if (id == FILTER_X86) {
        if (psize != 0 && psize != 4)
            return xz_err("bad x86 filter properties size", at);
        f->arg = psize ? get_le32(props) : 0;
    } else {
        if (psize != 1)
            return xz_err("bad delta filter properties size", at);
        f->arg = props[0] + 1u;
    }
    return 0;
}

static int parse_block_header(struct xz *x, struct block_header *h)
{
    size_t start = x->ip;
    size_t size = ((size_t)x->in[start] + 1) * 4;

    if (size > x->in_len - start)
        return xz_err("block header truncated", start);
    size_t end = start + size - 4;
    if (crc32(x->ws, x->in + start, size - 4) != get_le32(x->in + end))
        return xz_err("bad block header CRC32", start);
    uint8_t flags = x->in[start + 1];
    if (flags & 0x3c)
        return xz_unsupported("block flags", flags, start + 1);
    size_t pos = start + 2;
    h->size = size;
    h->csize = h->usize = SIZE_UNKNOWN;
    if ((flags & 0x40) && (!get_vli(x->in, end, &pos, &h->csize) || h->csize == 0))
        return xz_err("bad compressed size in block header", start);
    if ((flags & 0x80) && !get_vli(x->in, end, &pos, &h->usize))
        return xz_err("bad uncompressed size in block header", start);
    h->nfilters = (flags & 3) + 1u;
    for (unsigned i = 0; i < h->nfilters; i++) {
        int rc = parse_filter(x, end, &pos, i == h->nfilters - 1, &h->filters[i]);
        if (rc)
            return rc;
    }
    for (; pos < end; pos++)
        if (x->in[pos])
            return xz_err("non-zero block header padding", pos);
    return 0;
}

/* Compares the block's Check field with the check of its output. */
static int verify_check(struct xz *x, const uint8_t *data, size_t n)
{
    size_t csize = check_sizes[x->check];
    const uint8_t *stored = x->in + x->ip;

    if (csize > x->in_len - x->ip)
        return xz_err("block check truncated", x->ip);
    if (x->check == CHECK_CRC32 && crc32(x->ws, data, n) != get_le32(stored))
        return xz_err("block CRC32 mismatch", x->ip);
    if (x->check == CHECK_CRC64 && crc64_update(x->ws, 0, data, n) != get_le64(stored))
        return xz_err("block CRC64 mismatch", x->ip);
    x->ip += csize;
    return 0;
}

/* Runs the non-last filters' decoders over the block's output, last first. */
static void apply_filters(const struct block_header *h, uint8_t *buf, size_t n)
{
    for (unsigned i = h->nfilters - 1; i-- > 0;) {
        if (h->filters[i].id == FILTER_X86)
            bcj_x86_decode(buf, n, h->filters[i].arg);
        else
            delta_decode(buf, n, h->filters[i].arg);
    }
}

static void tally_block(struct xz *x, uint64_t unpadded, uint64_t usize)
{
    uint8_t rec[16];

    put_le64(rec, unpadded);
    put_le64(rec + 8, usize);
    x->tally.hash = crc64_update(x->ws, x->tally.hash, rec, sizeof(rec));
    x->tally.blocks++;
}

static int decode_block(struct xz *x)
{
    struct block_header h;
    size_t block_start = x->ip, out_start = x->op;
    int rc = parse_block_header(x, &h);

    if (rc)
        return rc;
    x->ip += h.size;
    size_t data_end = x->in_len;
    if (h.csize != SIZE_UNKNOWN) {
        if (h.csize > x->in_len - x->ip)
            return xz_err("block data truncated", x->ip);
        data_end = x->ip + (size_t)h.csize;
    }
    if (h.usize != SIZE_UNKNOWN && h.usize > x->out_cap - x->op) {
        log_err("xz: output buffer too small for block of %llu bytes at offset 0x%zx\n",
                (unsigned long long)h.usize, block_start);
        return -ENOSPC;
    }
    lzma2_init(&x->ws->lzma2, h.filters[h.nfilters - 1].arg, x->op);
    rc = lzma2_decode(&x->ws->lzma2, x->in, data_end, &x->ip, x->out, x->out_cap, &x->op);
    if (rc)
        return rc;
    if (h.csize != SIZE_UNKNOWN && x->ip != data_end)
        return xz_err("block compressed size mismatch", block_start);
    if (h.usize != SIZE_UNKNOWN && x->op - out_start != h.usize)
        return xz_err("block uncompressed size mismatch", block_start);
    uint64_t unpadded = (x->ip - block_start) + check_sizes[x->check];
    for (; (x->ip - block_start) & 3; x->ip++)
        if (x->ip >= x->in_len || x->in[x->ip])
            return xz_err(x->ip >= x->in_len ? "block padding truncated" : "non-zero block padding",
                          x->ip);
    apply_filters(&h, x->out + out_start, x->op - out_start);
    rc = verify_check(x, x->out + out_start, x->op - out_start);
    if (rc)
        return rc;
    tally_block(x, unpadded, x->op - out_start);
    return 0;
}

/* Index: 0x00, record count, (unpadded, uncompressed) per block, padding,
 * CRC32. It must describe exactly the blocks just decoded. */
static int decode_index(struct xz *x, size_t *index_size)
{
    size_t start = x->ip;
    uint64_t count, hash = 0;

    x->ip++;    /* the index indicator, 0x00 */
    if (!get_vli(x->in, x->in_len, &x->ip, &count))
        return xz_err("bad index record count", x->ip);
    if (count != x->tally.blocks)
        return xz_err("index record count differs from the blocks", start);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t unpadded, usize;
        uint8_t rec[16];
        size_t at = x->ip;
        if (!get_vli(x->in, x->in_len, &x->ip, &unpadded) ||
            !get_vli(x->in, x->in_len, &x->ip, &usize))
            return xz_err("bad index record", at);
        put_le64(rec, unpadded);
        put_le64(rec + 8, usize);
        hash = crc64_update(x->ws, hash, rec, sizeof(rec));
    }
    if (hash != x->tally.hash)
        return xz_err("index records differ from the blocks", start);
    for (; (x->ip - start) & 3; x->ip++)
        if (x->ip >= x->in_len || x->in[x->ip])
            return xz_err("bad index padding", x->ip);
    if (x->in_len - x->ip < 4)
        return xz_err("index CRC32 truncated", x->ip);
    if (crc32(x->ws, x->in + start, x->ip - start) != get_le32(x->in + x->ip))
        return xz_err("bad index CRC32", x->ip);
    x->ip += 4;
    *index_size = x->ip - start;
    return 0;
}

/* Stream flags: a zero byte, then the check ID in the low nibble. */
static int check_stream_flags(struct xz *x, const uint8_t *flags, size_t off)
{
    if (flags[0] != 0 || (flags[1] & 0xf0))
        return xz_unsupported("stream flags", (uint64_t)flags[0] << 8 | flags[1], off);
    unsigned check = flags[1] & 0x0f;
    if (check != CHECK_NONE && check != CHECK_CRC32 && check != CHECK_CRC64)
        return xz_unsupported(check == CHECK_SHA256 ? "check type (SHA-256)" : "check type",
                              check, off);
    x->check = check;
    return 0;
}

static int decode_stream_header(struct xz *x)
{
    const uint8_t *p = x->in + x->ip;

    if (x->in_len - x->ip < STREAM_HDR_SIZE)
        return xz_err("stream header truncated", x->ip);
    if (memcmp(p, header_magic, sizeof(header_magic)))
        return xz_err("bad stream header magic", x->ip);
    if (crc32(x->ws, p + 6, 2) != get_le32(p + 8))
        return xz_err("bad stream header CRC32", x->ip + 8);
    int rc = check_stream_flags(x, p + 6, x->ip + 6);
    if (rc)
        return rc;
    x->flags[0] = p[6];
    x->flags[1] = p[7];
    x->ip += STREAM_HDR_SIZE;
    return 0;
}

/* Footer: CRC32 of the next six bytes, backward size (index size / 4 - 1),
 * the stream flags again, "YZ". */
static int decode_stream_footer(struct xz *x, size_t index_size)
{
    const uint8_t *p = x->in + x->ip;

    if (x->in_len - x->ip < STREAM_FTR_SIZE)
        return xz_err("stream footer truncated", x->ip);
    if (memcmp(p + 10, footer_magic, sizeof(footer_magic)))
        return xz_err("bad stream footer magic", x->ip + 10);
    if (crc32(x->ws, p + 4, 6) != get_le32(p))
        return xz_err("bad stream footer CRC32", x->ip);
    if (memcmp(p + 8, x->flags, 2))
        return xz_err("stream footer flags differ from the header", x->ip + 8);
    if (((uint64_t)get_le32(p + 4) + 1) * 4 != index_size)
        return xz_err("backward size differs from the index size", x->ip + 4);
    x->ip += STREAM_FTR_SIZE;
    return 0;
}

static int decode_stream(struct xz *x)
{
    int rc = decode_stream_header(x);
    size_t index_size;

    if (rc)
        return rc;
    x->tally = (struct stream_tally){ 0 };
    for (;;) {
        if (x->ip >= x->in_len)
            return xz_err("stream truncated before its index", x->ip);
        if (x->in[x->ip] == 0x00)
            break;
        rc = decode_block(x);
        if (rc)
            return rc;
    }
    rc = decode_index(x, &index_size);
    if (rc)
        return rc;
    return decode_stream_footer(x, index_size);
}

/* After a stream: zero padding in 4-byte units, then another stream or the
 * end of the xz data. Returns true if another stream follows. */
static bool next_stream(struct xz *x)
{
    while (x->in_len - x->ip >= 4 && get_le32(x->in + x->ip) == 0)
        x->ip += 4;
    if (x->ip == x->in_len)
        return false;
    if (x->in_len - x->ip >= sizeof(header_magic) &&
        !memcmp(x->in + x->ip, header_magic, sizeof(header_magic)))
        return true;
    log_debug("xz: %zu bytes after the last stream ignored at offset 0x%zx\n",
              x->in_len - x->ip, x->ip);
    return false;
}

int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    struct xz x = { .in = in, .in_len = in_len, .out = out, .out_cap = out_cap };
    int rc;

    *out_len = 0;
    if (!in || in_len == 0)
        return xz_err("empty input", 0);
    if (!out && out_cap)
        return -EINVAL;
    x.ws = kzalloc(sizeof(*x.ws));
    if (!x.ws) {
        log_err("xz: cannot allocate %zu bytes of workspace\n", sizeof(*x.ws));
        return -ENOMEM;
    }
    crc_tables_init(x.ws);
    do {
        rc = decode_stream(&x);
    } while (rc == 0 && next_stream(&x));
    kfree(x.ws);
    if (rc == 0)
        *out_len = x.op;
    return rc;
}
