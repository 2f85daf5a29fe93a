/* Test helpers shared by test_pv_image.c and test_pv_layout.c: Debian's real
 * kernels as bzImage and as the vmlinux inside, the latter unpacked by the
 * host's own lz4/xz tools (independent of our decompressors). */
#ifndef PV_KERNELS_H
#define PV_KERNELS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host_kernels.h"

struct pv_kernel {
    uint8_t *bz;            /* the vmlinuz file */
    size_t bz_len;
    uint8_t *elf;           /* its vmlinux, unpacked by the host tool */
    size_t elf_len;
    uint32_t trailer;       /* last 4 bytes of the payload */
};

static inline uint32_t pvk_rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Payload location per the boot protocol, computed here independently. */
static inline int pvk_payload(const uint8_t *bz, size_t len, size_t *off, size_t *plen)
{
    if (len < 0x250 || memcmp(bz + 0x202, "HdrS", 4))
        return -1;
    unsigned ss = bz[0x1f1] ? bz[0x1f1] : 4;
    *off = (size_t)(ss + 1) * 512 + pvk_rd32(bz + 0x248);
    *plen = pvk_rd32(bz + 0x24c);
    return *off + *plen <= len ? 0 : -1;
}

/* Runs `tool -dc` on the payload without its size trailer. */
static inline uint8_t *pvk_host_unpack(const uint8_t *p, size_t n, const char *tool, size_t *out_len)
{
    char path[] = "/tmp/keel-pvk-XXXXXX", cmd[128];
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, p, n) != (ssize_t)n) {
        close(fd);
        unlink(path);
        return NULL;
    }
    close(fd);
    snprintf(cmd, sizeof(cmd), "%s -dc %s", tool, path);
    FILE *f = popen(cmd, "r");
    size_t cap = 1 << 26, len = 0;
    uint8_t *buf = malloc(cap);
    while (f && buf) {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        if (!r)
            break;
        len += r;
    }
    if (f && pclose(f) != 0) {
        free(buf);
        buf = NULL;
    }
    unlink(path);
    *out_len = len;
    return buf;
}

/* "cloud" (lz4) or "generic" (xz). Returns 0 when both forms loaded. */
static inline int pvk_load(const char *name, struct pv_kernel *k)
{
    size_t off, plen;

    memset(k, 0, sizeof(*k));
    k->bz = host_kernel_load(name, &k->bz_len);
    if (!k->bz || pvk_payload(k->bz, k->bz_len, &off, &plen) || plen < 4)
        return -1;
    k->trailer = pvk_rd32(k->bz + off + plen - 4);
    const char *tool = k->bz[off] == 0x02 ? "lz4" : "xz";
    k->elf = pvk_host_unpack(k->bz + off, plen - 4, tool, &k->elf_len);
    return k->elf ? 0 : -1;
}

static inline void pvk_free(struct pv_kernel *k)
{
    free(k->bz);
    free(k->elf);
    memset(k, 0, sizeof(*k));
}

#endif
