/* XXH64 (xxHash specification, 64-bit variant), one-shot over a buffer.
 * Zstandard frames carry its low 32 bits (seed 0) as Content_Checksum. */
#include "zstd_internal.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t v, unsigned r)
{
    return (v << r) | (v >> (64 - r));
}

static inline uint64_t xxh64_round(uint64_t acc, uint64_t lane)
{
    acc += lane * P2;
    return rotl64(acc, 31) * P1;
}

static inline uint64_t xxh64_merge(uint64_t acc, uint64_t v)
{
    acc ^= xxh64_round(0, v);
    return acc * P1 + P4;
}

/* The four-lane main loop over whole 32-byte stripes. */
static uint64_t xxh64_stripes(const uint8_t **pp, size_t *len, uint64_t seed)
{
    const uint8_t *p = *pp;
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;

    for (; *len >= 32; *len -= 32, p += 32) {
        v1 = xxh64_round(v1, zstd_le64(p));
        v2 = xxh64_round(v2, zstd_le64(p + 8));
        v3 = xxh64_round(v3, zstd_le64(p + 16));
        v4 = xxh64_round(v4, zstd_le64(p + 24));
    }
    *pp = p;
    uint64_t acc = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    acc = xxh64_merge(acc, v1);
    acc = xxh64_merge(acc, v2);
    acc = xxh64_merge(acc, v3);
    return xxh64_merge(acc, v4);
}

uint64_t xxh64(const uint8_t *p, size_t len, uint64_t seed)
{
    uint64_t total = len;
    uint64_t acc = len >= 32 ? xxh64_stripes(&p, &len, seed) : seed + P5;

    acc += total;
    for (; len >= 8; len -= 8, p += 8) {
        acc ^= xxh64_round(0, zstd_le64(p));
        acc = rotl64(acc, 27) * P1 + P4;
    }
    if (len >= 4) {
        acc ^= (uint64_t)zstd_le32(p) * P1;
        acc = rotl64(acc, 23) * P2 + P3;
        len -= 4;
        p += 4;
    }
    for (; len > 0; len--, p++) {
        acc ^= *p * P5;
        acc = rotl64(acc, 11) * P1;
    }
    acc ^= acc >> 33;
    acc *= P2;
    acc ^= acc >> 29;
    acc *= P3;
    acc ^= acc >> 32;
    return acc;
}
