/* A tiny vsnprintf: %d %i %u %x %X %p %s %c %%, flags '0' '-' '#', a width,
 * a precision for %s (".N" or ".*"), and the l / ll / z length modifiers. Always NUL-terminates. */
#include "guest.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg,
                    bool upper, int width, char pad, bool left, const char *prefix)
{
    char tmp[24];
    int n = 0, plen = (int)strlen(prefix) + (neg ? 1 : 0);
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int n0 = n;
    if (pad == '0' && !left) {
        if (neg)
            put(o, '-');
        for (const char *p = prefix; *p; p++)
            put(o, *p);
        for (int i = n + plen; i < width; i++)
            put(o, '0');
    } else {
        if (!left)
            for (int i = n + plen; i < width; i++)
                put(o, ' ');
        if (neg)
            put(o, '-');
        for (const char *p = prefix; *p; p++)
            put(o, *p);
    }
    while (n)
        put(o, tmp[--n]);
    if (left)
        for (int i = n0 + plen; i < width; i++)
            put(o, ' ');
}

static void put_str(struct out *o, const char *s, int width, int prec, bool left)
{
    int n = (int)strnlen(s ? s : "(null)", prec >= 0 ? (size_t)prec : 4096);
    if (!s)
        s = "(null)";
    if (!left)
        for (int i = n; i < width; i++)
            put(o, ' ');
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        for (int i = n; i < width; i++)
            put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        char pad = ' ';
        bool left = false, alt = false;
        int width = 0, lng = 0;
        for (fmt++; *fmt == '0' || *fmt == '-' || *fmt == '#'; fmt++) {
            if (*fmt == '0') pad = '0';
            else if (*fmt == '-') left = true;
            else alt = true;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        int prec = -1;
        if (*fmt == '.') {
            prec = 0;
            if (*++fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            for (; *fmt >= '0' && *fmt <= '9'; fmt++)
                prec = prec * 10 + (*fmt - '0');
        }
        for (; *fmt == 'l' || *fmt == 'z'; fmt++)
            lng++;
        switch (*fmt) {
        case 'd': case 'i': {
            int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, false,
                    width, pad, left, "");
            break;
        }
        case 'u': case 'x': case 'X': {
            uint64_t v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            unsigned base = *fmt == 'u' ? 10 : 16;
            put_num(&o, v, base, false, *fmt == 'X', width, pad, left,
                    alt && base == 16 ? "0x" : "");
            break;
        }
        case 'p':
            put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, false, width,
                    pad, left, "0x");
            break;
        case 's':
            put_str(&o, va_arg(ap, const char *), width, prec, left);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
