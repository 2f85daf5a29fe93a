/* Chooses a decompressor from the magic bytes at the start of a payload. */
#include <keel/decompress.h>
#include <keel/string.h>

struct magic {
    uint8_t bytes[6];
    uint8_t len;
    const char *name;
    decompress_fn fn;
};

static const struct magic magics[] = {
    { { 0x1f, 0x8b }, 2, "gzip", gunzip },
    { { 0x02, 0x21, 0x4c, 0x18 }, 4, "lz4", unlz4 },                /* legacy frame */
    { { 0x04, 0x22, 0x4d, 0x18 }, 4, "lz4", unlz4 },                /* standard frame */
    { { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, 6, "xz", unxz },
    { { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd", unzstd },
};

decompress_fn decompress_pick(const uint8_t *in, size_t in_len, const char **name)
{
    for (size_t i = 0; i < ARRAY_SIZE(magics); i++) {
        const struct magic *m = &magics[i];
        if (in_len >= m->len && memcmp(in, m->bytes, m->len) == 0) {
            if (name)
                *name = m->name;
            return m->fn;
        }
    }
    if (name)
        *name = "unknown";
    return NULL;
}
