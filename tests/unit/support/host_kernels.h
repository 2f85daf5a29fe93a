/* Paths of the Debian kernels tools/fetch-kernels.sh caches, for unit
 * tests that work on real images. A test that needs one and cannot find it
 * fails (it never skips): `make unit` fetches them first. */
#ifndef HOST_KERNELS_H
#define HOST_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* "cloud" (lz4 bzImage, PV domU) or "generic" (xz bzImage, dom0). Returns
 * a malloc'ed copy of the file and its size, or NULL. */
uint8_t *host_kernel_load(const char *name, size_t *size);
/* Any file (e.g. a test fixture); NULL if unreadable. */
uint8_t *host_file_load(const char *path, size_t *size);

#endif
