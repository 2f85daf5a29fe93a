/* bzImage: locate and unpack the vmlinux payload (pure). See bzimage.h. */
#include <keel/bzimage.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define HDR_SETUP_SECTS     0x1f1
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_PAYLOAD_OFF     0x248
#define HDR_PAYLOAD_LEN     0x24c
#define HDR_END             0x250
#define SIZE_TRAILER        4

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

bool bzimage_detect(const uint8_t *img, size_t len)
{
    return len >= HDR_MAGIC + 4 && !memcmp(img + HDR_MAGIC, "HdrS", 4);
}

static int locate_payload(const uint8_t *img, size_t len, struct bzimage *out)
{
    unsigned setup_sects = img[HDR_SETUP_SECTS];
    uint64_t off, plen = rd32(img + HDR_PAYLOAD_LEN);

    /* Boot protocol: setup_sects 0 means 4. */
    if (!setup_sects)
        setup_sects = 4;
    off = (uint64_t)(setup_sects + 1) * 512 + rd32(img + HDR_PAYLOAD_OFF);
    if (off > len || plen > len - off) {
        log_err("bzimage: payload (offset 0x%lx, %lu bytes) past end of file (%zu bytes): truncated image\n",
                off, plen, len);
        return -EINVAL;
    }
    if (plen <= SIZE_TRAILER) {
        log_err("bzimage: payload of %lu bytes is too short\n", plen);
        return -EINVAL;
    }
    out->payload_off = off;
    out->payload_len = plen;
    return 0;
}

int bzimage_probe(const uint8_t *img, size_t len, struct bzimage *out)
{
    memset(out, 0, sizeof(*out));
    if (!bzimage_detect(img, len)) {
        log_err("bzimage: no HdrS boot header\n");
        return -EINVAL;
    }
    if (len < HDR_END) {
        log_err("bzimage: file of %zu bytes ends inside the setup header\n", len);
        return -EINVAL;
    }
    out->version = (uint16_t)(img[HDR_VERSION] | img[HDR_VERSION + 1] << 8);
    if (out->version < BZIMAGE_MIN_VERSION) {
        log_err("bzimage: boot protocol %x.%02x too old (need 2.08)\n",
                out->version >> 8, out->version & 0xff);
        return -EINVAL;
    }
    int rc = locate_payload(img, len, out);
    if (rc)
        return rc;

    const uint8_t *p = img + out->payload_off;
    if (out->payload_len >= 4 && !memcmp(p, "\x7f" "ELF", 4)) {
        out->format = "elf";
        out->unpacked_size = out->payload_len;
        return 0;
    }
    out->decode = decompress_pick(p, out->payload_len, &out->format);
    if (!out->decode) {
        log_err("bzimage: payload compression not recognised (magic %02x %02x %02x %02x)\n",
                p[0], p[1], p[2], p[3]);
        return -EINVAL;
    }
    out->compressed = true;
    out->unpacked_size = rd32(p + out->payload_len - SIZE_TRAILER);
    if (!out->unpacked_size) {
        log_err("bzimage: %s payload announces a decompressed size of 0\n", out->format);
        return -EINVAL;
    }
    return 0;
}

int bzimage_unpack(const struct bzimage *bz, const uint8_t *img, uint8_t *out,
                   size_t max, size_t *out_len)
{
    const uint8_t *p = img + bz->payload_off;
    size_t n = 0;

    if (bz->unpacked_size > max) {
        log_err("bzimage: payload unpacks to %zu bytes, more than the limit of %zu\n",
                bz->unpacked_size, max);
        return -ENOSPC;
    }
    if (!bz->compressed) {
        memcpy(out, p, bz->payload_len);
        *out_len = bz->payload_len;
        return 0;
    }
    /* The size trailer is not part of the compressed stream. */
    int rc = bz->decode(p, bz->payload_len - SIZE_TRAILER, out, bz->unpacked_size, &n);
    if (rc == -ENOSPC) {
        log_err("bzimage: %s payload decodes to more than the %zu bytes it announces\n",
                bz->format, bz->unpacked_size);
        return -EINVAL;
    }
    if (rc) {
        log_err("bzimage: %s payload is corrupt (error %d)\n", bz->format, rc);
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    if (n != bz->unpacked_size) {
        log_err("bzimage: %s payload decoded to %zu bytes, announced %zu\n",
                bz->format, n, bz->unpacked_size);
        return -EINVAL;
    }
    *out_len = n;
    return 0;
}
