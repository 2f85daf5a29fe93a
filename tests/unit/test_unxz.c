/* Unit tests for hv/decompress/unxz.c + lzma2.c. The oracle is always the
 * xz tool: committed fixtures made by it (tests/unit/fixtures/unxz/make.sh),
 * streams it makes at run time, and `xz -dc` of Debian's real kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <keel/decompress.h>
#include <keel/errno.h>
#include "host_kernels.h"
#include "host_log.h"

#define FIXDIR "tests/unit/fixtures/unxz/"

struct buf {
    uint8_t *p;
    size_t n;
};

static struct buf fixture(const char *name)
{
    char path[256];
    struct buf b = { NULL, 0 };

    snprintf(path, sizeof(path), FIXDIR "%s", name);
    b.p = host_file_load(path, &b.n);
    if (!b.p && strstr(name, "empty")) /* host_file_load refuses empty files */
        b.p = calloc(1, 1);
    assert_non_null(b.p);
    return b;
}

static struct buf cat3(struct buf a, struct buf b, struct buf c)
{
    struct buf r = { malloc(a.n + b.n + c.n + 1), a.n + b.n + c.n };
    memcpy(r.p, a.p, a.n);
    memcpy(r.p + a.n, b.p, b.n);
    memcpy(r.p + a.n + b.n, c.p, c.n);
    return r;
}

/* Decodes into a buffer of exactly `cap` bytes (ASan sees any overflow). */
static int decode(const uint8_t *in, size_t n, size_t cap, struct buf *out)
{
    out->p = malloc(cap ? cap : 1);
    out->n = 0;
    return unxz(in, n, out->p, cap, &out->n);
}

/* Same, with the input copied to an exact-size buffer first. */
static int decode_copy(const uint8_t *in, size_t n, size_t cap, struct buf *out)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (n)
        memcpy(copy, in, n);
    int rc = decode(n ? copy : NULL, n, cap, out);
    free(copy);
    return rc;
}

static void assert_same(struct buf got, struct buf want)
{
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        if (got.p[i] != want.p[i])
            fail_msg("first difference at output byte %zu of %zu", i, want.n);
}

/* One error line naming the reason. */
static void assert_logged_once(const char *needle)
{
    const char *t = host_log_text();
    int lines = 0;
    for (const char *p = t; *p; p++)
        lines += *p == '\n';
    if (!strstr(t, needle) || lines != 1)
        fail_msg("expected one line with \"%s\", got: %s", needle, t);
}

/* Runs `xz ARGS` on `in` (through a temp file) and returns its stdout. */
static struct buf xz_tool(const char *args, const uint8_t *in, size_t n)
{
    char tmp[] = "/tmp/keel-unxz-XXXXXX", cmd[512];
    int fd = mkstemp(tmp);
    struct buf r = { NULL, 0 };
    size_t cap = 1 << 16;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, n), (ssize_t)n);
    close(fd);
    snprintf(cmd, sizeof(cmd), "xz %s -c %s 2>/dev/null", args, tmp);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    r.p = malloc(cap);
    for (size_t got; (got = fread(r.p + r.n, 1, cap - r.n, f)) > 0;) {
        r.n += got;
        if (r.n == cap)
            r.p = realloc(r.p, cap *= 2);
    }
    int status = pclose(f);
    unlink(tmp);
    if (status != 0)
        fail_msg("xz %s failed (status %d)", args, status);
    return r;
}

static void fixtures_decode_like_xz(void **state)
{
    static const struct { const char *xz, *raw; } cases[] = {
        { "text-crc64.xz", "text.raw" },      { "text-none.xz", "text.raw" },
        { "text-blocks.xz", "text.raw" },     { "text-lclp2.xz", "text.raw" },
        { "code-x86.xz", "code.raw" },        { "code-x86-start.xz", "code.raw" },
        { "code-delta.xz", "code.raw" },      { "code-lclp1.xz", "code.raw" },
        { "random-crc32.xz", "random.raw" },  { "empty.xz", "empty.raw" },
        { "small-x86.xz", "text.raw" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf in = fixture(cases[i].xz), want = fixture(cases[i].raw), out;
        if (!strcmp(cases[i].xz, "small-x86.xz"))
            want.n = 12000;     /* its input was text.raw's start */
        host_log_clear();
        int rc = decode(in.p, in.n, want.n, &out);
        if (rc)
            fail_msg("%s: %d: %s", cases[i].xz, rc, host_log_text());
        assert_same(out, want);
        free(in.p), free(want.p), free(out.p);
    }
}

static void concatenated_streams_with_padding(void **state)
{
    struct buf in = fixture("multi.xz"), text = fixture("text.raw"), code = fixture("code.raw");
    struct buf want = cat3(text, text, code), out;
    (void)state;
    assert_int_equal(decode(in.p, in.n, want.n + 100, &out), 0);
    assert_same(out, want);
    free(out.p);
    /* trailing bytes that are not a stream (Linux's size word) are ignored */
    uint8_t *more = malloc(in.n + 4);
    memcpy(more, in.p, in.n);
    memcpy(more + in.n, "\x12\x34\x56\x00", 4);
    assert_int_equal(decode(more, in.n + 4, want.n, &out), 0);
    assert_same(out, want);
    free(out.p), free(more), free(in.p), free(text.p), free(code.p), free(want.p);
}

static void unsupported_check_and_filter(void **state)
{
    struct buf sha = fixture("text-sha256.xz"), arm = fixture("code-arm.xz"), out;
    (void)state;
    host_log_clear();
    assert_int_equal(decode(sha.p, sha.n, 1 << 20, &out), -EOPNOTSUPP);
    assert_logged_once("SHA-256");
    free(out.p);
    host_log_clear();
    assert_int_equal(decode(arm.p, arm.n, 1 << 20, &out), -EOPNOTSUPP);
    assert_logged_once("unsupported filter 0x7");
    free(out.p), free(sha.p), free(arm.p);
}

static void empty_and_garbage_input(void **state)
{
    struct buf out;
    uint8_t junk[4096];
    (void)state;
    host_log_clear();
    assert_int_equal(decode_copy(NULL, 0, 16, &out), -EINVAL);
    assert_logged_once("xz: empty input");
    free(out.p);
    srand(7);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rand();
    host_log_clear();
    assert_int_equal(decode_copy(junk, sizeof(junk), 1 << 16, &out), -EINVAL);
    assert_logged_once("bad stream header magic");
    free(out.p);
    /* a real header followed by junk */
    struct buf x = fixture("text-crc64.xz");
    memcpy(junk, x.p, 12);
    host_log_clear();
    assert_int_equal(decode_copy(junk, sizeof(junk), 1 << 16, &out), -EINVAL);
    assert_true(strstr(host_log_text(), "xz: ") != NULL);
    free(out.p), free(x.p);
}

/* Every prefix of a small stream is an error, never an overflow or a crash;
 * for bigger ones every prefix near the ends and a stride in between. */
static void truncation_at_every_length(void **state)
{
    static const char *names[] = {
        "small-x86.xz", "empty.xz", "text-crc64.xz", "code-x86.xz", "text-blocks.xz",
    };
    (void)state;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        struct buf in = fixture(names[k]), out;
        size_t step = in.n > 4096 ? 13 : 1;     /* keeps the run short */
        for (size_t len = 0; len < in.n; len += (len < 256 || len > in.n - 256) ? 1 : step) {
            host_log_clear();
            int rc = decode_copy(in.p, len, 64 << 10, &out);
            if (rc != -EINVAL)
                fail_msg("%s cut at %zu: rc %d", names[k], len, rc);
            assert_logged_once("xz: ");
            free(out.p);
        }
        free(in.p);
    }
}

/* Random bit flips: with a check, either an error or the exact output;
 * without one (text-none), just no crash and a bounded result. */
static void random_bit_flips(void **state)
{
    static const struct { const char *xz, *raw; } cases[] = {
        { "text-crc64.xz", "text.raw" }, { "code-x86.xz", "code.raw" },
        { "text-blocks.xz", "text.raw" }, { "random-crc32.xz", "random.raw" },
        { "text-none.xz", "text.raw" }, { "code-delta.xz", "code.raw" },
    };
    (void)state;
    srand(12345);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct buf in = fixture(cases[k].xz), want = fixture(cases[k].raw), out;
        bool checked = strcmp(cases[k].xz, "text-none.xz") != 0;
        for (int i = 0; i < 80; i++) {
            size_t at = (size_t)rand() % in.n;
            uint8_t bit = (uint8_t)(1u << (rand() % 8));
            in.p[at] ^= bit;
            host_log_clear();
            int rc = decode_copy(in.p, in.n, want.n + 4096, &out);
            if (rc == 0 && checked && (out.n != want.n || memcmp(out.p, want.p, want.n)))
                fail_msg("%s: flip at %zu undetected", cases[k].xz, at);
            if (rc)
                assert_logged_once("xz: ");
            assert_true(out.n <= want.n + 4096);
            free(out.p);
            in.p[at] ^= bit;
        }
        free(in.p), free(want.p);
    }
}

static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int j = 0; j < 8; j++)
            c = (c >> 1) ^ (c & 1 ? 0xedb88320u : 0);
    }
    return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decodes a modified copy of text-crc64.xz and expects `rc` and `msg`. */
static void expect_corrupt(const char *what, void (*edit)(uint8_t *, size_t), int want_rc,
                           const char *msg)
{
    struct buf in = fixture("text-crc64.xz"), out;
    edit(in.p, in.n);
    host_log_clear();
    int rc = decode_copy(in.p, in.n, 1 << 20, &out);
    if (rc != want_rc)
        fail_msg("%s: rc %d, log: %s", what, rc, host_log_text());
    assert_logged_once(msg);
    free(out.p), free(in.p);
}

static size_t index_start(const uint8_t *p, size_t n)
{
    return n - 12 - ((size_t)get32(p + n - 8) + 1) * 4;
}

static void e_hdr_crc(uint8_t *p, size_t n) { (void)n; p[9] ^= 1; }
static void e_hdr_flags(uint8_t *p, size_t n) { (void)n; p[7] = 0x14; put32(p + 8, ref_crc32(p + 6, 2)); }
static void e_blk_crc(uint8_t *p, size_t n) { (void)n; p[12 + 2] ^= 0x80; }
static void e_blk_check(uint8_t *p, size_t n) { p[index_start(p, n) - 3] ^= 4; }
static void e_idx_crc(uint8_t *p, size_t n) { p[n - 12 - 1] ^= 0x10; }
static void e_idx_rec(uint8_t *p, size_t n) { p[index_start(p, n) + 2] ^= 1; }
static void e_ftr_crc(uint8_t *p, size_t n) { p[n - 12] ^= 2; }
static void e_ftr_magic(uint8_t *p, size_t n) { p[n - 1] = 'X'; }
static void e_backward(uint8_t *p, size_t n)
{
    put32(p + n - 8, get32(p + n - 8) + 1);
    put32(p + n - 12, ref_crc32(p + n - 8, 6));
}
static void e_ftr_flags(uint8_t *p, size_t n)
{
    p[n - 3] = 0x01;
    put32(p + n - 12, ref_crc32(p + n - 8, 6));
}
static void e_lzma_data(uint8_t *p, size_t n) { (void)n; p[40] ^= 0x20; }

static void corrupt_fields_are_named(void **state)
{
    (void)state;
    expect_corrupt("header CRC", e_hdr_crc, -EINVAL, "bad stream header CRC32 at offset 0x8");
    expect_corrupt("header flags", e_hdr_flags, -EOPNOTSUPP, "unsupported stream flags");
    expect_corrupt("block header", e_blk_crc, -EINVAL, "bad block header CRC32 at offset 0xc");
    expect_corrupt("block check", e_blk_check, -EINVAL, "block CRC64 mismatch");
    expect_corrupt("index CRC", e_idx_crc, -EINVAL, "bad index CRC32");
    expect_corrupt("index record", e_idx_rec, -EINVAL, "index records differ from the blocks");
    expect_corrupt("footer CRC", e_ftr_crc, -EINVAL, "bad stream footer CRC32");
    expect_corrupt("footer magic", e_ftr_magic, -EINVAL, "bad stream footer magic");
    expect_corrupt("backward size", e_backward, -EINVAL, "backward size differs");
    expect_corrupt("footer flags", e_ftr_flags, -EINVAL, "footer flags differ");
    expect_corrupt("lzma data", e_lzma_data, -EINVAL, "xz: ");
}

/* Too small an output buffer: -ENOSPC, and nothing written past it. */
static void output_too_small(void **state)
{
    static const char *names[][2] = {
        { "text-crc64.xz", "text.raw" }, { "random-crc32.xz", "random.raw" },
        { "code-x86.xz", "code.raw" }, { "text-blocks.xz", "text.raw" },
    };
    (void)state;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        struct buf in = fixture(names[k][0]), want = fixture(names[k][1]), out;
        size_t caps[] = { 0, 1, 100, 4999, 5000, 5001, want.n / 2, want.n - 1 };
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
            host_log_clear();
            int rc = decode(in.p, in.n, caps[i], &out);
            if (rc != -ENOSPC)
                fail_msg("%s cap %zu: rc %d", names[k][0], caps[i], rc);
            assert_logged_once("output buffer too small");
            free(out.p);
        }
        assert_int_equal(decode(in.p, in.n, want.n, &out), 0);
        assert_same(out, want);
        free(out.p), free(in.p), free(want.p);
    }
}

/* The generic kernel's xz payload (setup_sects, payload_offset/length). */
static struct buf kernel_payload(uint8_t **image)
{
    size_t size;
    *image = host_kernel_load("generic", &size);
    assert_non_null(*image);
    assert_true(size > 0x250);
    size_t off = ((size_t)(*image)[0x1f1] + 1) * 512 + get32(*image + 0x248);
    size_t len = get32(*image + 0x24c);
    assert_true(off < size && len <= size - off);
    return (struct buf){ *image + off, len };
}

/* vmlinux as `xz -dc --single-stream` gives it (cached for other tests). */
static struct buf vmlinux_ref(void)
{
    static struct buf ref;
    if (!ref.p) {
        uint8_t *image;
        struct buf pl = kernel_payload(&image);
        ref = xz_tool("-dc --single-stream", pl.p, pl.n);
        free(image);
        assert_true(ref.n > (16u << 20));
    }
    return ref;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void generic_kernel_matches_xz(void **state)
{
    uint8_t *image;
    struct buf pl = kernel_payload(&image), want = vmlinux_ref(), out;
    (void)state;
    /* crc32 check; one block: x86 BCJ (0x04, no props) then LZMA2 (0x21) */
    assert_int_equal(pl.p[7], 0x01);
    assert_int_equal(pl.p[12 + 1] & 3, 1);
    assert_int_equal(pl.p[12 + 2], 0x04);
    assert_int_equal(pl.p[12 + 3], 0x00);
    assert_int_equal(pl.p[12 + 4], 0x21);
    double t = now();
    assert_int_equal(decode(pl.p, pl.n, want.n + 4096, &out), 0);
    t = now() - t;
    assert_same(out, want);
    print_message("unxz: generic kernel %zu -> %zu bytes in %.2f s (%.0f MB/s, -O1+ASan)\n",
                  pl.n, out.n, t, out.n / t / 1e6);
    free(out.p);
    /* -ENOSPC one byte short, without a full decode: the LZMA2 chunk that
     * would cross the end is refused before it is decoded */
    host_log_clear();
    assert_int_equal(decode(pl.p, pl.n, 3u << 20, &out), -ENOSPC);
    free(out.p);
    free(image);
}

/* Truncation and flips on the real payload: many cheap points near the
 * start, a few in the index and footer (those need a full decode). */
static void generic_kernel_corrupt(void **state)
{
    uint8_t *image;
    struct buf pl = kernel_payload(&image), out;
    size_t stream = pl.n - 4;   /* Linux appends the size after the stream */
    size_t cuts[] = { stream - 1, stream - 20 };    /* in the footer, the index */
    (void)state;
    srand(99);
    for (int i = 0; i < 250; i++) {
        size_t len = i < 40 ? (size_t)i : (size_t)rand() % 16384;
        host_log_clear();
        assert_int_equal(decode_copy(pl.p, len, 8u << 20, &out), -EINVAL);
        assert_logged_once("xz: ");
        free(out.p);
    }
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        assert_int_equal(decode(pl.p, cuts[i], 80u << 20, &out), -EINVAL);
        free(out.p);
    }
    for (int i = 0; i < 150; i++) {
        size_t at = (size_t)rand() % 32768;
        uint8_t bit = (uint8_t)(1u << (rand() % 8));
        pl.p[at] ^= bit;
        host_log_clear();
        int rc = decode(pl.p, pl.n, 8u << 20, &out);   /* too small if undetected */
        if (rc == 0)
            fail_msg("flip at %zu undetected", at);
        assert_logged_once("xz: ");
        free(out.p);
        pl.p[at] ^= bit;
    }
    free(image);
}

/* Varied synthetic data: text, zero runs, repeats, noise, code-like bytes. */
static struct buf synthetic(size_t n, unsigned seed)
{
    struct buf b = { malloc(n), n };
    srand(seed);
    for (size_t i = 0; i < n;) {
        size_t run = 1 + (size_t)rand() % 600, k;
        int kind = rand() % 5;
        for (k = 0; k < run && i < n; k++, i++) {
            switch (kind) {
            case 0: b.p[i] = (uint8_t)("the quick brown fox keel xen\n"[(i * 7 + k) % 29]); break;
            case 1: b.p[i] = 0; break;
            case 2: b.p[i] = i >= 300 ? b.p[i - 300] : 'a'; break;
            case 3: b.p[i] = (uint8_t)rand(); break;
            default: b.p[i] = (uint8_t)(k % 5 == 0 ? 0xe8 : rand() % 3 == 0 ? 0xff : rand() & 0x1f); break;
            }
        }
    }
    return b;
}

static void check_with_tool(const char *opts, struct buf data)
{
    struct buf x = xz_tool(opts, data.p, data.n), out;
    struct buf want = xz_tool("-dc", x.p, x.n);

    assert_int_equal(want.n, data.n);
    host_log_clear();
    int rc = decode(x.p, x.n, want.n, &out);
    if (rc)
        fail_msg("xz %s: rc %d: %s", opts, rc, host_log_text());
    assert_same(out, want);
    free(x.p), free(want.p), free(out.p);
}

/* Streams xz makes with each preset and option the spec allows us. */
static void xz_tool_presets_and_options(void **state)
{
    static const char *opts[] = {
        "-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9", "-0e", "-6e", "-9e",
        "--check=none", "--check=crc32", "--check=crc64",
        "--block-size=30000", "-T2 --block-size=40000 --check=crc32",
        "--lzma2=preset=6,lc=0,lp=0,pb=0", "--lzma2=preset=6,lc=2,lp=2,pb=1",
        "--delta=dist=2 --lzma2=preset=3", "--x86 --delta=dist=4 --lzma2=preset=1",
    };
    static const char *code_opts[] = {  /* the kernel's, and neighbours */
        "--check=crc32 --x86 --lzma2=dict=32MiB", "--x86 --lzma2=preset=9e", "--x86 --lzma2=preset=0", "-6",
    };
    struct buf syn = synthetic(150000, 1), vml = vmlinux_ref();
    struct buf code = { vml.p + (4u << 20), 256u << 10 };   /* real x86-64 code */
    (void)state;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        check_with_tool(opts[i], syn);
    for (size_t i = 0; i < sizeof(code_opts) / sizeof(code_opts[0]); i++)
        check_with_tool(code_opts[i], code);
    struct buf x = xz_tool("--check=sha256", syn.p, syn.n), out;
    host_log_clear();
    assert_int_equal(decode(x.p, x.n, syn.n, &out), -EOPNOTSUPP);
    assert_logged_once("SHA-256");
    free(x.p), free(out.p), free(syn.p);
}

/* Streams made separately by xz, concatenated with padding between. */
static void xz_tool_concatenated(void **state)
{
    struct buf a = synthetic(70000, 2), b = synthetic(0, 3), c = synthetic(123457, 4);
    struct buf xa = xz_tool("-3 --check=crc32", a.p, a.n), xb = xz_tool("-1", b.p, b.n);
    struct buf xc = xz_tool("--x86 --lzma2=preset=2 --check=none", c.p, c.n);
    struct buf pad = { calloc(1, 12), 12 }, out;
    struct buf s1 = cat3(xa, pad, xb), s = cat3(s1, pad, xc);
    struct buf want = xz_tool("-dc", s.p, s.n);
    (void)state;
    assert_int_equal(want.n, a.n + c.n);
    assert_int_equal(decode(s.p, s.n, want.n, &out), 0);
    assert_same(out, want);
    free(out.p);
    /* padding that is not a multiple of four ends the data as trailing bytes */
    s.n -= xc.n + 2;
    assert_int_equal(decode(s.p, s.n, want.n, &out), 0);
    assert_int_equal(out.n, a.n);
    free(out.p);
    free(a.p), free(b.p), free(c.p), free(xa.p), free(xb.p), free(xc.p);
    free(pad.p), free(s1.p), free(s.p), free(want.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures_decode_like_xz),
        cmocka_unit_test(concatenated_streams_with_padding),
        cmocka_unit_test(unsupported_check_and_filter),
        cmocka_unit_test(empty_and_garbage_input),
        cmocka_unit_test(truncation_at_every_length),
        cmocka_unit_test(random_bit_flips),
        cmocka_unit_test(corrupt_fields_are_named),
        cmocka_unit_test(output_too_small),
        cmocka_unit_test(generic_kernel_matches_xz),
        cmocka_unit_test(generic_kernel_corrupt),
        cmocka_unit_test(xz_tool_presets_and_options),
        cmocka_unit_test(xz_tool_concatenated),
    };
    return cmocka_run_group_tests_name("unxz", tests, NULL, NULL);
}
