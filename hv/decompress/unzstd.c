/* Zstandard decoder (RFC 8878): frames, skippable frames and blocks; the
 * literals section lives here, Huffman coding in zstd_huf.c, sequences in
 * zstd_seq.c, FSE tables in zstd_fse.c, the checksum in xxhash64.c.
 *
 * Single call: the output buffer is the window, so a match may reach back
 * to the start of its frame. Concatenated frames are decoded one after the
 * other. Frames needing a dictionary are refused (-EOPNOTSUPP). After the
 * last frame, exactly four bytes equal to the decoded size (mod 2^32) are
 * accepted: the trailer Linux appends to a bzImage payload. Bytes of out[]
 * past *out_len (up to out_cap) may be overwritten with scratch data. */
#include <keel/alloc.h>
#include <keel/decompress.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>
#include "zstd_internal.h"

#define ZSTD_MAGIC          0xFD2FB528u
#define SKIPPABLE_MAGIC     0x184D2A50u     /* low 4 bits free */
#define FHD_SINGLE_SEGMENT  0x20
#define FHD_RESERVED        0x08
#define FHD_CHECKSUM        0x04

enum block_type { BLOCK_RAW, BLOCK_RLE, BLOCK_COMPRESSED, BLOCK_RESERVED };
enum lit_type { LIT_RAW, LIT_RLE, LIT_COMPRESSED, LIT_TREELESS };

struct frame_header {
    uint64_t content_size;
    uint64_t window;
    bool has_content_size;
    bool checksum;
    size_t len;
};

struct out_buf {
    uint8_t *frame;     /* where the current frame's output starts */
    uint8_t *op;
    uint8_t *end;
};

int zstd_corrupt(const struct zstd_ws *ws, const uint8_t *at, const char *why)
{
    log_err("zstd: %s at offset 0x%zx\n", why, (size_t)(at - ws->in0));
    return -EINVAL;
}

int zstd_nospace(const struct zstd_ws *ws, const uint8_t *at)
{
    log_err("zstd: output buffer too small at offset 0x%zx\n", (size_t)(at - ws->in0));
    return -ENOSPC;
}

bool bwd_init(struct bwd_bits *b, const uint8_t *buf, size_t len)
{
    if (len == 0 || buf[len - 1] == 0)
        return false;
    b->buf = buf;
    b->len = len;
    b->pos = (int64_t)(len - 1) * 8 + zstd_highbit(buf[len - 1]);
    b->base = 0;
    b->val = 0;
    if (len < 8) {      /* the whole stream fits; later refills do nothing */
        for (size_t i = 0; i < len; i++)
            b->val |= (uint64_t)buf[i] << (8 * i);
    } else {
        b->base = (int64_t)(len - 8) * 8;
        b->val = zstd_le64(buf + len - 8);
    }
    return true;
}

static uint64_t read_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int parse_frame_header(struct zstd_ws *ws, const uint8_t *p, size_t avail,
                              struct frame_header *h)
{
    static const uint8_t did_size[4] = { 0, 1, 2, 4 };
    static const uint8_t fcs_size[4] = { 0, 2, 4, 8 };

    if (avail < 1)
        return zstd_corrupt(ws, p, "truncated frame header");
    uint8_t fhd = p[0];
    bool single = fhd & FHD_SINGLE_SEGMENT;
    unsigned dsize = did_size[fhd & 3];
    unsigned fsize = fcs_size[fhd >> 6] ? fcs_size[fhd >> 6] : single;
    h->len = 1 + !single + dsize + fsize;
    if (fhd & FHD_RESERVED)
        return zstd_corrupt(ws, p, "reserved frame header bit set");
    if (avail < h->len)
        return zstd_corrupt(ws, p, "truncated frame header");

    const uint8_t *q = p + 1;
    if (!single) {
        unsigned wlog = 10 + (*q >> 3);
        h->window = (1ull << wlog) + ((1ull << wlog) >> 3) * (*q & 7);
        q++;
    }
    uint64_t dict = read_le(q, dsize);
    if (dict != 0) {
        log_err("zstd: dictionary 0x%llx not supported at offset 0x%zx\n",
                (unsigned long long)dict, (size_t)(p - ws->in0));
        return -EOPNOTSUPP;
    }
    q += dsize;
    h->has_content_size = fsize != 0;
    h->content_size = read_le(q, fsize) + (fsize == 2 ? 256 : 0);
    h->checksum = fhd & FHD_CHECKSUM;
    if (single)
        h->window = h->content_size;
    return 0;
}

/* Literals_Section_Header and literals; returns the section size. */
static int literals_section(struct zstd_ws *ws, const uint8_t *src, size_t len,
                            size_t block_max, size_t *nlit)
{
    if (len < 1)
        return zstd_corrupt(ws, src, "truncated literals section");
    enum lit_type type = src[0] & 3;
    unsigned sf = (src[0] >> 2) & 3;
    size_t hdr, regen, csize = 0;
    bool four = sf != 0;

    if (type == LIT_RAW || type == LIT_RLE) {
        hdr = sf == 1 ? 2 : sf == 3 ? 3 : 1;
        if (len < hdr)
            return zstd_corrupt(ws, src, "truncated literals section header");
        regen = hdr == 1 ? src[0] >> 3 : (size_t)read_le(src, hdr) >> 4;
    } else {
        hdr = sf < 2 ? 3 : sf + 2;
        if (len < hdr)
            return zstd_corrupt(ws, src, "truncated literals section header");
        unsigned bits = sf < 2 ? 10 : sf == 2 ? 14 : 18;
        uint64_t v = read_le(src, hdr) >> 4;
        regen = (size_t)(v & ((1u << bits) - 1));
        csize = (size_t)(v >> bits);
    }
    if (regen > block_max)
        return zstd_corrupt(ws, src, "literals larger than a block");
    *nlit = regen;

    const uint8_t *data = src + hdr;
    size_t avail = len - hdr;
    int rc;
    switch (type) {
    case LIT_RAW:
        if (regen > avail)
            return zstd_corrupt(ws, src, "truncated raw literals");
        memcpy(ws->lit, data, regen);
        return (int)(hdr + regen);
    case LIT_RLE:
        if (avail < 1)
            return zstd_corrupt(ws, src, "truncated RLE literals");
        memset(ws->lit, data[0], regen);
        return (int)(hdr + 1);
    case LIT_COMPRESSED:
    case LIT_TREELESS:
        if (csize > avail)
            return zstd_corrupt(ws, src, "truncated compressed literals");
        size_t tree = 0;
        if (type == LIT_COMPRESSED) {
            rc = huf_read_tree(ws, data, csize);
            if (rc < 0)
                return rc;
            tree = (size_t)rc;
        }
        rc = huf_decode_literals(ws, data + tree, csize - tree, regen, four);
        return rc < 0 ? rc : (int)(hdr + csize);
    }
    return -EINVAL;     /* not reached: type has two bits */
}

static int compressed_block(struct zstd_ws *ws, const uint8_t *src, size_t len,
                            size_t block_max, struct out_buf *o)
{
    size_t nlit;
    uint8_t *start = o->op;
    int used = literals_section(ws, src, len, block_max, &nlit);
    if (used < 0)
        return used;
    int rc = zstd_sequences(ws, src + used, len - (size_t)used, nlit, o->frame, &o->op, o->end);
    if (rc < 0)
        return rc;
    if ((size_t)(o->op - start) > block_max)
        return zstd_corrupt(ws, src, "block decodes to more than its maximum size");
    return 0;
}

/* One block; *p advances past it. Returns 1 after the last block. */
static int decode_block(struct zstd_ws *ws, const uint8_t **p, const uint8_t *in_end,
                        size_t block_max, struct out_buf *o)
{
    const uint8_t *hdr = *p;
    if (in_end - hdr < 3)
        return zstd_corrupt(ws, hdr, "truncated block header");
    uint32_t bh = (uint32_t)read_le(hdr, 3);
    enum block_type type = (bh >> 1) & 3;
    size_t size = bh >> 3;
    size_t in_size = type == BLOCK_RLE ? 1 : size;
    const uint8_t *data = hdr + 3;
    int rc = 0;

    if (type == BLOCK_RESERVED)
        return zstd_corrupt(ws, hdr, "reserved block type");
    if (size > block_max)
        return zstd_corrupt(ws, hdr, "block larger than its maximum size");
    if ((size_t)(in_end - data) < in_size)
        return zstd_corrupt(ws, hdr, "truncated block");
    if (type != BLOCK_COMPRESSED && size > (size_t)(o->end - o->op))
        return zstd_nospace(ws, hdr);

    if (type == BLOCK_RAW)
        memcpy(o->op, data, size);
    else if (type == BLOCK_RLE)
        memset(o->op, data[0], size);
    else
        rc = compressed_block(ws, data, size, block_max, o);
    if (rc < 0)
        return rc;
    if (type != BLOCK_COMPRESSED)
        o->op += size;
    *p = data + in_size;
    return bh & 1;
}

static int decode_frame(struct zstd_ws *ws, const uint8_t **pp, const uint8_t *in_end,
                        struct out_buf *o)
{
    const uint8_t *magic = *pp, *p = *pp + 4;
    struct frame_header h;
    int rc = parse_frame_header(ws, p, (size_t)(in_end - p), &h);
    if (rc < 0)
        return rc;
    p += h.len;

    /* Each frame starts afresh: no tables to repeat, default offsets. */
    ws->huf_bits = 0;
    ws->ll_t.valid = ws->ml_t.valid = ws->of_t.valid = false;
    ws->rep[0] = 1;
    ws->rep[1] = 4;
    ws->rep[2] = 8;
    ws->window = h.window > SIZE_MAX ? SIZE_MAX : (size_t)h.window;
    size_t block_max = MIN(ws->window, (size_t)ZSTD_BLOCK_MAX);
    o->frame = o->op;

    do
        rc = decode_block(ws, &p, in_end, block_max, o);
    while (rc == 0);
    if (rc < 0)
        return rc;

    size_t produced = (size_t)(o->op - o->frame);
    if (h.has_content_size && produced != h.content_size)
        return zstd_corrupt(ws, magic, "frame content size mismatch");
    if (h.checksum) {
        if (in_end - p < 4)
            return zstd_corrupt(ws, p, "truncated content checksum");
        if ((uint32_t)xxh64(o->frame, produced, 0) != zstd_le32(p))
            return zstd_corrupt(ws, p, "content checksum mismatch");
        p += 4;
    }
    *pp = p;
    return 0;
}

static int skip_frame(struct zstd_ws *ws, const uint8_t **pp, const uint8_t *in_end)
{
    const uint8_t *p = *pp;
    if (in_end - p < 8 || zstd_le32(p + 4) > (size_t)(in_end - p) - 8)
        return zstd_corrupt(ws, p, "truncated skippable frame");
    *pp = p + 8 + zstd_le32(p + 4);
    return 0;
}

static int decode_stream(struct zstd_ws *ws, const uint8_t *in, size_t in_len,
                         struct out_buf *o, uint8_t *out)
{
    if (in_len == 0)
        return zstd_corrupt(ws, in, "empty input");
    const uint8_t *p = in, *in_end = in + in_len;
    unsigned frames = 0;
    while (p < in_end) {
        size_t avail = (size_t)(in_end - p);
        uint32_t magic = avail >= 4 ? zstd_le32(p) : 0;
        int rc;
        if (avail >= 4 && magic == ZSTD_MAGIC) {
            rc = decode_frame(ws, &p, in_end, o);
            frames++;
        } else if (avail >= 4 && (magic & ~0xFu) == SKIPPABLE_MAGIC) {
            rc = skip_frame(ws, &p, in_end);
            frames++;
        } else if (frames && avail == 4 && magic == (uint32_t)(o->op - out)) {
            break;  /* bzImage size trailer */
        } else {
            return zstd_corrupt(ws, p, "bad frame magic");
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    struct zstd_ws *ws = kzalloc(sizeof(*ws));
    if (!ws)
        return -ENOMEM;
    ws->in0 = in;

    struct out_buf o = { out, out, out ? out + out_cap : out };
    int rc = decode_stream(ws, in, in_len, &o, out);
    *out_len = rc < 0 ? 0 : (size_t)(o.op - out);
    kfree(ws);
    return rc;
}
