/* Unit tests for the zstd decoder (hv/decompress/unzstd.c and its parts).
 * The oracle is the zstd command-line tool and the original data, never
 * this decoder: streams made by `zstd` at run time (synthetic data at every
 * level, Debian's "cloud" vmlinux at -19, -3 --long=27 and --ultra -22),
 * committed fixtures made by `zstd` (tests/unit/fixtures/unzstd; rewrite
 * them with UNZSTD_WRITE_FIXTURES=<dir>), hand-made frames, and corrupt,
 * truncated and bit-flipped input.
 *
 * The kernel streams take zstd ~20 s each to make at the high levels, so
 * they are cached under $KEEL_CACHE (or ~/.cache/keel)/unzstd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <keel/decompress.h>
#include <keel/errno.h>
#include "host_kernels.h"
#include "host_log.h"
#include "../../hv/decompress/zstd_internal.h"

#define FIXTURES "tests/unit/fixtures/unzstd"

static char tmpdir[256];

/* ---- deterministic synthetic data ---- */

static uint64_t rng;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void gen_random(uint8_t *p, size_t n, uint64_t seed)
{
    rng = seed | 1;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* Words from a small vocabulary: skewed literals and many matches. */
static void gen_text(uint8_t *p, size_t n, uint64_t seed)
{
    static const char *words[] = {
        "the", "hypervisor", "guest", "page", "table", "frame", "of", "and",
        "event", "channel", "grant", "a", "to", "is", "domain", "vcpu",
        "memory", "interrupt", "x86", "keel", "zstd", "block", "literal", "match",
    };
    rng = seed | 1;
    size_t i = 0;
    while (i < n) {
        const char *w = words[rnd() % ARRAY_SIZE(words)];
        for (; *w && i < n; w++)
            p[i++] = (uint8_t)*w;
        if (i < n)
            p[i++] = (rnd() % 11 == 0) ? '\n' : (rnd() % 7 == 0) ? ',' : ' ';
    }
}

/* Fixed-size records with counters: small offsets, repeat offsets. */
static void gen_records(uint8_t *p, size_t n, uint64_t seed)
{
    rng = seed | 1;
    for (size_t i = 0; i < n; i++) {
        size_t rec = i / 16, f = i % 16;
        p[i] = f < 4 ? (uint8_t)(rec >> (8 * f)) : f < 8 ? (uint8_t)(rec * 3 >> (8 * (f - 4)))
             : f < 10 ? (uint8_t)(rnd() & 7) : (uint8_t)(0xc0 + f);
    }
}

/* Segments of every kind, plus copies from far back. */
static void gen_mixed(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    size_t i = 0;
    while (i < n) {
        rng = s;
        size_t len = 512 + rnd() % 20000, kind = rnd() % 5;
        s = rng;
        if (len > n - i)
            len = n - i;
        if (kind == 0)
            gen_text(p + i, len, s);
        else if (kind == 1)
            gen_records(p + i, len, s);
        else if (kind == 2)
            gen_random(p + i, len, s);
        else if (kind == 3)
            memset(p + i, (int)(s & 0xff), len);
        else if (i >= len)
            memmove(p + i, p + (s % (i - len + 1)), len);
        else
            gen_text(p + i, len, s);
        i += len;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
    }
}

/* ---- helpers ---- */

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    fclose(f);
    return w == len ? 0 : -1;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Compresses data with the zstd tool and `args`; returns the stream. */
static uint8_t *zstd_tool(const uint8_t *data, size_t len, const char *args, size_t *zlen)
{
    char in[512], out[512];
    snprintf(in, sizeof(in), "%s/in", tmpdir);
    snprintf(out, sizeof(out), "%s/in.zst", tmpdir);
    assert_int_equal(write_file(in, data, len), 0);
    assert_int_equal(run("zstd -q -f %s %s -o %s", args, in, out), 0);
    uint8_t *z = host_file_load(out, zlen);
    if (!z) {   /* host_file_load refuses empty files; zstd never writes one */
        fail_msg("no zstd output for %s", args);
    }
    return z;
}

static size_t log_lines(void)
{
    size_t n = 0;
    for (const char *s = host_log_text(); *s; s++)
        n += *s == '\n';
    return n;
}

/* Decodes into a buffer of exactly `cap` bytes (ASan sees any overrun). */
static int decode(const uint8_t *z, size_t zlen, size_t cap, uint8_t **out, size_t *n)
{
    *out = malloc(cap ? cap : 1);
    assert_non_null(*out);
    host_log_clear();
    return unzstd(z, zlen, *out, cap, n);
}

static void expect_decode(const uint8_t *z, size_t zlen, const uint8_t *want, size_t wlen)
{
    uint8_t *out;
    size_t n = 12345;
    int rc = decode(z, zlen, wlen, &out, &n);
    if (rc != 0)
        print_error("unzstd: %d: %s", rc, host_log_text());
    assert_int_equal(rc, 0);
    assert_int_equal(n, wlen);
    if (wlen)
        assert_memory_equal(out, want, wlen);
    free(out);
}

/* Must fail with `want_rc` (0: any error) and exactly one zstd log line. */
static void expect_error(const uint8_t *z, size_t zlen, size_t cap, int want_rc, const char *msg)
{
    uint8_t *out;
    size_t n;
    int rc = decode(z, zlen, cap, &out, &n);
    free(out);
    if (rc >= 0 || (want_rc && rc != want_rc) || log_lines() != 1 || !host_log_contains("zstd: ")
        || (msg && !host_log_contains(msg)))
        fail_msg("rc %d (want %d), log: %s", rc, want_rc, host_log_text());
}

/* ---- XXH64 ---- */

static void xxh64_matches_zstd_checksums(void **state)
{
    static const size_t lens[] = { 0, 1, 3, 4, 7, 8, 15, 31, 32, 33, 63, 64, 100, 1000, 4099 };
    uint8_t data[4099];
    (void)state;
    gen_random(data, sizeof(data), 7);
    /* Published test value: XXH64 of nothing, seed 0. */
    assert_true(xxh64(data, 0, 0) == 0xEF46DB3751D8E999ull);
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        size_t zlen;
        uint8_t *z = zstd_tool(data, lens[i], "-1 --check", &zlen);
        assert_true(zlen >= 4);
        assert_int_equal((uint32_t)xxh64(data, lens[i], 0), zstd_le32(z + zlen - 4));
        free(z);
    }
}

/* ---- committed fixtures ---- */

struct fixture {
    const char *name;
    const char *args;
    void (*gen)(uint8_t *, size_t, uint64_t);
    size_t len;
};

static const struct fixture fixtures[] = {
    { "empty", "-19 --check", gen_text, 0 },
    { "text", "-19 --check", gen_text, 12000 },
    { "records", "-5 --no-check", gen_records, 9000 },
    { "zeros-nosize", "-3 --check --no-content-size", NULL, 40000 },
    { "random", "-3 --check", gen_random, 6000 },
    { "mixed", "-9 --check", gen_mixed, 180000 },
};

static uint8_t *fixture_data(const struct fixture *f)
{
    uint8_t *d = calloc(1, f->len + 1);
    if (f->gen)
        f->gen(d, f->len, 42);
    return d;
}

/* A skippable frame of n bytes of user data. */
static size_t skippable(uint8_t *p, uint32_t n, uint8_t nibble)
{
    uint32_t magic = 0x184D2A50u | nibble;
    memcpy(p, &magic, 4);
    memcpy(p + 4, &n, 4);
    memset(p + 8, 0xa5, n);
    return 8 + n;
}

/* multi: two frames (one without size or checksum) around a skippable one. */
static uint8_t *multi_stream(size_t *zlen, uint8_t **want, size_t *wlen)
{
    uint8_t a[3000], b[1000];
    size_t la, lb;
    gen_text(a, sizeof(a), 3);
    gen_random(b, sizeof(b), 4);
    uint8_t *za = zstd_tool(a, sizeof(a), "-1 --check", &la);
    uint8_t *zb = zstd_tool(b, sizeof(b), "-1 --no-check --no-content-size", &lb);
    uint8_t *z = malloc(la + lb + 64);
    memcpy(z, za, la);
    size_t n = la + skippable(z + la, 20, 0xf);
    memcpy(z + n, zb, lb);
    *zlen = n + lb;
    *want = malloc(sizeof(a) + sizeof(b));
    memcpy(*want, a, sizeof(a));
    memcpy(*want + sizeof(a), b, sizeof(b));
    *wlen = sizeof(a) + sizeof(b);
    free(za);
    free(zb);
    return z;
}

static void write_fixtures(const char *dir)
{
    char path[512];
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        const struct fixture *f = &fixtures[i];
        uint8_t *d = fixture_data(f);
        size_t zlen;
        uint8_t *z = zstd_tool(d, f->len, f->args, &zlen);
        snprintf(path, sizeof(path), "%s/%s.bin", dir, f->name);
        write_file(path, d, f->len);
        snprintf(path, sizeof(path), "%s/%s.zst", dir, f->name);
        write_file(path, z, zlen);
        free(d);
        free(z);
    }
    uint8_t *want, *z;
    size_t zlen, wlen;
    z = multi_stream(&zlen, &want, &wlen);
    snprintf(path, sizeof(path), "%s/multi.bin", dir);
    write_file(path, want, wlen);
    snprintf(path, sizeof(path), "%s/multi.zst", dir);
    write_file(path, z, zlen);
    free(z);
    free(want);
}

static uint8_t *load_fixture(const char *name, const char *ext, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), FIXTURES "/%s.%s", name, ext);
    uint8_t *d = host_file_load(path, len);
    if (!d && !strcmp(ext, "bin")) {    /* the empty original */
        *len = 0;
        d = calloc(1, 1);
    }
    if (!d)
        fail_msg("missing fixture %s", path);
    return d;
}

static const char *fixture_names[] = { "empty", "text", "records", "zeros-nosize", "random", "mixed", "multi" };

static void fixtures_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixture_names); i++) {
        size_t zlen, wlen;
        uint8_t *z = load_fixture(fixture_names[i], "zst", &zlen);
        uint8_t *want = load_fixture(fixture_names[i], "bin", &wlen);
        expect_decode(z, zlen, want, wlen);
        free(z);
        free(want);
    }
}

/* The committed originals are what the generators make (the .zst files are
 * zstd's output for them: see write_fixtures). */
static void fixture_originals_match_generators(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        size_t wlen;
        uint8_t *want = load_fixture(fixtures[i].name, "bin", &wlen);
        uint8_t *d = fixture_data(&fixtures[i]);
        assert_int_equal(wlen, fixtures[i].len);
        if (wlen)
            assert_memory_equal(d, want, wlen);
        free(d);
        free(want);
    }
}

/* Every strict prefix of the small fixtures (500 of the big one) fails. */
static void fixtures_every_prefix_fails(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixture_names); i++) {
        size_t zlen, wlen;
        uint8_t *z = load_fixture(fixture_names[i], "zst", &zlen);
        uint8_t *want = load_fixture(fixture_names[i], "bin", &wlen);
        size_t step = zlen > 8192 ? zlen / 500 : 1;    /* big: 500 points */
        for (size_t cut = 0; cut < zlen; cut += step) {
            uint8_t *copy = malloc(cut ? cut : 1);   /* exact size for ASan */
            memcpy(copy, z, cut);
            uint8_t *out;
            size_t n;
            int rc = decode(copy, cut, wlen, &out, &n);
            /* multi: a cut at a frame boundary is a shorter valid stream */
            if (rc == 0 && !strcmp(fixture_names[i], "multi"))
                assert_true(n < wlen && !memcmp(out, want, n));
            else if (rc != -EINVAL || log_lines() != 1)
                fail_msg("%s cut %zu: rc %d, log %s", fixture_names[i], cut, rc, host_log_text());
            free(out);
            free(copy);
        }
        free(z);
        free(want);
    }
}

/* Random bit flips: an error, or (with a checksum) the right output. */
static void fixtures_bit_flips(void **state)
{
    static const char *names[] = { "mixed", "text", "records", "multi" };
    (void)state;
    rng = 0x5eed;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        size_t zlen, wlen;
        uint8_t *z = load_fixture(names[i], "zst", &zlen);
        uint8_t *want = load_fixture(names[i], "bin", &wlen);
        /* Every frame of these carries a checksum. */
        bool checked = !strcmp(names[i], "mixed") || !strcmp(names[i], "text");
        for (int k = 0; k < 300; k++) {
            size_t bit = rnd() % (zlen * 8);
            z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            uint8_t *out;
            size_t n = 0;
            int rc = decode(z, zlen, wlen + 100, &out, &n);
            if (rc == 0 && checked)
                assert_true(n == wlen && !memcmp(out, want, wlen));
            if (rc == 0)
                assert_true(n <= wlen + 100);
            else
                assert_int_equal(log_lines(), 1);
            free(out);
            z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        free(z);
        free(want);
    }
}

static void output_too_small(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixture_names); i++) {
        size_t zlen, wlen;
        uint8_t *z = load_fixture(fixture_names[i], "zst", &zlen);
        uint8_t *want = load_fixture(fixture_names[i], "bin", &wlen);
        if (wlen) {
            expect_error(z, zlen, wlen - 1, -ENOSPC, "too small");
            expect_error(z, zlen, wlen / 2, -ENOSPC, NULL);
            expect_error(z, zlen, 0, -ENOSPC, NULL);
        }
        free(z);
        free(want);
    }
}

/* ---- streams made at run time ---- */

static void every_level_1_to_19(void **state)
{
    size_t len = 70000;
    uint8_t *text = malloc(len), *mixed = malloc(len);
    (void)state;
    gen_text(text, len, 11);
    gen_mixed(mixed, len, 12);
    for (int level = 1; level <= 19; level++) {
        char args[64];
        size_t zlen;
        snprintf(args, sizeof(args), "-%d --check", level);
        uint8_t *z = zstd_tool(text, len, args, &zlen);
        expect_decode(z, zlen, text, len);
        free(z);
        snprintf(args, sizeof(args), "-%d --no-check --no-content-size", level);
        z = zstd_tool(mixed, len, args, &zlen);
        expect_decode(z, zlen, mixed, len);
        free(z);
        /* Small inputs: single-segment frames, 1-stream literals. */
        snprintf(args, sizeof(args), "-%d", level);
        z = zstd_tool(mixed + 1000, 300 + level * 37, args, &zlen);
        expect_decode(z, zlen, mixed + 1000, 300 + level * 37);
        free(z);
    }
    free(text);
    free(mixed);
}

static void tool_options(void **state)
{
    static const char *opts[] = {
        "--ultra -22", "-3 --long=27", "--fast=5", "-19 --no-check",
        "-1 --no-content-size", "-12 --check --no-content-size", "-3 --zstd=wlog=10",
        "-19 --zstd=wlog=12,hlog=10", "-3 --zstd=strategy=1", "-7 -B32768 -T1",
    };
    size_t len = 600000;
    uint8_t *d = malloc(len);
    (void)state;
    gen_mixed(d, len, 99);
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        size_t zlen;
        uint8_t *z = zstd_tool(d, len, opts[i], &zlen);
        expect_decode(z, zlen, d, len);
        free(z);
    }
    /* Incompressible: raw blocks; constant: RLE blocks. */
    gen_random(d, len, 5);
    size_t zlen;
    uint8_t *z = zstd_tool(d, len, "-19 --check", &zlen);
    expect_decode(z, zlen, d, len);
    free(z);
    memset(d, 0x5a, len);
    z = zstd_tool(d, len, "-1 --no-content-size", &zlen);
    expect_decode(z, zlen, d, len);
    free(z);
    free(d);
}

/* ---- hand-made frames ---- */

static const uint8_t magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

/* magic + single-segment header with a 1-byte content size. */
static size_t frame_start(uint8_t *p, uint8_t fhd, uint8_t size)
{
    memcpy(p, magic, 4);
    p[4] = fhd;
    p[5] = size;
    return 6;
}

static size_t block_header(uint8_t *p, bool last, unsigned type, uint32_t size)
{
    uint32_t v = (uint32_t)last | type << 1 | size << 3;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    return 3;
}

static void handmade_frames(void **state)
{
    uint8_t s[64];
    size_t n;
    (void)state;

    n = frame_start(s, 0x20, 5);            /* raw block */
    n += block_header(s + n, true, 0, 5);
    memcpy(s + n, "hello", 5);
    expect_decode(s, n + 5, (const uint8_t *)"hello", 5);

    n = frame_start(s, 0x20, 10);           /* RLE block */
    n += block_header(s + n, true, 1, 10);
    s[n++] = 'x';
    expect_decode(s, n, (const uint8_t *)"xxxxxxxxxx", 10);

    /* Compressed block: raw literals "abc", one sequence (RLE codes:
     * literal length 3, match length code 0 = 3, offset code 1 -> value
     * 2 + bit 1 = 3; literals_length 3 != 0 so Offset_Value 3 means
     * Repeated_Offset3 = 8): invalid distance. The frames have a 1 KiB
     * window and no content size (these blocks are larger than output). */
    n = frame_start(s, 0x00, 0);
    size_t bh = n;
    n += 3;
    s[n++] = 3 << 3;                        /* raw literals, 3 bytes */
    memcpy(s + n, "abc", 3);
    n += 3;
    s[n++] = 1;                             /* one sequence */
    s[n++] = 0x54;                          /* LL, OF, ML all RLE */
    s[n++] = 3;                             /* literal length code 3 */
    s[n++] = 1;                             /* offset code 1 */
    s[n++] = 0;                             /* match length code 0 */
    s[n++] = 0x03;                          /* offset bit 1, end marker */
    block_header(s + bh, true, 2, (uint32_t)(n - bh - 3));
    expect_error(s, n, 16, -EINVAL, "offset");
    /* Offset bit 0: value 2 -> Repeated_Offset2 = 4: still beyond "abc". */
    s[n - 1] = 0x02;
    expect_error(s, n, 16, -EINVAL, "offset");
    /* Offset code 0 -> value 1 -> Repeated_Offset1 = 1: "abc" + "ccc". */
    s[n - 3] = 0;
    s[n - 1] = 0x01;
    expect_decode(s, n, (const uint8_t *)"abcccc", 6);
    /* Same with repeat mode for all three tables in a second block. */
    uint8_t t[64];
    size_t m = frame_start(t, 0x00, 0);
    memcpy(t + m, s + 6, n - 6);
    t[m] &= (uint8_t)~1;                    /* first block not last */
    m += n - 6;
    size_t bh2 = m;
    m += 3;
    t[m++] = 3 << 3;
    memcpy(t + m, "xyz", 3);
    m += 3;
    t[m++] = 1;
    t[m++] = 0xfc;                          /* repeat, repeat, repeat */
    t[m++] = 0x01;                          /* no bits: just the marker */
    block_header(t + bh2, true, 2, (uint32_t)(m - bh2 - 3));
    expect_decode(t, m, (const uint8_t *)"abccccxyzzzz", 12);
    /* Repeat mode in the first block has nothing to repeat. */
    n = frame_start(s, 0x00, 0);
    memcpy(s + n, t + bh2, m - bh2);
    expect_error(s, n + m - bh2, 16, -EINVAL, "repeated sequence table");
    /* Treeless literals with no earlier Huffman table. */
    n = frame_start(s, 0x00, 0);
    n += block_header(s + n, true, 2, 5);
    s[n++] = 0x23;                          /* treeless, 1 stream, 2 -> 2 bytes */
    s[n++] = 0x80;
    s[n++] = 0x00;
    s[n++] = 0x80;
    s[n++] = 0x00;
    expect_error(s, n, 16, -EINVAL, "treeless");
}

static void handmade_errors(void **state)
{
    uint8_t s[64];
    size_t n;
    (void)state;

    n = frame_start(s, 0x21, 7);            /* dictionary id 7 */
    s[6] = 5;
    n = 7;
    n += block_header(s + n, true, 0, 0);
    expect_error(s, n, 16, -EOPNOTSUPP, "dictionary");
    s[5] = 0;                               /* dictionary id 0: none */
    s[6] = 0;
    expect_decode(s, n, NULL, 0);

    n = frame_start(s, 0x28, 0);            /* reserved bit */
    n += block_header(s + n, true, 0, 0);
    expect_error(s, n, 16, -EINVAL, "reserved frame header bit");

    n = frame_start(s, 0x20, 1);            /* reserved block type */
    n += block_header(s + n, true, 3, 1);
    s[n++] = 0;
    expect_error(s, n, 16, -EINVAL, "zstd: reserved block type at offset 0x6\n");

    n = frame_start(s, 0x20, 6);            /* content size 6, block of 5 */
    n += block_header(s + n, true, 0, 5);
    memcpy(s + n, "hello", 5);
    expect_error(s, n + 5, 16, -EINVAL, "content size mismatch");
    s[5] = 4;
    expect_error(s, n + 5, 16, -EINVAL, "block larger");

    /* Window 1 KiB, no content size: block_max is 1 KiB. */
    memcpy(s, magic, 4);
    s[4] = 0x00;
    s[5] = 0x00;
    n = 6 + block_header(s + 6, true, 1, 1025);
    s[n++] = 'q';
    expect_error(s, n, 4096, -EINVAL, "block larger");
    block_header(s + 6, true, 1, 1024);
    uint8_t q[1024];
    memset(q, 'q', sizeof(q));
    expect_decode(s, n, q, sizeof(q));

    /* Bad magic, garbage, too short, zero length. */
    memset(s, 0, sizeof(s));
    expect_error(s, 16, 16, -EINVAL, "bad frame magic");
    expect_error(s, 0, 16, -EINVAL, "empty input");
    expect_error(magic, 3, 16, -EINVAL, "bad frame magic");
    expect_error(magic, 4, 16, -EINVAL, "truncated frame header");
    gen_random(s, sizeof(s), 77);
    expect_error(s, sizeof(s), 16, -EINVAL, NULL);
}

static void frame_checks(void **state)
{
    size_t zlen, wlen;
    (void)state;
    uint8_t *z = load_fixture("text", "zst", &zlen);
    uint8_t *want = load_fixture("text", "bin", &wlen);
    uint8_t *zz = calloc(1, zlen + 8);

    z[zlen - 1] ^= 0x40;                    /* checksum */
    expect_error(z, zlen, wlen, -EINVAL, "checksum mismatch");
    z[zlen - 1] ^= 0x40;

    /* Linux's bzImage trailer: the decoded size, little-endian. */
    memcpy(zz, z, zlen);
    uint32_t size = (uint32_t)wlen;
    memcpy(zz + zlen, &size, 4);
    expect_decode(zz, zlen + 4, want, wlen);
    zz[zlen] ^= 1;
    expect_error(zz, zlen + 4, wlen, -EINVAL, "bad frame magic");
    expect_error(zz, zlen + 3, wlen, -EINVAL, "bad frame magic");
    expect_error(zz, zlen + 5, wlen, -EINVAL, "bad frame magic");

    /* Skippable frames alone, and a truncated one. */
    {
        uint8_t sk[64];
        size_t n = skippable(sk, 10, 0);
        n += skippable(sk + n, 0, 7);
        expect_decode(sk, n, NULL, 0);
        expect_error(sk, n - 1, 16, -EINVAL, "skippable");
        expect_error(sk, 7, 16, -EINVAL, "skippable");
    }

    /* Content size that disagrees with the blocks. */
    size_t rlen;
    uint8_t *r = load_fixture("random", "zst", &rlen);
    assert_true(r[4] & 0xc0);               /* has a content size field */
    r[r[4] & 0x20 ? 5 : 6] ^= 1;
    expect_error(r, rlen, 8000, -EINVAL, NULL);
    free(r);
    free(zz);
    free(z);
    free(want);
}

/* ---- Debian's cloud vmlinux ---- */

static uint8_t *vmlinux;
static size_t vmlinux_len;

static void cache_dir(char *dir, size_t size)
{
    const char *cache = getenv("KEEL_CACHE"), *home = getenv("HOME");
    if (cache)
        snprintf(dir, size, "%s/unzstd", cache);
    else
        snprintf(dir, size, "%s/.cache/keel/unzstd", home ? home : "/root");
    run("mkdir -p '%s'", dir);
}

/* The bzImage payload (lz4 legacy + 4-byte size) -> `lz4 -d` -> vmlinux. */
static void load_vmlinux(void)
{
    if (vmlinux)
        return;
    size_t klen;
    uint8_t *k = host_kernel_load("cloud", &klen);
    assert_non_null(k);
    assert_true(klen > 0x250);
    uint32_t off, plen;
    memcpy(&off, k + 0x248, 4);
    memcpy(&plen, k + 0x24c, 4);
    size_t start = ((size_t)k[0x1f1] + 1) * 512 + off;
    assert_true(start + plen <= klen && plen > 4);
    char in[512], out[512];
    snprintf(in, sizeof(in), "%s/payload.lz4", tmpdir);
    snprintf(out, sizeof(out), "%s/vmlinux", tmpdir);
    assert_int_equal(write_file(in, k + start, plen - 4), 0);
    assert_int_equal(run("lz4 -d -q -f %s %s", in, out), 0);
    vmlinux = host_file_load(out, &vmlinux_len);
    assert_non_null(vmlinux);
    uint32_t trailer;
    memcpy(&trailer, k + start + plen - 4, 4);
    assert_int_equal(trailer, (uint32_t)vmlinux_len);
    free(k);
}

/* zstd of the vmlinux with `args`, made once and cached. */
static uint8_t *kernel_stream(const char *tag, const char *args, size_t *zlen)
{
    char dir[512], path[1024];
    cache_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/vmlinux-cloud-%zu.%s.zst", dir, vmlinux_len, tag);
    uint8_t *z = host_file_load(path, zlen);
    if (z)
        return z;
    snprintf(path, sizeof(path), "%s/vmlinux-cloud-%zu.%s.zst.tmp", dir, vmlinux_len, tag);
    assert_int_equal(run("zstd -q -f %s %s/vmlinux -o '%s'", args, tmpdir, path), 0);
    assert_int_equal(run("mv '%s' '%.*s'", path, (int)(strlen(path) - 4), path), 0);
    snprintf(path, sizeof(path), "%s/vmlinux-cloud-%zu.%s.zst", dir, vmlinux_len, tag);
    z = host_file_load(path, zlen);
    assert_non_null(z);
    return z;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void kernel_streams_decode(void **state)
{
    static const char *kinds[][2] = {
        { "l3long27", "-3 --long=27" }, { "l19", "-19" }, { "ultra22", "--ultra -22" },
    };
    (void)state;
    load_vmlinux();
    /* Make the two slow streams at once (2 CPUs) if they are not cached. */
    char dir[512];
    cache_dir(dir, sizeof(dir));
    run("cd '%s' && for t in 'l19 -19' 'ultra22 --ultra -22'; do set -- $t; n=vmlinux-cloud-%zu.$1.zst;"
        " [ -f $n ] || { f=$1; shift; zstd -q -f \"$@\" %s/vmlinux -o $n.tmp && mv $n.tmp $n; } & done; wait",
        dir, vmlinux_len, tmpdir);
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        size_t zlen, n;
        uint8_t *z = kernel_stream(kinds[i][0], kinds[i][1], &zlen);
        uint8_t *out = malloc(vmlinux_len + 4);
        host_log_clear();
        double t0 = now();
        int rc = unzstd(z, zlen, out, vmlinux_len, &n);
        double dt = now() - t0;
        if (rc)
            print_error("%s: %s", kinds[i][0], host_log_text());
        assert_int_equal(rc, 0);
        assert_int_equal(n, vmlinux_len);
        assert_memory_equal(out, vmlinux, vmlinux_len);
        print_message("unzstd %s: %zu -> %zu bytes in %.3f s (%.0f MB/s, this build)\n",
                      kinds[i][0], zlen, n, dt, n / dt / 1e6);
        free(out);
        free(z);
    }
}

/* The way Linux builds a zstd bzImage payload: zstd --ultra -22, then the
 * size appended. Then truncations and flips of a -19 kernel stream. */
static void kernel_payload_and_corruption(void **state)
{
    (void)state;
    load_vmlinux();
    size_t zlen, n;
    uint8_t *z = kernel_stream("ultra22", "--ultra -22", &zlen);
    uint8_t *p = malloc(zlen + 4), *out = malloc(vmlinux_len);
    memcpy(p, z, zlen);
    uint32_t size = (uint32_t)vmlinux_len;
    memcpy(p + zlen, &size, 4);
    host_log_clear();
    assert_int_equal(unzstd(p, zlen + 4, out, vmlinux_len, &n), 0);
    assert_int_equal(n, vmlinux_len);
    assert_memory_equal(out, vmlinux, vmlinux_len);
    expect_error(p, zlen + 4, vmlinux_len - 1, -ENOSPC, NULL);
    free(p);
    free(z);

    /* A few truncation points of the whole kernel stream. */
    z = kernel_stream("l3long27", "-3 --long=27", &zlen);
    for (int k = 1; k <= 6; k++)
        expect_error(z, zlen * k / 7, vmlinux_len, -EINVAL, NULL);
    free(z);

    /* Hundreds of points on the first 1 MiB of the kernel at -19. */
    size_t len = 1u << 20;
    uint8_t *zs = zstd_tool(vmlinux, len, "-19 --check", &zlen);
    for (int k = 0; k < 300; k++)
        expect_error(zs, (size_t)((uint64_t)zlen * k / 300), len, -EINVAL, NULL);
    rng = 0xf11b;
    for (int k = 0; k < 200; k++) {
        size_t bit = ((uint64_t)rnd() << 16 ^ rnd()) % (zlen * 8);
        zs[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        host_log_clear();
        int rc = unzstd(zs, zlen, out, len, &n);
        if (rc == 0)
            assert_true(n == len && !memcmp(out, vmlinux, len));
        else
            assert_int_equal(log_lines(), 1);
        zs[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(zs);
    free(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_unzstd.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    run("rm -rf '%s'", tmpdir);
    free(vmlinux);
    return 0;
}

int main(void)
{
    const char *fixdir = getenv("UNZSTD_WRITE_FIXTURES");
    if (fixdir) {
        setup(NULL);
        write_fixtures(fixdir);
        teardown(NULL);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xxh64_matches_zstd_checksums),
        cmocka_unit_test(fixture_originals_match_generators),
        cmocka_unit_test(fixtures_decode),
        cmocka_unit_test(fixtures_every_prefix_fails),
        cmocka_unit_test(fixtures_bit_flips),
        cmocka_unit_test(output_too_small),
        cmocka_unit_test(handmade_frames),
        cmocka_unit_test(handmade_errors),
        cmocka_unit_test(frame_checks),
        cmocka_unit_test(every_level_1_to_19),
        cmocka_unit_test(tool_options),
        cmocka_unit_test(kernel_streams_decode),
        cmocka_unit_test(kernel_payload_and_corruption),
    };
    return cmocka_run_group_tests_name("unzstd", tests, setup, teardown);
}
