/* Formatting for the test kernels: the hypervisor's own pure vsnprintf
 * (hv/lib/vsnprintf.c, host-tested against the C library) is linked in. */
#include "family.h"

/* From hv/lib/vsnprintf.c (not via keel/printf.h, whose names would
 * replace the guest's own vsnprintf/snprintf). */
int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return keel_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = keel_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
