/* Unit tests for hv/decompress/gunzip.c. Oracles: GNU gzip (streams made
 * at run time from Debian's cloud vmlinux and synthetic data, and `gzip -dc`
 * on hand-made streams), plus committed fixtures made by gzip
 * (tests/unit/fixtures/gunzip/make-fixtures.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <keel/decompress.h>
#include "host_kernels.h"
#include "host_log.h"

#define FIXTURES "tests/unit/fixtures/gunzip/"

static char tmpdir[] = "/tmp/keel-gunzip-XXXXXX";

/* ---- helpers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Writes in[] to a temp file, runs cmd ("%1$s" input, "%2$s" output path)
 * and returns the output file. */
static uint8_t *run_tool(const char *cmd_fmt, const void *in, size_t n, size_t *out_n)
{
    char ipath[64], opath[64], cmd[512];
    snprintf(ipath, sizeof(ipath), "%s/in", tmpdir);
    snprintf(opath, sizeof(opath), "%s/out", tmpdir);
    write_file(ipath, in, n);
    snprintf(cmd, sizeof(cmd), cmd_fmt, ipath, opath);
    assert_int_equal(system(cmd), 0);
    uint8_t *out = host_file_load(opath, out_n);
    if (!out) {             /* empty output file */
        *out_n = 0;
        out = malloc(1);
    }
    return out;
}

/* The decompressed cloud vmlinux, made by `lz4 -d` from the bzImage payload
 * (without the 4-byte size Linux appends, which lz4 would reject). */
static uint8_t *cloud_vmlinux(size_t *n)
{
    size_t klen;
    uint8_t *k = host_kernel_load("cloud", &klen);
    assert_non_null(k);
    assert_true(klen > 0x250);
    uint32_t poff, plen;
    memcpy(&poff, k + 0x248, 4);
    memcpy(&plen, k + 0x24c, 4);
    size_t start = ((size_t)k[0x1f1] + 1) * 512 + poff;
    assert_true(start + plen <= klen && plen > 4);
    uint8_t *v = run_tool("lz4 -d -q -c %1$s > %2$s", k + start, plen - 4, n);
    free(k);
    return v;
}

static unsigned log_lines(void)
{
    unsigned n = 0;
    for (const char *p = host_log_text(); *p; p++)
        n += *p == '\n';
    return n;
}

static void expect_decodes(const uint8_t *in, size_t n, const uint8_t *want, size_t want_n)
{
    uint8_t *out = malloc(want_n ? want_n : 1);     /* exact size: ASan sees any overrun */
    size_t len = 12345;
    host_log_clear();
    assert_int_equal(gunzip(in, n, out, want_n, &len), 0);
    assert_int_equal(len, want_n);
    assert_memory_equal(out, want, want_n);
    assert_int_equal(log_lines(), 0);
    free(out);
}

/* Corrupt input: -EINVAL (or the given rc) and exactly one "gzip:" line. */
static void expect_error(const uint8_t *in, size_t n, size_t cap, int want_rc, const char *why)
{
    uint8_t *out = malloc(cap ? cap : 1);
    size_t len = 12345;
    host_log_clear();
    assert_int_equal(gunzip(in, n, out, cap, &len), want_rc);
    assert_int_equal(len, 0);
    assert_int_equal(log_lines(), 1);
    assert_true(host_log_contains("gzip: "));
    if (why && !host_log_contains(why))
        fail_msg("log \"%s\" lacks \"%s\"", host_log_text(), why);
    free(out);
}

/* Any outcome but a crash is allowed; success must mean the right output. */
static void expect_safe(const uint8_t *in, size_t n, const uint8_t *want, size_t want_n)
{
    uint8_t *out = malloc(want_n + 64);
    size_t len;
    host_log_clear();
    int rc = gunzip(in, n, out, want_n + 64, &len);
    if (rc == 0) {
        assert_int_equal(len, want_n);
        assert_memory_equal(out, want, want_n);
    } else {
        assert_true(rc == -EINVAL || rc == -ENOSPC || rc == -EOPNOTSUPP);
        assert_int_equal(log_lines(), 1);
    }
    free(out);
}

static uint8_t *make_text(size_t n)
{
    static const char *words[] = { "page ", "table ", "guest ", "frame ", "hypercall ", "event ",
                                   "channel ", "grant ", "the ", "of ", "vcpu\n", "domain ", "0x" };
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n;) {
        const char *w = words[rnd() % ARRAY_SIZE(words)];
        for (; *w && i < n; w++)
            p[i++] = (uint8_t)*w;
    }
    return p;
}

static uint8_t *make_random(size_t n)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

/* BTYPE of the first block of a gzip stream without optional header fields. */
static unsigned first_btype(const uint8_t *gz)
{
    return (gz[10] >> 1) & 3;
}

/* ---- hand-made streams ---- */

struct bitw {
    uint8_t buf[1024];
    size_t len;
    unsigned nbits;
};

static void put_bits(struct bitw *w, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (w->nbits == 0)
            w->buf[w->len++] = 0;
        w->buf[w->len - 1] |= (uint8_t)(((v >> i) & 1) << w->nbits);
        w->nbits = (w->nbits + 1) & 7;
    }
}

/* Huffman codes go most significant bit first (RFC 1951 3.1.1). */
static void put_code(struct bitw *w, uint32_t code, unsigned len)
{
    for (unsigned i = len; i-- > 0;)
        put_bits(w, (code >> i) & 1, 1);
}

static void put_fixed_litlen(struct bitw *w, unsigned sym)
{
    if (sym < 144)
        put_code(w, 0x30 + sym, 8);
    else if (sym < 256)
        put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        put_code(w, sym - 256, 7);
    else
        put_code(w, 0xc0 + sym - 280, 8);
}

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Wraps raw DEFLATE data in a minimal member whose trailer matches want[]. */
static size_t wrap_member(uint8_t *dst, const uint8_t *deflate, size_t n, const uint8_t *want,
                          size_t want_n)
{
    static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    memcpy(dst, hdr, 10);
    memcpy(dst + 10, deflate, n);
    put_le32(dst + 10 + n, crc32_ref(want, want_n));
    put_le32(dst + 14 + n, (uint32_t)want_n);
    return n + 18;
}

/* A dynamic block header whose code length code gives symbols 0-15 four
 * bits each (code = symbol), so lens[] is written verbatim. */
static void put_dynamic_header(struct bitw *w, bool final, unsigned nlit, unsigned ndist,
                               const uint8_t *lens)
{
    static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
    put_bits(w, final, 1);
    put_bits(w, 2, 2);
    put_bits(w, nlit - 257, 5);
    put_bits(w, ndist - 1, 5);
    put_bits(w, 19 - 4, 4);
    for (int i = 0; i < 19; i++)
        put_bits(w, order[i] < 16 ? 4 : 0, 3);
    for (unsigned i = 0; i < nlit + ndist; i++)
        put_code(w, lens[i], 4);
}

/* ---- tests ---- */

static void kernel_gzip9_matches_gzip(void **state)
{
    size_t vlen, glen;
    (void)state;
    uint8_t *v = cloud_vmlinux(&vlen);
    assert_true(vlen > (16u << 20));
    uint8_t *gz = run_tool("gzip -9 -n -c %1$s > %2$s", v, vlen, &glen);
    expect_decodes(gz, glen, v, vlen);

    /* Truncation at a few dozen points (decoding all of it each time under
     * the sanitizers would be slow), output one byte short, bit flips. */
    uint8_t *out = malloc(vlen);
    size_t len;
    for (int i = 1; i <= 24; i++) {
        size_t cut = glen / 25 * (size_t)i + (rnd() % 512);
        host_log_clear();
        assert_int_equal(gunzip(gz, cut, out, vlen, &len), -EINVAL);
        assert_int_equal(log_lines(), 1);
    }
    host_log_clear();
    assert_int_equal(gunzip(gz, glen, out, vlen - 1, &len), -ENOSPC);
    assert_int_equal(log_lines(), 1);
    for (int i = 0; i < 6; i++) {
        size_t at = 10 + rnd() % (glen - 10);
        uint8_t bit = (uint8_t)(1u << (rnd() % 8));
        gz[at] ^= bit;
        expect_safe(gz, glen, v, vlen);
        gz[at] ^= bit;
    }
    free(out);
    free(gz);
    free(v);
}

static void tool_streams_of_all_block_types(void **state)
{
    (void)state;
    static const struct {
        const char *cmd;
        int kind;           /* 0 random, 1 text, 2 short text */
        size_t size;
        unsigned btype;
    } cases[] = {
        { "gzip -1 -n -c %1$s > %2$s", 0, 200000, 0 },      /* stored */
        { "gzip -9 -n -c %1$s > %2$s", 2, 40, 1 },          /* fixed */
        { "gzip -9 -n -c %1$s > %2$s", 1, 300000, 2 },      /* dynamic */
        { "gzip -1 -n -c %1$s > %2$s", 1, 300000, 2 },
        { "gzip -6 -n -c %1$s > %2$s", 1, 0, 1 },           /* empty */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = cases[i].size, glen;
        uint8_t *data = cases[i].kind == 0 ? make_random(n) : make_text(n ? n : 1);
        uint8_t *gz = run_tool(cases[i].cmd, data, n, &glen);
        assert_int_equal(first_btype(gz), cases[i].btype);
        expect_decodes(gz, glen, data, n);
        free(gz);
        free(data);
    }
    /* Mixed content: zero runs, repeats and noise across many blocks. */
    size_t n = 1 << 20, glen;
    uint8_t *data = calloc(1, n);
    for (size_t i = 0; i < n; i += 1 + rnd() % 5000) {
        size_t run = rnd() % 3000;
        int kind = rnd() % 3;
        for (size_t j = i; j < n && j < i + run; j++)
            data[j] = kind == 0 ? (uint8_t)rnd() : kind == 1 ? (uint8_t)(j % 7) : data[j - (j >= 300 ? 300 : 0)];
    }
    uint8_t *gz = run_tool("gzip -9 -n -c %1$s > %2$s", data, n, &glen);
    expect_decodes(gz, glen, data, n);
    free(gz);
    free(data);
}

static void committed_fixtures(void **state)
{
    static const char *names[] = { "stored", "fixed", "dynamic", "fname", "header-all", "empty" };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char gp[128], op[128];
        size_t glen, olen = 0;
        snprintf(gp, sizeof(gp), FIXTURES "%s.gz", names[i]);
        snprintf(op, sizeof(op), FIXTURES "%s.out", names[i]);
        uint8_t *gz = host_file_load(gp, &glen);
        uint8_t *want = host_file_load(op, &olen);
        assert_non_null(gz);
        expect_decodes(gz, glen, want ? want : (const uint8_t *)"", olen);
        free(gz);
        free(want);
    }
}

/* FEXTRA + FNAME + FCOMMENT + FHCRC header, accepted by gzip as well. */
static void optional_header_fields(void **state)
{
    (void)state;
    size_t n = 5000, glen, olen;
    uint8_t *data = make_text(n);
    uint8_t *gz = run_tool("gzip -9 -n -c %1$s > %2$s", data, n, &glen);
    static const uint8_t extra[] = { 6, 0, 'K', 'l', 2, 0, 0xaa, 0xbb };
    static const char name[] = "vmlinux", comment[] = "a comment";
    uint8_t *m = malloc(glen + 64);
    size_t p = 10;
    memcpy(m, gz, 10);
    m[3] = 0x02 | 0x04 | 0x08 | 0x10 | 0x01;
    memcpy(m + p, extra, sizeof(extra)), p += sizeof(extra);
    memcpy(m + p, name, sizeof(name)), p += sizeof(name);
    memcpy(m + p, comment, sizeof(comment)), p += sizeof(comment);
    uint32_t hcrc = crc32_ref(m, p);
    m[p++] = (uint8_t)hcrc;
    m[p++] = (uint8_t)(hcrc >> 8);
    size_t hdr_end = p;
    memcpy(m + p, gz + 10, glen - 10), p += glen - 10;

    uint8_t *oracle = run_tool("gzip -dc < %1$s > %2$s", m, p, &olen);
    assert_int_equal(olen, n);
    assert_memory_equal(oracle, data, n);
    expect_decodes(m, p, data, n);

    m[hdr_end - 1] ^= 1;
    expect_error(m, p, n, -EINVAL, "header CRC16");
    m[hdr_end - 1] ^= 1;
    for (size_t cut = 0; cut < hdr_end + 3; cut++)
        expect_error(m, cut, n, -EINVAL, NULL);
    /* FEXTRA length running past the end; unterminated name. */
    uint8_t h[16] = { 0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 1, 2 };
    expect_error(h, 14, 16, -EINVAL, "extra field");
    h[3] = 0x08;
    memset(h + 10, 'x', 6);
    expect_error(h, 16, 16, -EINVAL, "unterminated");
    free(oracle);
    free(m);
    free(gz);
    free(data);
}

static void first_member_only(void **state)
{
    (void)state;
    size_t na = 3000, nb = 4000, la, lb;
    uint8_t *a = make_text(na), *b = make_random(nb);
    uint8_t *ga = run_tool("gzip -9 -n -c %1$s > %2$s", a, na, &la);
    uint8_t *gb = run_tool("gzip -9 -n -c %1$s > %2$s", b, nb, &lb);
    uint8_t *both = malloc(la + lb);
    memcpy(both, ga, la);
    memcpy(both + la, gb, lb);
    expect_decodes(both, la + lb, a, na);
    free(both);
    free(ga);
    free(gb);
    free(a);
    free(b);
}

/* Stored blocks written by hand (two non-final, an empty one, a final),
 * and fixed/dynamic blocks with an overlapping match; gzip agrees. */
static void hand_made_blocks(void **state)
{
    (void)state;
    static const uint8_t want[] = "hello, stored world" "ababab" "aab";
    const size_t wn = sizeof(want) - 1;
    struct bitw w = { 0 };
    uint8_t gz[2048], *oracle;
    size_t olen;

    /* stored "hello, " + empty stored + stored "stored world" */
    static const uint8_t stored[] = {
        0x00, 7, 0, 0xf8, 0xff, 'h', 'e', 'l', 'l', 'o', ',', ' ',
        0x00, 0, 0, 0xff, 0xff,
        0x00, 12, 0, 0xf3, 0xff, 's', 't', 'o', 'r', 'e', 'd', ' ', 'w', 'o', 'r', 'l', 'd',
    };
    memcpy(w.buf, stored, sizeof(stored));
    w.len = sizeof(stored);
    /* fixed: 'a' 'b' + match length 4 distance 2 + end */
    put_bits(&w, 0, 1);
    put_bits(&w, 1, 2);
    put_fixed_litlen(&w, 'a');
    put_fixed_litlen(&w, 'b');
    put_fixed_litlen(&w, 258);
    put_code(&w, 1, 5);
    put_fixed_litlen(&w, 256);
    /* dynamic, final: 'a' 'a' 'b' end, with a one-code distance code */
    uint8_t lens[257 + 1] = { 0 };
    lens['a'] = 1;
    lens['b'] = 2;
    lens[256] = 2;
    lens[257] = 1;      /* distance code 0 */
    put_dynamic_header(&w, true, 257, 1, lens);
    put_code(&w, 0, 1);
    put_code(&w, 0, 1);
    put_code(&w, 2, 2);
    put_code(&w, 3, 2);

    size_t n = wrap_member(gz, w.buf, w.len, want, wn);
    oracle = run_tool("gzip -dc < %1$s > %2$s", gz, n, &olen);
    assert_int_equal(olen, wn);
    assert_memory_equal(oracle, want, wn);
    free(oracle);
    expect_decodes(gz, n, want, wn);
    for (size_t cut = 0; cut < n; cut++)
        expect_error(gz, cut, wn, -EINVAL, NULL);
    for (size_t cap = 0; cap < wn; cap++)
        expect_error(gz, n, cap, -ENOSPC, "exceeds");
}

/* Each hand-made DEFLATE fragment must be rejected with the given reason. */
static void crafted_corruption(void **state)
{
    (void)state;
    uint8_t gz[2048], lens[320];
    struct bitw w;
    size_t n;

#define CASE(build, why) do { \
        memset(&w, 0, sizeof(w)); memset(lens, 0, sizeof(lens)); \
        build; \
        n = wrap_member(gz, w.buf, w.len, (const uint8_t *)"", 0); \
        expect_error(gz, n, 64, -EINVAL, why); \
    } while (0)

    CASE((put_bits(&w, 1, 1), put_bits(&w, 1, 2), put_fixed_litlen(&w, 'a'),
          put_fixed_litlen(&w, 257), put_code(&w, 1, 5), put_fixed_litlen(&w, 256)),
         "distance before start");
    CASE((put_bits(&w, 1, 1), put_bits(&w, 3, 2)), "reserved block type");
    CASE((put_bits(&w, 1, 3), put_bits(&w, 0, 5), put_bits(&w, 0x1234, 16), put_bits(&w, 0x1234, 16)),
         "stored block length");
    CASE((put_bits(&w, 1, 1), put_bits(&w, 1, 2), put_fixed_litlen(&w, 286)), "invalid literal/length");
    CASE((put_bits(&w, 1, 1), put_bits(&w, 1, 2), put_fixed_litlen(&w, 'a'), put_fixed_litlen(&w, 257),
          put_code(&w, 30, 5)), "invalid distance");
    /* all 19 code length codes one bit long */
    CASE((put_bits(&w, 1, 1), put_bits(&w, 2, 2), put_bits(&w, 0, 10), put_bits(&w, 15, 4),
          ({ for (int i = 0; i < 19; i++) put_bits(&w, 1, 3); })), "over-subscribed code length");
    CASE((put_bits(&w, 1, 1), put_bits(&w, 2, 2), put_bits(&w, 30, 5)), "too many literal/length");
    CASE((lens['a'] = 1, lens['b'] = 1, put_dynamic_header(&w, true, 257, 1, lens)), "no end-of-block");
    CASE((lens['a'] = 1, lens['b'] = 1, lens[256] = 1, put_dynamic_header(&w, true, 257, 1, lens)),
         "over-subscribed literal");
    CASE((lens['a'] = 2, lens[256] = 2, put_dynamic_header(&w, true, 257, 1, lens), put_code(&w, 3, 2)),
         "invalid literal/length");
    CASE((lens['a'] = 2, lens[256] = 2, lens[257] = 2, put_dynamic_header(&w, true, 258, 1, lens),
          put_code(&w, 0, 2), put_code(&w, 2, 2), put_code(&w, 0, 1)), "invalid distance");
    /* code 16 (repeat previous) as the very first length; code length
     * codes: symbol 0 -> '0', 16 -> '1' (one bit each, symbol order) */
    CASE((put_bits(&w, 1, 1), put_bits(&w, 2, 2), put_bits(&w, 0, 10), put_bits(&w, 0, 4),
          put_bits(&w, 1, 3), put_bits(&w, 0, 3), put_bits(&w, 0, 3), put_bits(&w, 1, 3),
          put_code(&w, 1, 1), put_bits(&w, 0, 2)), "no previous length");
    /* code 18 repeating zeros past HLIT + HDIST: 0 -> '0', 18 -> '1' */
    CASE((put_bits(&w, 1, 1), put_bits(&w, 2, 2), put_bits(&w, 0, 10), put_bits(&w, 0, 4),
          put_bits(&w, 0, 3), put_bits(&w, 0, 3), put_bits(&w, 1, 3), put_bits(&w, 1, 3),
          put_code(&w, 1, 1), put_bits(&w, 127, 7), put_code(&w, 1, 1), put_bits(&w, 127, 7)),
         "repeat past the end");
#undef CASE
}

static void bad_header_trailer_and_garbage(void **state)
{
    (void)state;
    size_t n = 20000, glen;
    uint8_t *data = make_text(n);
    uint8_t *gz = run_tool("gzip -9 -n -c %1$s > %2$s", data, n, &glen);

    expect_error(gz, 0, n, -EINVAL, "truncated header");
    expect_error(gz, 9, n, -EINVAL, "truncated header");
    gz[1] ^= 0xff;
    expect_error(gz, glen, n, -EINVAL, "bad magic");
    gz[1] ^= 0xff;
    gz[2] = 7;
    expect_error(gz, glen, n, -EOPNOTSUPP, "compression method");
    gz[2] = 8;
    gz[3] = 0x20;
    expect_error(gz, glen, n, -EINVAL, "reserved header flags");
    gz[3] = 0;
    gz[glen - 8] ^= 0x40;
    expect_error(gz, glen, n, -EINVAL, "bad CRC32");
    gz[glen - 8] ^= 0x40;
    gz[glen - 1] ^= 0x01;
    expect_error(gz, glen, n, -EINVAL, "bad ISIZE");
    gz[glen - 1] ^= 0x01;
    expect_decodes(gz, glen, data, n);

    /* Every prefix fails; so do a few hundred single-bit flips unless they
     * hit a field gzip does not check (then the output is still right). */
    for (size_t cut = 0; cut < glen; cut++)
        expect_error(gz, cut, n, -EINVAL, NULL);
    for (int i = 0; i < 400; i++) {
        size_t at = rnd() % glen;
        uint8_t bit = (uint8_t)(1u << (rnd() % 8));
        gz[at] ^= bit;
        expect_safe(gz, glen, data, n);
        gz[at] ^= bit;
    }
    /* Garbage after a valid header. */
    uint8_t *junk = make_random(4096);
    memcpy(junk, gz, 10);
    expect_safe(junk, 4096, data, n);
    for (int i = 0; i < 50; i++) {
        for (size_t j = 10; j < 4096; j++)
            junk[j] = (uint8_t)rnd();
        expect_safe(junk, 4096, data, n);
    }
    free(junk);
    free(gz);
    free(data);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_gzip9_matches_gzip),
        cmocka_unit_test(tool_streams_of_all_block_types),
        cmocka_unit_test(committed_fixtures),
        cmocka_unit_test(optional_header_fields),
        cmocka_unit_test(first_member_only),
        cmocka_unit_test(hand_made_blocks),
        cmocka_unit_test(crafted_corruption),
        cmocka_unit_test(bad_header_trailer_and_garbage),
    };
    return cmocka_run_group_tests_name("gunzip", tests, setup, teardown);
}
