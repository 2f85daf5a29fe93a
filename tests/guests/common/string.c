/* String functions for the test kernels: memcpy, memset, strlen and the
 * rest come from the hypervisor's hv/lib/string.c; only strstr is extra. */
#include "family.h"

char *strstr(const char *h, const char *n)
{
    size_t len = strlen(n);
    for (; *h; h++)
        if (!strncmp(h, n, len))
            return (char *)h;
    return len ? NULL : (char *)h;
}
