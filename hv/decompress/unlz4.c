/* LZ4 decoder (lz4_Block_format.md, lz4_Frame_format.md): legacy frames, as
 * in Linux bzImage payloads, standard frames with their xxHash-32 header,
 * block and content checksums, and skippable frames. Concatenated frames
 * are decoded in order into one output.
 *
 * Legacy frame: magic 0x184C2102, then blocks of [u32 LE compressed size]
 * [LZ4 block], each decoding to at most 8 MiB independently of the others.
 * The frame ends at end of input, at a size field holding a known frame
 * magic (the next frame starts there) or 0 (skipped). Linux appends the
 * uncompressed size as a u32 after the payload: a size field in the last 4
 * bytes of input that equals the output size so far is taken as that trailer.
 *
 * The output buffer is the window. Bytes of out[] past *out_len (up to
 * out_cap) may be overwritten with scratch data by the copy loops. */
#include <keel/decompress.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define LZ4_LEGACY_MAGIC    0x184c2102u
#define LZ4_FRAME_MAGIC     0x184d2204u
#define LZ4_SKIP_MAGIC      0x184d2a50u     /* ..0x184d2a5f */
#define LZ4_SKIP_MASK       0xfffffff0u
#define LEGACY_BLOCK_MAX    (8u << 20)
/* Largest compressed form of an 8 MiB block (incompressible data). */
#define LEGACY_CBLOCK_MAX   (LEGACY_BLOCK_MAX + LEGACY_BLOCK_MAX / 255 + 16)
#define MIN_MATCH           4

#define FLG_VERSION_MASK    0xc0u
#define FLG_VERSION_1       0x40u
#define FLG_BLOCK_INDEP     0x20u
#define FLG_BLOCK_CSUM      0x10u
#define FLG_CONTENT_SIZE    0x08u
#define FLG_CONTENT_CSUM    0x04u
#define FLG_RESERVED        0x02u
#define FLG_DICT_ID         0x01u
#define BD_MAXSIZE_SHIFT    4
#define BD_RESERVED         0x8fu
#define BLOCK_UNCOMPRESSED  0x80000000u

struct lz4 {
    const uint8_t *in;
    size_t in_len;
    size_t pos;         /* next input byte */
    uint8_t *out;
    size_t out_cap;
    size_t out_pos;
};

/* ---- xxHash-32 (xxhash_spec.md), seed 0 as LZ4 uses it ---- */

#define XXH_P1 0x9e3779b1u
#define XXH_P2 0x85ebca77u
#define XXH_P3 0xc2b2ae3du
#define XXH_P4 0x27d4eb2fu
#define XXH_P5 0x165667b1u

static uint32_t get_le32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);   /* x86-64: little-endian */
    return v;
}

static inline uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}

static inline uint32_t xxh32_round(uint32_t acc, uint32_t lane)
{
    return rotl32(acc + lane * XXH_P2, 13) * XXH_P1;
}

static uint32_t xxh32(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    uint32_t h;

    if (n >= 16) {
        uint32_t v1 = XXH_P1 + XXH_P2, v2 = XXH_P2, v3 = 0, v4 = 0u - XXH_P1;
        for (; end - p >= 16; p += 16) {
            v1 = xxh32_round(v1, get_le32(p));
            v2 = xxh32_round(v2, get_le32(p + 4));
            v3 = xxh32_round(v3, get_le32(p + 8));
            v4 = xxh32_round(v4, get_le32(p + 12));
        }
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = XXH_P5;
    }
    h += (uint32_t)n;
    for (; end - p >= 4; p += 4)
        h = rotl32(h + get_le32(p) * XXH_P3, 17) * XXH_P4;
    for (; p < end; p++)
        h = rotl32(h + *p * XXH_P5, 11) * XXH_P1;
    h ^= h >> 15;
    h *= XXH_P2;
    h ^= h >> 13;
    h *= XXH_P3;
    h ^= h >> 16;
    return h;
}

/* ---- blocks ---- */

static int corrupt(size_t offset, const char *why)
{
    log_err("lz4: %s at offset 0x%zx\n", why, offset);
    return -EINVAL;
}

/* Reads the 255-continued extension of a length field; false if it runs
 * off the block. Cannot overflow: each byte adds at most 255. */
static inline bool read_length(const uint8_t *src, size_t n, size_t *ip, size_t *len)
{
    uint8_t b;
    do {
        if (*ip >= n)
            return false;
        b = src[(*ip)++];
        *len += b;
    } while (b == 255);
    return true;
}

static inline void copy_match(uint8_t *out, size_t op, size_t cap, size_t off, size_t len)
{
    uint8_t *dst = out + op;
    const uint8_t *src = dst - off;

    if (off >= 8 && cap - op >= len + 8) {
        /* Each 8-byte chunk's source is already written since off >= 8;
         * may write up to 7 scratch bytes past the match. */
        for (size_t i = 0; i < len; i += 8)
            __builtin_memcpy(dst + i, src + i, 8);
    } else if (off == 1) {
        memset(dst, src[0], len);
    } else {
        for (size_t i = 0; i < len; i++)
            dst[i] = src[i];
    }
}

/* Decodes the LZ4 block z->in[z->pos..+n) to out[out_pos..limit). Matches
 * may reach back to out[window]. Output beyond limit is -ENOSPC when limit
 * is the buffer's end, else corruption (block larger than its maximum). */
static int decode_block(struct lz4 *z, size_t n, size_t limit, size_t window)
{
    const uint8_t *src = z->in + z->pos;
    uint8_t *out = z->out;
    size_t ip = 0, op = z->out_pos, cap = z->out_cap;

    for (;;) {
        if (ip >= n)
            return corrupt(z->pos + ip, "truncated block");
        unsigned token = src[ip++];
        size_t lit = token >> 4;
        if (lit == 15 && !read_length(src, n, &ip, &lit))
            return corrupt(z->pos + ip, "truncated literal length");
        if (lit > n - ip)
            return corrupt(z->pos + ip, "literals past end of block");
        if (lit > limit - op)
            goto too_big;
        if (lit <= 16 && n - ip >= 16 && cap - op >= 16)
            __builtin_memcpy(out + op, src + ip, 16);
        else
            memcpy(out + op, src + ip, lit);
        op += lit;
        ip += lit;
        if (ip == n)
            break;          /* the last sequence has literals only */
        if (n - ip < 2)
            return corrupt(z->pos + ip, "truncated match offset");
        size_t off = (size_t)src[ip] | (size_t)src[ip + 1] << 8;
        if (off == 0)
            return corrupt(z->pos + ip, "zero match offset");
        if (off > op - window)
            return corrupt(z->pos + ip, "match offset before start of window");
        ip += 2;
        size_t mlen = token & 15;
        if (mlen == 15 && !read_length(src, n, &ip, &mlen))
            return corrupt(z->pos + ip, "truncated match length");
        mlen += MIN_MATCH;
        if (mlen > limit - op)
            goto too_big;
        copy_match(out, op, cap, off, mlen);
        op += mlen;
    }
    z->out_pos = op;
    z->pos += n;
    return 0;

too_big:
    if (limit < cap)
        return corrupt(z->pos + ip, "block decodes past its maximum size");
    log_err("lz4: output exceeds the %zu-byte buffer at offset 0x%zx\n", cap, z->pos + ip);
    return -ENOSPC;
}

static bool is_frame_magic(uint32_t m)
{
    return m == LZ4_LEGACY_MAGIC || m == LZ4_FRAME_MAGIC || (m & LZ4_SKIP_MASK) == LZ4_SKIP_MAGIC;
}

/* ---- frames; each starts with z->pos just past its magic ---- */

static int legacy_frame(struct lz4 *z)
{
    for (;;) {
        size_t rem = z->in_len - z->pos;
        if (rem == 0)
            return 0;
        if (rem < 4)
            return corrupt(z->pos, "truncated block size");
        uint32_t csize = get_le32(z->in + z->pos);
        if (rem == 4 && csize == (uint32_t)z->out_pos) {
            z->pos += 4;    /* Linux's appended uncompressed size */
            return 0;
        }
        if (is_frame_magic(csize))
            return 0;
        z->pos += 4;
        if (csize == 0)
            return 0;
        if (csize > LEGACY_CBLOCK_MAX)
            return corrupt(z->pos - 4, "legacy block size too large");
        if (csize > rem - 4)
            return corrupt(z->pos - 4, "truncated block");
        size_t limit = z->out_pos + MIN(LEGACY_BLOCK_MAX, z->out_cap - z->out_pos);
        int rc = decode_block(z, csize, limit, z->out_pos);
        if (rc)
            return rc;
    }
}

/* Parses a frame descriptor (FLG, BD, content size, dictionary ID, header
 * checksum). Returns 0 with the block maximum and content size (or
 * UINT64_MAX if absent). */
static int frame_descriptor(struct lz4 *z, uint8_t *flg, size_t *block_max, uint64_t *content_size)
{
    const uint8_t *d = z->in + z->pos;
    size_t rem = z->in_len - z->pos;

    if (rem < 3)
        return corrupt(z->pos, "truncated frame descriptor");
    size_t dlen = 2 + ((d[0] & FLG_CONTENT_SIZE) ? 8 : 0) + ((d[0] & FLG_DICT_ID) ? 4 : 0);
    if (rem < dlen + 1)
        return corrupt(z->pos, "truncated frame descriptor");
    if (((xxh32(d, dlen) >> 8) & 0xff) != d[dlen])
        return corrupt(z->pos + dlen, "bad header checksum");
    *flg = d[0];
    unsigned bd = d[1], bsize_id = (bd >> BD_MAXSIZE_SHIFT) & 7;
    if ((d[0] & FLG_VERSION_MASK) != FLG_VERSION_1 || (d[0] & FLG_RESERVED) ||
        (bd & BD_RESERVED) || bsize_id < 4) {
        log_err("lz4: unsupported frame version or flags (FLG 0x%x BD 0x%x) at offset 0x%zx\n",
                d[0], bd, z->pos);
        return -EOPNOTSUPP;
    }
    if (d[0] & FLG_DICT_ID) {
        log_err("lz4: frame needs a dictionary (unsupported) at offset 0x%zx\n", z->pos);
        return -EOPNOTSUPP;
    }
    *block_max = (size_t)1 << (8 + 2 * bsize_id);     /* 4: 64 KiB ... 7: 4 MiB */
    *content_size = UINT64_MAX;
    if (d[0] & FLG_CONTENT_SIZE)
        memcpy(content_size, d + 2, 8);
    z->pos += dlen + 1;
    return 0;
}

static int frame_block(struct lz4 *z, uint8_t flg, size_t block_max, size_t frame_start,
                       uint32_t bsize)
{
    size_t n = bsize & ~BLOCK_UNCOMPRESSED;
    size_t start = z->pos - 4;
    size_t csum_len = (flg & FLG_BLOCK_CSUM) ? 4 : 0;

    if (n > block_max)
        return corrupt(start, "block size exceeds the frame's maximum");
    if (n + csum_len > z->in_len - z->pos)
        return corrupt(start, "truncated block");
    if (csum_len && xxh32(z->in + z->pos, n) != get_le32(z->in + z->pos + n))
        return corrupt(z->pos + n, "bad block checksum");
    if (bsize & BLOCK_UNCOMPRESSED) {
        if (n > z->out_cap - z->out_pos) {
            log_err("lz4: output exceeds the %zu-byte buffer at offset 0x%zx\n", z->out_cap, start);
            return -ENOSPC;
        }
        memcpy(z->out + z->out_pos, z->in + z->pos, n);
        z->out_pos += n;
        z->pos += n;
    } else {
        size_t limit = z->out_pos + MIN(block_max, z->out_cap - z->out_pos);
        size_t window = (flg & FLG_BLOCK_INDEP) ? z->out_pos : frame_start;
        int rc = decode_block(z, n, limit, window);
        if (rc)
            return rc;
    }
    z->pos += csum_len;
    return 0;
}

static int standard_frame(struct lz4 *z)
{
    size_t frame_start = z->out_pos, block_max;
    uint64_t content_size;
    uint8_t flg;
    int rc = frame_descriptor(z, &flg, &block_max, &content_size);

    if (rc)
        return rc;
    if (content_size != UINT64_MAX && content_size > z->out_cap - z->out_pos) {
        log_err("lz4: content size %llu exceeds the buffer at offset 0x%zx\n",
                (unsigned long long)content_size, z->pos);
        return -ENOSPC;
    }
    for (;;) {
        if (z->in_len - z->pos < 4)
            return corrupt(z->pos, "truncated block size");
        uint32_t bsize = get_le32(z->in + z->pos);
        z->pos += 4;
        if (bsize == 0)
            break;          /* EndMark */
        rc = frame_block(z, flg, block_max, frame_start, bsize);
        if (rc)
            return rc;
    }
    size_t produced = z->out_pos - frame_start;
    if (flg & FLG_CONTENT_CSUM) {
        if (z->in_len - z->pos < 4)
            return corrupt(z->pos, "truncated content checksum");
        if (xxh32(z->out + frame_start, produced) != get_le32(z->in + z->pos))
            return corrupt(z->pos, "bad content checksum");
        z->pos += 4;
    }
    if (content_size != UINT64_MAX && content_size != produced)
        return corrupt(z->pos, "content size mismatch");
    return 0;
}

static int skippable_frame(struct lz4 *z)
{
    if (z->in_len - z->pos < 4)
        return corrupt(z->pos, "truncated skippable frame");
    uint32_t size = get_le32(z->in + z->pos);
    if (size > z->in_len - z->pos - 4)
        return corrupt(z->pos, "truncated skippable frame");
    z->pos += 4 + (size_t)size;
    return 0;
}

int unlz4(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    struct lz4 z = { .in = in, .in_len = in_len, .out = out, .out_cap = out_cap };
    int rc = 0;

    *out_len = 0;
    if (in_len == 0)
        return corrupt(0, "empty input");
    while (!rc && z.pos < in_len) {
        if (in_len - z.pos < 4)
            return corrupt(z.pos, "truncated frame magic");
        uint32_t magic = get_le32(in + z.pos);
        z.pos += 4;
        if (magic == LZ4_LEGACY_MAGIC)
            rc = legacy_frame(&z);
        else if (magic == LZ4_FRAME_MAGIC)
            rc = standard_frame(&z);
        else if ((magic & LZ4_SKIP_MASK) == LZ4_SKIP_MAGIC)
            rc = skippable_frame(&z);
        else
            rc = corrupt(z.pos - 4, "bad frame magic");
    }
    if (!rc)
        *out_len = z.out_pos;
    return rc;
}
