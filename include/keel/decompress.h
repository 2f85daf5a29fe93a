/* Decompressors for the payload of a Linux bzImage (pure; host-tested on
 * Debian's real kernels and on corrupt input). Each decodes a whole stream
 * from `in` into `out` in one call (the output buffer doubles as the
 * dictionary/window, so no large workspace is needed).
 *
 * Returns 0 and the decoded size in *out_len, or a negative errno:
 *   -EINVAL  corrupt or truncated input (a log_err line names the reason and
 *            the input offset)
 *   -ENOSPC  the output would exceed out_cap
 *   -ENOMEM  workspace allocation (kmalloc) failed
 *   -EOPNOTSUPP  a valid stream using a feature this decoder does not support
 * Never reads in[] beyond in_len nor writes out[] beyond out_cap. */
#ifndef KEEL_DECOMPRESS_H
#define KEEL_DECOMPRESS_H

#include <keel/types.h>

typedef int (*decompress_fn)(const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_cap, size_t *out_len);

int gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
int unlz4(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Picks the decoder from the magic bytes (gzip 1f 8b; lz4 legacy 02 21 4c 18
 * or lz4 frame 04 22 4d 18; xz fd 37 7a 58 5a 00; zstd 28 b5 2f fd).
 * Returns NULL and sets *name to "unknown" if none matches. */
decompress_fn decompress_pick(const uint8_t *in, size_t in_len, const char **name);

#endif
