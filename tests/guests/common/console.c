/* Console output through console_io(CONSOLEIO_write) - what dom0 uses on
 * Xen (ref §5.12; Keel lets every domain write). Lines are formatted into a
 * buffer and written whole. */
#include "family.h"

void console_write(const char *s, size_t len)
{
    while (len) {
        unsigned chunk = len > 1024 ? 1024 : (unsigned)len;
        HYPERVISOR_console_io(CONSOLEIO_write, chunk, s);
        s += chunk;
        len -= chunk;
    }
}

void printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    console_write(buf, (size_t)n);
}
