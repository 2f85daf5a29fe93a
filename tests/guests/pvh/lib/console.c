/* Console output: console_io(CONSOLEIO_write) once the hypercall
 * instruction is known (dom0 on Xen; Keel lets every domain write), port
 * 0xe9 before that. Also formatting (hv/lib/vsnprintf.c) and strstr. */
#include "pvh.h"

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

char *strstr(const char *h, const char *n)
{
    size_t len = strlen(n);
    for (; *h; h++)
        if (!strncmp(h, n, len))
            return (char *)h;
    return len ? NULL : (char *)h;
}

void e9_write(const char *s)
{
    while (*s)
        outb(0xe9, (uint8_t)*s++);
}

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
