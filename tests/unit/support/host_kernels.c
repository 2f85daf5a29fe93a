#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_kernels.h"

uint8_t *host_file_load(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *size = (size_t)n;
    return buf;
}

uint8_t *host_kernel_load(const char *name, size_t *size)
{
    char dir[512], path[1024];
    const char *cache = getenv("KEEL_CACHE");
    const char *home = getenv("HOME");
    if (cache)
        snprintf(dir, sizeof(dir), "%s/kernels/%s/boot", cache, name);
    else
        snprintf(dir, sizeof(dir), "%s/.cache/keel/kernels/%s/boot", home ? home : "/root", name);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "host_kernel_load: %s missing (run tools/fetch-kernels.sh)\n", dir);
        return NULL;
    }
    struct dirent *e;
    uint8_t *buf = NULL;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, "vmlinuz-", 8)) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            buf = host_file_load(path, size);
            break;
        }
    }
    closedir(d);
    return buf;
}
