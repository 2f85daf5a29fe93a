/* String helpers that are ours in both builds (pure; host-tested). */
#include <keel/string.h>

size_t keel_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

int keel_strtou64(const char *s, const char **end, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;

    if (base == 0) {
        base = 10;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
            base = 16;
            p += 2;
        }
    }
    if (digit_value(*p) >= (int)base)
        return -1;
    for (; digit_value(*p) < (int)base; p++) {
        uint64_t d = (uint64_t)digit_value(*p);
        if (v > (UINT64_MAX - d) / base)
            return -1;              /* overflow */
        v = v * base + d;
    }
    if (end)
        *end = p;
    *out = v;
    return 0;
}
