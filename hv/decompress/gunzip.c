/* gzip decoder: one RFC 1952 member holding an RFC 1951 DEFLATE stream.
 *
 * Huffman codes are decoded through lookup tables: the next ROOT bits of
 * input index a first-level table whose entry gives the symbol and code
 * length directly, or points to a second-level table indexed by the bits
 * after the first ROOT for codes longer than ROOT. Each entry also carries
 * what the symbol means (literal byte, length/distance base plus number of
 * extra bits, end of block), so the hot loop needs no further lookups.
 *
 * Only the first member of a multi-member file is decoded; bytes after its
 * trailer are ignored (a bzImage payload is a single member). The output
 * buffer is the 32 KiB window. Bytes of out[] past *out_len (up to out_cap)
 * may be overwritten with scratch data by the match copy. */
#include <keel/alloc.h>
#include <keel/decompress.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define ROOT_LITLEN     10
#define ROOT_DIST       8
#define ROOT_CODELEN    7
#define MAX_CODE_BITS   15
#define NUM_LITLEN      288     /* symbols with a fixed-code length */
#define NUM_DIST        32
#define NUM_CODELEN     19
#define MAX_WINDOW      32768u

/* Each symbol whose code is longer than ROOT owns at most one subtable of at
 * most 2^(15 - ROOT) entries, so these bounds always hold. */
#define LITLEN_TABLE_SIZE ((1u << ROOT_LITLEN) + NUM_LITLEN * (1u << (MAX_CODE_BITS - ROOT_LITLEN)))
#define DIST_TABLE_SIZE   ((1u << ROOT_DIST) + NUM_DIST * (1u << (MAX_CODE_BITS - ROOT_DIST)))

/* Table entry: bits 0-3 code length, 4-7 extra bits (or subtable index
 * bits for a link), 8-10 kind, 16-31 value (literal, base, subtable start). */
enum entry_kind { K_LIT, K_COPY, K_END, K_LINK, K_BAD };
#define ENTRY(kind, extra, val) (((uint32_t)(val) << 16) | ((uint32_t)(kind) << 8) | ((uint32_t)(extra) << 4))
#define E_LEN(e)   ((e) & 0xfu)
#define E_EXTRA(e) (((e) >> 4) & 0xfu)
#define E_KIND(e)  (((e) >> 8) & 0x7u)
#define E_VAL(e)   ((e) >> 16)

#define GZ_FTEXT    0x01
#define GZ_FHCRC    0x02
#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10
#define GZ_FRESERVED 0xe0

struct inflate_ws {
    uint32_t litlen[LITLEN_TABLE_SIZE];
    uint32_t dist[DIST_TABLE_SIZE];
    uint32_t codelen[1u << ROOT_CODELEN];
    uint32_t litlen_sym[NUM_LITLEN];   /* symbol -> entry without length */
    uint32_t dist_sym[NUM_DIST];
    uint32_t codelen_sym[NUM_CODELEN];
    uint8_t lens[NUM_LITLEN + NUM_DIST];
    uint8_t sub_bits[1u << ROOT_LITLEN];
    uint32_t crc[8][256];               /* slice-by-8 CRC-32 tables */
    bool fixed_loaded;                  /* litlen/dist hold the fixed code */
};

struct inflate {
    const uint8_t *in;
    size_t in_len;
    size_t in_pos;      /* bytes loaded into bits; may pass in_len by up to 8 (zeros) */
    uint64_t bits;      /* loaded, unconsumed input, LSB first */
    unsigned nbits;
    uint8_t *out;
    size_t out_cap;
    size_t out_pos;
    struct inflate_ws *ws;
};

static const uint16_t length_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t length_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t codelen_order[NUM_CODELEN] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

/* ---- CRC-32 (ISO 3309 / RFC 1952: reflected polynomial 0xEDB88320) ---- */

static void crc32_init(uint32_t t[8][256])
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++)
            t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xff];
}

static uint32_t crc32_calc(const uint32_t t[8][256], const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    while (n--)
        c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- errors and bit input ---- */

static size_t consumed_bytes(const struct inflate *s)
{
    size_t pos = s->in_pos - s->nbits / 8;
    return pos < s->in_len ? pos : s->in_len;
}

static int corrupt(const struct inflate *s, const char *why)
{
    log_err("gzip: %s at offset 0x%zx\n", why, consumed_bytes(s));
    return -EINVAL;
}

/* Out of output space; but if the symbol that did not fit was decoded
 * from the zero bytes loaded past the end, the input was truncated. */
static int no_space(const struct inflate *s)
{
    if (s->in_pos > s->in_len && (s->in_pos - s->in_len) * 8 > s->nbits)
        return corrupt(s, "truncated input");
    return -ENOSPC;
}

/* Tops the bit buffer up to 56..63 bits. Past the end of input it
 * loads zero bytes; once a whole 8 of them would be needed some input that
 * does not exist has been consumed: returns false (truncated). */
static inline bool refill(struct inflate *s)
{
    if (likely(s->in_pos + 8 <= s->in_len)) {
        uint64_t w;
        __builtin_memcpy(&w, s->in + s->in_pos, 8);   /* x86-64: little-endian */
        s->bits |= w << s->nbits;
        s->in_pos += (63 - s->nbits) >> 3;
        s->nbits |= 56;
        return true;
    }
    while (s->nbits < 56) {
        if (s->in_pos >= s->in_len + 8)
            return false;
        uint64_t b = s->in_pos < s->in_len ? s->in[s->in_pos] : 0;
        s->bits |= b << s->nbits;
        s->in_pos++;
        s->nbits += 8;
    }
    return true;
}

static inline uint32_t take(struct inflate *s, unsigned n)
{
    uint32_t v = (uint32_t)(s->bits & ((1ull << n) - 1));
    s->bits >>= n;
    s->nbits -= n;
    return v;
}

/* Drops the bits up to the next byte boundary and hands the bytes still in
 * the bit buffer back to the input, so byte-wise reads can follow.
 * Returns false if that position is past the end of input. */
static bool align_to_byte(struct inflate *s)
{
    take(s, s->nbits & 7);
    s->in_pos -= s->nbits / 8;
    s->bits = 0;
    s->nbits = 0;
    return s->in_pos <= s->in_len;
}

/* ---- Huffman tables ---- */

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

/* Fills next[] with the first canonical code of each length (RFC 1951
 * 3.2.2). Returns false if the lengths over-subscribe the code space; an
 * incomplete code is accepted, its unused entries decode as K_BAD. */
static bool canonical_start(const uint8_t *lens, unsigned n, unsigned next[MAX_CODE_BITS + 1])
{
    unsigned count[MAX_CODE_BITS + 1] = { 0 };
    int left = 1;

    for (unsigned s = 0; s < n; s++)
        count[lens[s]]++;
    count[0] = 0;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) {
        left = left * 2 - (int)count[len];
        if (left < 0)
            return false;
    }
    unsigned code = 0;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    return true;
}

/* Builds a decoding table for the code with lengths lens[0..n). sym[] gives
 * each symbol's entry without its length; sub_bits[] is scratch of 2^root.
 * Returns false if the code is over-subscribed. */
static bool build_table(uint32_t *table, size_t cap, unsigned root, const uint8_t *lens,
                        unsigned n, const uint32_t *sym, uint8_t *sub_bits)
{
    unsigned next[MAX_CODE_BITS + 1], scan[MAX_CODE_BITS + 1];
    unsigned root_size = 1u << root;

    if (!canonical_start(lens, n, next))
        return false;
    memcpy(scan, next, sizeof(scan));
    for (unsigned i = 0; i < root_size; i++) {
        table[i] = ENTRY(K_BAD, 0, 0);
        sub_bits[i] = 0;
    }
    /* Pass 1: the longest code under each root prefix sizes its subtable. */
    for (unsigned s = 0; s < n; s++) {
        unsigned len = lens[s];
        if (len <= root)
            continue;
        unsigned rev = reverse_bits(scan[len]++, len) & (root_size - 1);
        if (sub_bits[rev] < len - root)
            sub_bits[rev] = (uint8_t)(len - root);
    }
    size_t used = root_size;
    for (unsigned i = 0; i < root_size; i++) {
        if (!sub_bits[i])
            continue;
        size_t size = (size_t)1 << sub_bits[i];
        if (size > cap - used)
            return false;   /* cannot happen with the bounds above */
        table[i] = ENTRY(K_LINK, sub_bits[i], used);
        for (size_t j = 0; j < size; j++)
            table[used + j] = ENTRY(K_BAD, 0, 0);
        used += size;
    }
    /* Pass 2: every code fills all entries whose low bits equal it. */
    for (unsigned s = 0; s < n; s++) {
        unsigned len = lens[s];
        if (!len)
            continue;
        unsigned rev = reverse_bits(next[len]++, len);
        uint32_t e = sym[s] | len;
        if (len <= root) {
            for (unsigned i = rev; i < root_size; i += 1u << len)
                table[i] = e;
            continue;
        }
        uint32_t link = table[rev & (root_size - 1)];
        uint32_t *sub = table + E_VAL(link);
        for (unsigned i = rev >> root; i < (1u << E_EXTRA(link)); i += 1u << (len - root))
            sub[i] = e;
    }
    return true;
}

static void init_symbols(struct inflate_ws *ws)
{
    for (unsigned s = 0; s < 256; s++)
        ws->litlen_sym[s] = ENTRY(K_LIT, 0, s);
    ws->litlen_sym[256] = ENTRY(K_END, 0, 0);
    for (unsigned s = 257; s < 286; s++)
        ws->litlen_sym[s] = ENTRY(K_COPY, length_extra[s - 257], length_base[s - 257]);
    ws->litlen_sym[286] = ws->litlen_sym[287] = ENTRY(K_BAD, 0, 0);
    for (unsigned s = 0; s < 30; s++)
        ws->dist_sym[s] = ENTRY(K_COPY, s < 4 ? 0 : s / 2 - 1, dist_base[s]);
    ws->dist_sym[30] = ws->dist_sym[31] = ENTRY(K_BAD, 0, 0);
    for (unsigned s = 0; s < NUM_CODELEN; s++)
        ws->codelen_sym[s] = ENTRY(K_LIT, 0, s);
}

static bool build_litlen_dist(struct inflate_ws *ws, unsigned nlit, unsigned ndist)
{
    return build_table(ws->litlen, LITLEN_TABLE_SIZE, ROOT_LITLEN, ws->lens, nlit,
                       ws->litlen_sym, ws->sub_bits) &&
           build_table(ws->dist, DIST_TABLE_SIZE, ROOT_DIST, ws->lens + nlit, ndist,
                       ws->dist_sym, ws->sub_bits);
}

/* The fixed code of RFC 1951 3.2.6. */
static void load_fixed_tables(struct inflate_ws *ws)
{
    unsigned s = 0;

    if (ws->fixed_loaded)
        return;
    for (; s < 144; s++) ws->lens[s] = 8;
    for (; s < 256; s++) ws->lens[s] = 9;
    for (; s < 280; s++) ws->lens[s] = 7;
    for (; s < 288; s++) ws->lens[s] = 8;
    for (; s < 288 + 32; s++) ws->lens[s] = 5;
    (void)build_litlen_dist(ws, NUM_LITLEN, NUM_DIST);   /* complete codes: cannot fail */
    ws->fixed_loaded = true;
}

static inline uint32_t lookup(const uint32_t *table, unsigned root, uint64_t bits)
{
    uint32_t e = table[bits & ((1u << root) - 1)];
    if (E_KIND(e) == K_LINK)
        e = table[E_VAL(e) + ((bits >> root) & ((1u << E_EXTRA(e)) - 1))];
    return e;
}

/* Reads the code lengths of a dynamic block (RFC 1951 3.2.7) into ws->lens. */
static int read_code_lengths(struct inflate *s, unsigned total)
{
    struct inflate_ws *ws = s->ws;
    unsigned nclen = 0, i = 0;
    uint8_t clens[NUM_CODELEN] = { 0 };

    if (!refill(s))
        return corrupt(s, "truncated input");
    nclen = take(s, 4) + 4;
    for (unsigned k = 0; k < nclen; k++) {
        if (!refill(s))
            return corrupt(s, "truncated input");
        clens[codelen_order[k]] = (uint8_t)take(s, 3);
    }
    if (!build_table(ws->codelen, ARRAY_SIZE(ws->codelen), ROOT_CODELEN, clens, NUM_CODELEN,
                     ws->codelen_sym, ws->sub_bits))
        return corrupt(s, "over-subscribed code length code");
    while (i < total) {
        if (!refill(s))
            return corrupt(s, "truncated input");
        uint32_t e = lookup(ws->codelen, ROOT_CODELEN, s->bits);
        if (E_KIND(e) != K_LIT)
            return corrupt(s, "invalid code length code");
        take(s, E_LEN(e));
        unsigned sym = E_VAL(e), rep;
        uint8_t val = 0;
        if (sym < 16) {
            ws->lens[i++] = (uint8_t)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0)
                return corrupt(s, "length repeat with no previous length");
            val = ws->lens[i - 1];
            rep = 3 + take(s, 2);
        } else if (sym == 17) {
            rep = 3 + take(s, 3);
        } else {
            rep = 11 + take(s, 7);
        }
        if (rep > total - i)
            return corrupt(s, "code length repeat past the end");
        while (rep--)
            ws->lens[i++] = val;
    }
    return 0;
}

static int read_dynamic_tables(struct inflate *s)
{
    struct inflate_ws *ws = s->ws;

    if (!refill(s))
        return corrupt(s, "truncated input");
    unsigned nlit = take(s, 5) + 257;
    unsigned ndist = take(s, 5) + 1;
    if (nlit > 286)
        return corrupt(s, "too many literal/length codes");
    int rc = read_code_lengths(s, nlit + ndist);
    if (rc)
        return rc;
    if (!ws->lens[256])
        return corrupt(s, "no end-of-block code");
    ws->fixed_loaded = false;
    if (!build_litlen_dist(ws, nlit, ndist))
        return corrupt(s, "over-subscribed literal/length or distance code");
    return 0;
}

/* Copies a match of len bytes from dist back. The caller checked dist and
 * that len fits. */
static inline void copy_match(uint8_t *out, size_t pos, size_t cap, size_t dist, size_t len)
{
    uint8_t *dst = out + pos;
    const uint8_t *src = dst - dist;

    if (dist >= 8 && cap - pos >= len + 8) {
        /* 8 bytes at a time; each chunk's source is already written since
         * dist >= 8; may write up to 7 scratch bytes past the match. */
        for (size_t i = 0; i < len; i += 8)
            __builtin_memcpy(dst + i, src + i, 8);
    } else if (dist == 1) {
        memset(dst, src[0], len);
    } else {
        for (size_t i = 0; i < len; i++)
            dst[i] = src[i];
    }
}

/* Decodes the symbols of one Huffman-coded block up to end-of-block. One
 * refill provides 56 bits: enough for a length code with its extra bits
 * plus a distance code with its extra bits (15 + 5 + 15 + 13). */
static int inflate_block(struct inflate *s)
{
    const uint32_t *lt = s->ws->litlen, *dt = s->ws->dist;
    uint8_t *out = s->out;
    size_t pos = s->out_pos, cap = s->out_cap;
    int rc = 0;

    for (;;) {
        if (unlikely(!refill(s))) {
            rc = corrupt(s, "truncated input");
            break;
        }
        uint32_t e = lookup(lt, ROOT_LITLEN, s->bits);
        unsigned kind = E_KIND(e);
        if (likely(kind == K_LIT)) {
            take(s, E_LEN(e));
            if (unlikely(pos >= cap)) {
                rc = no_space(s);
                break;
            }
            out[pos++] = (uint8_t)E_VAL(e);
            continue;
        }
        if (kind == K_END) {
            take(s, E_LEN(e));
            break;
        }
        if (kind != K_COPY) {
            rc = corrupt(s, "invalid literal/length code");
            break;
        }
        take(s, E_LEN(e));
        size_t len = E_VAL(e) + take(s, E_EXTRA(e));
        e = lookup(dt, ROOT_DIST, s->bits);
        if (unlikely(E_KIND(e) != K_COPY)) {
            rc = corrupt(s, "invalid distance code");
            break;
        }
        take(s, E_LEN(e));
        size_t dist = E_VAL(e) + take(s, E_EXTRA(e));
        if (unlikely(dist > pos)) {
            rc = corrupt(s, "distance before start of output");
            break;
        }
        if (unlikely(len > cap - pos)) {
            rc = no_space(s);
            break;
        }
        copy_match(out, pos, cap, dist, len);
        pos += len;
    }
    s->out_pos = pos;
    return rc;
}

static int inflate_stored(struct inflate *s)
{
    if (!align_to_byte(s) || s->in_len - s->in_pos < 4)
        return corrupt(s, "truncated input");
    const uint8_t *p = s->in + s->in_pos;
    size_t len = (size_t)p[0] | (size_t)p[1] << 8;
    size_t nlen = (size_t)p[2] | (size_t)p[3] << 8;
    if (len != (~nlen & 0xffff))
        return corrupt(s, "stored block length check failed");
    s->in_pos += 4;
    if (len > s->in_len - s->in_pos)
        return corrupt(s, "truncated input");
    if (len > s->out_cap - s->out_pos)
        return -ENOSPC;
    memcpy(s->out + s->out_pos, s->in + s->in_pos, len);
    s->in_pos += len;
    s->out_pos += len;
    return 0;
}

/* Decodes the DEFLATE blocks; on success s->in_pos is the byte after the
 * last block. */
static int inflate_blocks(struct inflate *s)
{
    bool final = false;
    int rc = 0;

    while (!final && !rc) {
        if (!refill(s))
            return corrupt(s, "truncated input");
        final = take(s, 1);
        switch (take(s, 2)) {
        case 0:
            rc = inflate_stored(s);
            break;
        case 1:
            load_fixed_tables(s->ws);
            rc = inflate_block(s);
            break;
        case 2:
            rc = read_dynamic_tables(s);
            if (!rc)
                rc = inflate_block(s);
            break;
        default:
            rc = corrupt(s, "reserved block type");
            break;
        }
    }
    if (!rc && !align_to_byte(s))
        rc = corrupt(s, "truncated input");
    return rc;
}

/* Skips a zero-terminated header field; false if it runs off the input. */
static bool skip_string(const uint8_t *in, size_t len, size_t *pos)
{
    while (*pos < len)
        if (in[(*pos)++] == 0)
            return true;
    return false;
}

/* Parses the member header (RFC 1952 2.3); *pos gets the offset of the
 * compressed data. */
static int parse_header(const uint8_t *in, size_t len, const uint32_t crc[8][256], size_t *pos)
{
    size_t p = 10;

    if (len < 10) {
        log_err("gzip: truncated header at offset 0x%zx\n", len);
        return -EINVAL;
    }
    if (in[0] != 0x1f || in[1] != 0x8b) {
        log_err("gzip: bad magic at offset 0x0\n");
        return -EINVAL;
    }
    if (in[2] != 8) {
        log_err("gzip: unsupported compression method %u at offset 0x2\n", in[2]);
        return -EOPNOTSUPP;
    }
    uint8_t flg = in[3];
    if (flg & GZ_FRESERVED) {
        log_err("gzip: reserved header flags 0x%x set at offset 0x3\n", flg);
        return -EINVAL;
    }
    if (flg & GZ_FEXTRA) {
        if (len - p < 2 || len - p - 2 < ((size_t)in[p] | (size_t)in[p + 1] << 8)) {
            log_err("gzip: truncated extra field at offset 0x%zx\n", p);
            return -EINVAL;
        }
        p += 2 + ((size_t)in[p] | (size_t)in[p + 1] << 8);
    }
    if (((flg & GZ_FNAME) && !skip_string(in, len, &p)) ||
        ((flg & GZ_FCOMMENT) && !skip_string(in, len, &p))) {
        log_err("gzip: unterminated header string at offset 0x%zx\n", p);
        return -EINVAL;
    }
    if (flg & GZ_FHCRC) {
        if (len - p < 2) {
            log_err("gzip: truncated header CRC16 at offset 0x%zx\n", p);
            return -EINVAL;
        }
        if ((crc32_calc(crc, in, p) & 0xffff) != ((uint32_t)in[p] | (uint32_t)in[p + 1] << 8)) {
            log_err("gzip: bad header CRC16 at offset 0x%zx\n", p);
            return -EINVAL;
        }
        p += 2;
    }
    *pos = p;
    return 0;
}

static int check_trailer(struct inflate *s)
{
    size_t p = s->in_pos;

    if (s->in_len - p < 8) {
        log_err("gzip: truncated trailer at offset 0x%zx\n", p);
        return -EINVAL;
    }
    if (get_le32(s->in + p) != crc32_calc(s->ws->crc, s->out, s->out_pos)) {
        log_err("gzip: bad CRC32 at offset 0x%zx\n", p);
        return -EINVAL;
    }
    if (get_le32(s->in + p + 4) != (uint32_t)s->out_pos) {
        log_err("gzip: bad ISIZE at offset 0x%zx\n", p + 4);
        return -EINVAL;
    }
    return 0;
}

int gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    struct inflate s = { .in = in, .in_len = in_len, .out = out, .out_cap = out_cap };
    int rc;

    *out_len = 0;
    s.ws = kmalloc(sizeof(*s.ws));
    if (!s.ws)
        return -ENOMEM;
    s.ws->fixed_loaded = false;
    crc32_init(s.ws->crc);
    init_symbols(s.ws);
    rc = parse_header(in, in_len, s.ws->crc, &s.in_pos);
    if (!rc)
        rc = inflate_blocks(&s);
    if (!rc)
        rc = check_trailer(&s);
    if (rc == -ENOSPC)
        log_err("gzip: output exceeds the %zu-byte buffer at offset 0x%zx\n", out_cap,
                consumed_bytes(&s));
    if (!rc)
        *out_len = s.out_pos;
    kfree(s.ws);
    return rc;
}
