/* Unit tests for hv/decompress/unlz4.c. Oracles: the lz4 tool (`lz4 -d` on
 * Debian's cloud kernel payload; streams made at run time with its frame
 * options; `lz4 -dc` on hand-made streams) and committed fixtures made by
 * lz4 (tests/unit/fixtures/unlz4/make-fixtures.sh). */
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

#define FIXTURES "tests/unit/fixtures/unlz4/"
#define MiB8 (8u << 20)

static char tmpdir[] = "/tmp/keel-unlz4-XXXXXX";

/* ---- helpers ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
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

/* The cloud bzImage's payload, Linux's size trailer included. */
static uint8_t *cloud_payload(size_t *n)
{
    size_t klen;
    uint8_t *k = host_kernel_load("cloud", &klen);
    assert_non_null(k);
    assert_true(klen > 0x250);
    uint32_t poff, plen;
    memcpy(&poff, k + 0x248, 4);
    memcpy(&plen, k + 0x24c, 4);
    size_t start = ((size_t)k[0x1f1] + 1) * 512 + poff;
    assert_true(start + plen <= klen && plen > 8);
    uint8_t *p = malloc(plen);
    memcpy(p, k + start, plen);
    free(k);
    *n = plen;
    return p;
}

static unsigned log_lines(void)
{
    unsigned n = 0;
    for (const char *p = host_log_text(); *p; p++)
        n += *p == '\n';
    return n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void expect_decodes(const uint8_t *in, size_t n, const uint8_t *want, size_t want_n)
{
    uint8_t *out = malloc(want_n ? want_n : 1);     /* exact size: ASan sees any overrun */
    size_t len = 12345;
    host_log_clear();
    int rc = unlz4(in, n, out, want_n, &len);
    if (rc)
        fail_msg("unlz4 %d: %s", rc, host_log_text());
    assert_int_equal(len, want_n);
    assert_memory_equal(out, want, want_n);
    assert_int_equal(log_lines(), 0);
    free(out);
}

/* Rejected with want_rc and exactly one "lz4:" log line naming why. */
static void expect_error(const uint8_t *in, size_t n, size_t cap, int want_rc, const char *why)
{
    uint8_t *out = malloc(cap ? cap : 1);
    size_t len = 12345;
    host_log_clear();
    int rc = unlz4(in, n, out, cap, &len);
    if (rc != want_rc)
        fail_msg("rc %d, want %d: %s", rc, want_rc, host_log_text());
    assert_int_equal(len, 0);
    assert_int_equal(log_lines(), 1);
    assert_true(host_log_contains("lz4: "));
    if (why && !host_log_contains(why))
        fail_msg("log \"%s\" lacks \"%s\"", host_log_text(), why);
    free(out);
}

/* Any outcome but a crash or overrun; returns rc. With `exact`, success
 * must give the right output (the stream carries checksums). */
static int expect_safe(const uint8_t *in, size_t n, const uint8_t *want, size_t want_n, bool exact)
{
    size_t cap = want_n + 64, len;
    uint8_t *out = malloc(cap);
    host_log_clear();
    int rc = unlz4(in, n, out, cap, &len);
    if (rc == 0) {
        assert_true(len <= cap);
        if (exact) {
            assert_int_equal(len, want_n);
            assert_memory_equal(out, want, want_n);
        }
    } else {
        assert_true(rc == -EINVAL || rc == -ENOSPC || rc == -EOPNOTSUPP);
        assert_int_equal(log_lines(), 1);
    }
    free(out);
    return rc;
}

/* Compressible data with zero runs, repeats at many distances and noise. */
static uint8_t *make_mixed(size_t n)
{
    static const char *words[] = { "page ", "table ", "guest ", "frame ", "hypercall ", "vcpu\n" };
    uint8_t *p = calloc(1, n ? n : 1);
    for (size_t i = 0; i < n;) {
        size_t run = 1 + rnd() % 4000;
        unsigned kind = rnd() % 4;
        for (size_t j = 0; j < run && i < n; j++, i++) {
            if (kind == 0)
                p[i] = (uint8_t)rnd();
            else if (kind == 1)
                p[i] = (uint8_t)words[(i / 7) % 6][i % 5];
            else if (kind == 2)
                p[i] = i >= 70000 ? p[i - 70000 + rnd() % 3] : 0;   /* beyond 64 KiB back */
        }
    }
    return p;
}

static uint8_t *make_random(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

/* Tries every header checksum byte at hc: returns the one the decoder
 * accepts (the other 255 must fail as "bad header checksum"). */
static uint8_t fix_header_checksum(uint8_t *in, size_t n, size_t hc)
{
    int found = -1;
    uint8_t out[64];
    size_t len;
    for (int v = 0; v < 256; v++) {
        in[hc] = (uint8_t)v;
        host_log_clear();
        unlz4(in, n, out, sizeof(out), &len);
        if (!host_log_contains("bad header checksum")) {
            assert_int_equal(found, -1);
            found = v;
        }
    }
    assert_true(found >= 0);
    in[hc] = (uint8_t)found;
    return (uint8_t)found;
}

/* ---- tests ---- */

static void kernel_payload_matches_lz4(void **state)
{
    size_t plen, vlen, len;
    (void)state;
    uint8_t *p = cloud_payload(&plen);
    uint8_t *v = run_tool("lz4 -d -q -c %1$s > %2$s", p, plen - 4, &vlen);   /* lz4 rejects the trailer */
    assert_true(vlen > (16u << 20));
    uint32_t trailer;
    memcpy(&trailer, p + plen - 4, 4);
    assert_int_equal(trailer, (uint32_t)vlen);

    expect_decodes(p, plen, v, vlen);
    expect_decodes(p, plen - 4, v, vlen);
    p[plen - 1] ^= 0x10;
    expect_error(p, plen, vlen, -EINVAL, NULL);      /* size field, no block */
    p[plen - 1] ^= 0x10;
    expect_error(p, plen, vlen - 1, -ENOSPC, "exceeds");

    /* Truncated: fails, unless cut at a block boundary (legacy frames end
     * at end of input): then a whole number of 8 MiB blocks comes out. */
    uint8_t *out = malloc(vlen);
    for (int i = 0; i < 250; i++) {
        size_t cut = rnd() % (i < 200 ? plen / 4 : plen);   /* early cuts decode faster */
        host_log_clear();
        int rc = unlz4(p, cut, out, vlen, &len);
        if (rc == 0) {
            assert_true(len % MiB8 == 0 && len < vlen);
            assert_memory_equal(out, v, len);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_int_equal(log_lines(), 1);
        }
    }
    /* Bit flips: no checksums in a legacy frame, so only safety counts.
     * Flips go into the first two blocks, and only those are decoded. */
    uint32_t c1, c2;
    memcpy(&c1, p + 4, 4);
    assert_true(c1 < plen / 2);
    memcpy(&c2, p + 8 + c1, 4);
    size_t two = 8 + (size_t)c1 + 4 + c2;
    assert_true(two < plen);
    for (int i = 0; i < 200; i++) {
        size_t at = rnd() % two;
        uint8_t bit = (uint8_t)(1u << (rnd() % 8));
        p[at] ^= bit;
        host_log_clear();
        int rc = unlz4(p, two, out, vlen, &len);
        assert_true(rc == 0 ? len <= vlen : rc == -EINVAL || rc == -ENOSPC);
        assert_int_equal(log_lines(), rc != 0);
        p[at] ^= bit;
    }
    free(out);
    free(v);
    free(p);
}

static void tool_frames_with_every_option(void **state)
{
    static const struct {
        const char *opts;
        bool random;
        size_t size;
        uint8_t flg_set;        /* FLG bits that must be set */
    } cases[] = {
        { "", false, 600000, 0x64 },                      /* v1, indep, content csum */
        { "--content-size", false, 600000, 0x6c },
        { "-BD", false, 600000, 0x44 },
        { "-BX", false, 600000, 0x74 },
        { "--no-frame-crc", false, 600000, 0x60 },
        { "-B4 -BD -BX --content-size", false, 600000, 0x5c },
        { "-B5", false, 600000, 0x64 },
        { "-B6 -9", false, 3000000, 0x64 },
        { "-B7 -1 --favor-decSpeed", false, 5000000, 0x64 },
        { "-B4 -BX", true, 300000, 0x74 },                /* incompressible: stored blocks */
        { "--content-size", false, 0, 0x64 },             /* empty: size 0 is left out */
        { "-l", false, 600000, 0 },                       /* legacy */
        { "-l -9", false, 9000000, 0 },                   /* legacy, two blocks */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char cmd[256];
        size_t n = cases[i].size, zlen;
        uint8_t *data = cases[i].random ? make_random(n) : make_mixed(n);
        snprintf(cmd, sizeof(cmd), "lz4 -q -f -c %s %%1$s > %%2$s", cases[i].opts);
        uint8_t *z = run_tool(cmd, data, n, &zlen);
        if (cases[i].flg_set)
            assert_int_equal(z[4] & cases[i].flg_set, cases[i].flg_set);
        expect_decodes(z, zlen, data, n);
        free(z);
        free(data);
    }
}

static void committed_fixtures(void **state)
{
    static const char *names[] = { "legacy", "frame", "frame-linked-bx-size", "frame-stored", "empty" };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char zp[128], op[128];
        size_t zlen, olen = 0;
        snprintf(zp, sizeof(zp), FIXTURES "%s.lz4", names[i]);
        snprintf(op, sizeof(op), FIXTURES "%s.out", names[i]);
        uint8_t *z = host_file_load(zp, &zlen);
        uint8_t *want = host_file_load(op, &olen);
        assert_non_null(z);
        expect_decodes(z, zlen, want ? want : (const uint8_t *)"", olen);
        free(z);
        free(want);
    }
}

/* frame + skippable frame + legacy frame + frame, as lz4 -dc sees it. */
static void concatenated_and_skippable_frames(void **state)
{
    size_t na = 100000, nb = 50000, nc = 70000, la, lb, lc, olen;
    (void)state;
    uint8_t *a = make_mixed(na), *b = make_mixed(nb), *c = make_random(nc);
    uint8_t *za = run_tool("lz4 -q -c %1$s > %2$s", a, na, &la);
    uint8_t *zb = run_tool("lz4 -q -l -c %1$s > %2$s", b, nb, &lb);
    uint8_t *zc = run_tool("lz4 -q -BX -c %1$s > %2$s", c, nc, &lc);
    uint8_t skip[8 + 5] = { 0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5 };
    size_t n = la + sizeof(skip) + lb + lc;
    uint8_t *all = malloc(n), *want = malloc(na + nb + nc);
    memcpy(all, za, la);
    memcpy(all + la, skip, sizeof(skip));
    memcpy(all + la + sizeof(skip), zb, lb);
    memcpy(all + la + sizeof(skip) + lb, zc, lc);
    memcpy(want, a, na);
    memcpy(want + na, b, nb);
    memcpy(want + na + nb, c, nc);
    uint8_t *oracle = run_tool("lz4 -d -q -c %1$s > %2$s", all, n, &olen);
    assert_int_equal(olen, na + nb + nc);
    assert_memory_equal(oracle, want, olen);
    expect_decodes(all, n, want, olen);

    /* A legacy frame ended by a 0 size field, then a frame. */
    memcpy(all, zb, lb);
    put_le32(all + lb, 0);
    memcpy(all + lb + 4, za, la);
    memcpy(want, b, nb);
    memcpy(want + nb, a, na);
    expect_decodes(all, lb + 4 + la, want, nb + na);
    /* Trailing bytes that are no frame. */
    all[lb + 4] ^= 0xff;
    expect_error(all, lb + 4 + la, nb + na, -EINVAL, "bad frame magic");
    expect_error(all, lb + 4 + 3, nb + na, -EINVAL, "truncated frame magic");
    /* Skippable frame running past the end. */
    expect_error(skip, sizeof(skip) - 1, 16, -EINVAL, "skippable");
    free(oracle);
    free(all);
    free(want);
    free(za);
    free(zb);
    free(zc);
    free(a);
    free(b);
    free(c);
}

/* Hand-made legacy blocks: what lz4 -dc makes of them, and our errors. */
static void hand_made_blocks(void **state)
{
    static const uint8_t block[] = {
        0x44, 'a', 'b', 'c', 'd', 4, 0,                 /* 4 literals, match 8 at 4 */
        0xff, 0, 'L', 'I', 'T', 'E', 'R', 'A', 'L', 'S', '-', 'x', 'x', 'x', 'x', 'x', 'x',
        1, 0, 255, 10,                                  /* 15 literals, match 4+15+255+10 at 1 */
        0xf0, 255, 10 - 0,                              /* 280 literals follow */
    };
    uint8_t in[1024], out[2048];
    size_t n = 0, olen;
    (void)state;
    put_le32(in, 0x184c2102);
    n = 8;
    memcpy(in + n, block, sizeof(block));
    n += sizeof(block);
    for (int i = 0; i < 280; i++)
        in[n++] = (uint8_t)('A' + i % 26);
    put_le32(in + 4, (uint32_t)(n - 8));
    uint8_t *oracle = run_tool("lz4 -d -q -c %1$s > %2$s", in, n, &olen);
    assert_int_equal(olen, 4 + 8 + 15 + 284 + 280);
    assert_memory_equal(oracle, "abcdabcdabcdLITERALS-xxxxxx", 27);
    expect_decodes(in, n, oracle, olen);
    for (size_t cut = 0; cut < n; cut++)
        if (cut != 4)       /* magic alone: an empty legacy frame */
            expect_error(in, cut, olen, -EINVAL, NULL);
    for (size_t cap = 0; cap < olen; cap += 7)
        expect_error(in, n, cap, -ENOSPC, "exceeds");
    memcpy(out, oracle, olen);
    free(oracle);

#define BLOCK(why, ...) do { \
        static const uint8_t b_[] = { __VA_ARGS__ }; \
        put_le32(in + 4, sizeof(b_)); \
        memcpy(in + 8, b_, sizeof(b_)); \
        expect_error(in, 8 + sizeof(b_), 64, -EINVAL, why); \
    } while (0)
    BLOCK("zero match offset", 0x10, 'a', 0, 0, 0x50, 1, 2, 3, 4, 5);
    BLOCK("before start of window", 0x10, 'a', 2, 0, 0x50, 1, 2, 3, 4, 5);
    BLOCK("truncated literal length", 0xf0, 255);
    BLOCK("literals past end", 0x50, 'a', 'b');
    BLOCK("truncated match offset", 0x10, 'a', 1);
    BLOCK("truncated match length", 0x1f, 'a', 1, 0, 255);
    BLOCK("truncated block", 0x10, 'a', 1, 0);         /* ends with a match */
#undef BLOCK
    put_le32(in + 4, 0x7fffffff);
    expect_error(in, n, olen, -EINVAL, "too large");
    put_le32(in + 4, 100);
    expect_error(in, 8 + 50, olen, -EINVAL, "truncated block");

    /* Legacy blocks are independent: the second may not reach the first. */
    static const uint8_t two[] = {
        0x02, 0x21, 0x4c, 0x18, 6, 0, 0, 0, 0x50, 'h', 'e', 'l', 'l', 'o',
        7, 0, 0, 0, 0x00, 5, 0, 0x10, 'x', 1, 0,
    };
    expect_error(two, sizeof(two), 64, -EINVAL, "before start of window");
    /* A block may not decode to more than 8 MiB. */
    size_t bn = 8 + 4 + 33000 + 2;
    uint8_t *big = calloc(1, bn);
    put_le32(big, 0x184c2102);
    put_le32(big + 4, (uint32_t)(bn - 8));
    big[8] = 0x1f;
    big[9] = 'z';
    put_le32(big + 10, 1);                                /* offset 1 (2 bytes) */
    memset(big + 12, 255, 33000);                         /* match length > 8 MiB */
    big[12 + 33000] = 0;
    big[13 + 33000] = 0x00;                               /* final empty sequence */
    uint8_t *bigout = malloc(MiB8 + (1u << 20));
    host_log_clear();
    assert_int_equal(unlz4(big, bn, bigout, MiB8 + (1u << 20), &olen), -EINVAL);
    assert_true(host_log_contains("past its maximum size"));
    free(bigout);
    free(big);
}

/* Frame descriptor checks: flags that need a newer decoder, dictionaries,
 * block sizes, checksums and content size, each with a valid header
 * checksum found by trying all 256 values. */
static void frame_header_and_checksums(void **state)
{
    size_t n = 200000, zlen;
    (void)state;
    uint8_t *data = make_mixed(n);
    uint8_t *z = run_tool("lz4 -q -B4 -BX --content-size -c %1$s > %2$s", data, n, &zlen);
    const size_t hc = 4 + 2 + 8;
    assert_int_equal(z[4], 0x7c);
    uint8_t flg = z[4], bd = z[5], good_hc = z[hc];
    expect_decodes(z, zlen, data, n);

    z[hc] ^= 1;
    expect_error(z, zlen, n, -EINVAL, "bad header checksum");
    z[4] = flg | 0x02;                     /* reserved bit */
    fix_header_checksum(z, zlen, hc);
    expect_error(z, zlen, n, -EOPNOTSUPP, "unsupported");
    z[4] = (flg & 0x3f) | 0x80;            /* version 2 */
    fix_header_checksum(z, zlen, hc);
    expect_error(z, zlen, n, -EOPNOTSUPP, "unsupported");
    z[4] = flg;
    z[5] = 0x30;                           /* block maximum id 3 */
    fix_header_checksum(z, zlen, hc);
    expect_error(z, zlen, n, -EOPNOTSUPP, "unsupported");
    z[5] = bd;
    z[6] += 1;                             /* content size one too big */
    fix_header_checksum(z, zlen, hc);
    expect_error(z, zlen, n + 1, -EINVAL, "content size mismatch");
    expect_error(z, zlen, n, -ENOSPC, "content size");
    z[6] -= 1;
    z[hc] = good_hc;
    expect_decodes(z, zlen, data, n);

    /* Dictionary ID flag: needs 4 more descriptor bytes. */
    uint8_t dict[] = { 0x04, 0x22, 0x4d, 0x18, 0x61, 0x40, 1, 2, 3, 4, 0, 0, 0, 0, 0 };
    fix_header_checksum(dict, sizeof(dict), 10);
    expect_error(dict, sizeof(dict), 64, -EOPNOTSUPP, "dictionary");

    /* First block: size field at 15, data, checksum after it. */
    uint32_t b0;
    memcpy(&b0, z + hc + 1, 4);
    size_t b0n = b0 & 0x7fffffff, b0data = hc + 5;
    z[b0data + 3] ^= 0x20;
    expect_error(z, zlen, n, -EINVAL, "bad block checksum");
    z[b0data + 3] ^= 0x20;
    z[b0data + b0n] ^= 1;
    expect_error(z, zlen, n, -EINVAL, "bad block checksum");
    z[b0data + b0n] ^= 1;
    put_le32(z + hc + 1, 65537);
    expect_error(z, zlen, n, -EINVAL, "exceeds the frame's maximum");
    put_le32(z + hc + 1, b0);
    z[zlen - 2] ^= 4;
    expect_error(z, zlen, n, -EINVAL, "bad content checksum");
    z[zlen - 2] ^= 4;

    /* Every proper prefix fails; bit flips never give wrong output. */
    uint8_t *small = run_tool("lz4 -q -B4 -BX -BD -c %1$s > %2$s", data, 20000, &zlen);
    for (size_t cut = 0; cut < zlen; cut++)
        expect_error(small, cut, 20000, -EINVAL, NULL);
    int failed = 0;
    for (int i = 0; i < 400; i++) {
        size_t at = rnd() % zlen;
        uint8_t bit = (uint8_t)(1u << (rnd() % 8));
        small[at] ^= bit;
        failed += expect_safe(small, zlen, data, 20000, true) != 0;
        small[at] ^= bit;
    }
    assert_true(failed >= 390);
    free(small);
    /* Uncompressed block larger than the output buffer. */
    uint8_t *r = make_random(5000);
    uint8_t *rz = run_tool("lz4 -q -B4 -c %1$s > %2$s", r, 5000, &zlen);
    assert_true(rz[7 + 3] & 0x80);
    expect_error(rz, zlen, 4999, -ENOSPC, "exceeds");
    free(rz);
    free(r);
    free(z);
    free(data);
}

static void garbage_and_short_input(void **state)
{
    static const uint8_t magics[][4] = {
        { 0x02, 0x21, 0x4c, 0x18 }, { 0x04, 0x22, 0x4d, 0x18 }, { 0x50, 0x2a, 0x4d, 0x18 },
    };
    uint8_t buf[4096] = { 0 };
    (void)state;
    expect_error(buf, 0, 16, -EINVAL, "empty input");
    memcpy(buf, magics[0], 4);
    expect_error(buf, 3, 16, -EINVAL, "truncated frame magic");
    expect_error(magics[1], 4, 16, -EINVAL, "truncated frame descriptor");
    memset(buf, 0x5a, 16);
    expect_error(buf, 16, 16, -EINVAL, "bad frame magic");
    for (int i = 0; i < 300; i++) {
        size_t n = 4 + rnd() % (sizeof(buf) - 4);
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)rnd();
        memcpy(buf, magics[i % 3], 4);
        if (i % 3 == 0)
            put_le32(buf + 4, (uint32_t)(n - 8));   /* plausible legacy block */
        expect_safe(buf, n, NULL, 2000, false);
    }
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
        cmocka_unit_test(kernel_payload_matches_lz4),
        cmocka_unit_test(tool_frames_with_every_option),
        cmocka_unit_test(committed_fixtures),
        cmocka_unit_test(concatenated_and_skippable_frames),
        cmocka_unit_test(hand_made_blocks),
        cmocka_unit_test(frame_header_and_checksums),
        cmocka_unit_test(garbage_and_short_input),
    };
    return cmocka_run_group_tests_name("unlz4", tests, setup, teardown);
}
