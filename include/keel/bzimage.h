/* Linux bzImage wrapping of a PV kernel (pure). Ref: shared/ref/xen-pv-abi.md
 * §1.5 and Linux's boot protocol (Documentation/arch/x86/boot.rst, facts
 * only): "HdrS" at 0x202, version >= 0x208 for payload_offset/length; the
 * payload is an ELF vmlinux, usually compressed, and the kernel build appends
 * the uncompressed size as a u32 LE after the compressed stream (checked on
 * Debian 6.1: lz4 and xz payloads both end with it). */
#ifndef KEEL_BZIMAGE_H
#define KEEL_BZIMAGE_H

#include <keel/types.h>
#include <keel/decompress.h>

#define BZIMAGE_MIN_VERSION     0x0208

struct bzimage {
    uint16_t version;           /* boot protocol version */
    size_t payload_off;         /* in the file */
    size_t payload_len;         /* including the 4-byte size trailer */
    bool compressed;            /* false: the payload is a raw ELF */
    const char *format;         /* "elf", "gzip", "lz4", "xz", "zstd" */
    decompress_fn decode;       /* NULL when !compressed */
    size_t unpacked_size;       /* size of the ELF inside */
};

/* True if the image carries the "HdrS" boot header. */
bool bzimage_detect(const uint8_t *img, size_t len);

/* Reads the header and locates the payload. Returns 0, or -EINVAL
 * (truncated, too old, payload outside the file, unknown compression, bad
 * size trailer) with a log_err line. */
int bzimage_probe(const uint8_t *img, size_t len, struct bzimage *out);

/* Decompresses the payload into out[0..max): fails with -ENOSPC if the
 * announced size exceeds max, -EINVAL if the stream is corrupt or does not
 * produce exactly the announced size. For a raw ELF payload, copies it. */
int bzimage_unpack(const struct bzimage *bz, const uint8_t *img, uint8_t *out,
                   size_t max, size_t *out_len);

#endif
