/* A small vsnprintf for the hypervisor (pure; host-tested against libc).
 * Supports %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', width and
 * precision (also '*'), and the length modifiers hh h l ll z t. */
#include <keel/printf.h>
#include <keel/string.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* characters that would have been written */
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

static void out_number(struct out *o, uint64_t v, bool negative, unsigned base,
                       bool upper, int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    char sign = 0;
    const char *prefix = "";

    if (negative)
        sign = '-';
    else if (flags & F_PLUS)
        sign = '+';
    else if (flags & F_SPACE)
        sign = ' ';
    if ((flags & F_ALT) && base == 16 && v)
        prefix = upper ? "0X" : "0x";
    if ((flags & F_ALT) && base == 8)
        prefix = "0";

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (prec == 0 && n == 1 && tmp[0] == '0' && !(base == 8 && (flags & F_ALT)))
        n = 0;

    int zeros = prec > n ? prec - n : 0;
    int body = n + zeros + (sign ? 1 : 0) + (int)strlen(prefix);
    if (prec < 0 && (flags & F_ZERO) && !(flags & F_LEFT) && width > body) {
        zeros += width - body;
        body = width;
    }
    if (!(flags & F_LEFT))
        out_pad(o, ' ', width - body);
    if (sign)
        out_char(o, sign);
    for (const char *p = prefix; *p; p++)
        out_char(o, *p);
    out_pad(o, '0', zeros);
    while (n)
        out_char(o, tmp[--n]);
    if (flags & F_LEFT)
        out_pad(o, ' ', width - body);
}

static void out_string(struct out *o, const char *s, int flags, int width, int prec)
{
    if (!s)
        s = "(null)";
    int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
    if (!(flags & F_LEFT))
        out_pad(o, ' ', width - n);
    for (int i = 0; i < n; i++)
        out_char(o, s[i]);
    if (flags & F_LEFT)
        out_pad(o, ' ', width - n);
}

static int parse_flags(const char **fmt)
{
    int flags = 0;
    for (;; (*fmt)++) {
        switch (**fmt) {
        case '-': flags |= F_LEFT; break;
        case '0': flags |= F_ZERO; break;
        case '+': flags |= F_PLUS; break;
        case ' ': flags |= F_SPACE; break;
        case '#': flags |= F_ALT; break;
        default: return flags;
        }
    }
}

static int parse_int(const char **fmt, va_list *ap, bool *star_negative)
{
    int v = 0;
    *star_negative = false;
    if (**fmt == '*') {
        (*fmt)++;
        v = va_arg(*ap, int);
        if (v < 0) {
            *star_negative = true;
            v = -v;
        }
        return v;
    }
    while (**fmt >= '0' && **fmt <= '9')
        v = v * 10 + (*(*fmt)++ - '0');
    return v;
}

int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    va_list ap;

    va_copy(ap, ap_in);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        fmt++;
        int flags = parse_flags(&fmt);
        bool neg;
        int width = parse_int(&fmt, &ap, &neg);
        if (neg)
            flags |= F_LEFT;
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = parse_int(&fmt, &ap, &neg);
            if (neg)
                prec = -1;
        }
        int lng = 0;                    /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'h') lng--;
            else if (*fmt == 'z' || *fmt == 't') lng = 1;
            else break;
        }
        uint64_t u;
        int64_t s;
        switch (*fmt) {
        case 'd': case 'i':
            if (lng >= 1) s = lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            else s = va_arg(ap, int);
            if (lng == -1) s = (short)s;
            if (lng <= -2) s = (signed char)s;
            out_number(&o, s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s, s < 0,
                       10, false, flags, width, prec);
            break;
        case 'u': case 'x': case 'X': case 'o':
            if (lng >= 1) u = lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
            else u = va_arg(ap, unsigned int);
            if (lng == -1) u = (unsigned short)u;
            if (lng <= -2) u = (unsigned char)u;
            out_number(&o, u, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
                       *fmt == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p':
            u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            out_number(&o, u, false, 16, false, F_ALT | F_ZERO, 18, -1);
            break;
        case 's':
            out_string(&o, va_arg(ap, const char *), flags, width, prec);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(flags & F_LEFT))
                out_pad(&o, ' ', width - 1);
            out_char(&o, c);
            if (flags & F_LEFT)
                out_pad(&o, ' ', width - 1);
            break;
        }
        case '%':
            out_char(&o, '%');
            break;
        case '\0':
            fmt--;                      /* a lone '%' at the end */
            break;
        default:                        /* unknown: print it as is */
            out_char(&o, '%');
            out_char(&o, *fmt);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int keel_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = keel_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
