/* Parser for Xen's com1=/com2= serial settings (pure; host-tested). The
 * string is split into comma-separated fields, each checked on its own;
 * nothing is written to the caller's struct unless all of them are valid. */
#include <keel/uart_cfg.h>
#include <keel/errno.h>
#include <keel/string.h>

#define BAUD_MIN    50
#define BAUD_MAX    4000000
#define IO_BASE_MAX 0xfff8      /* 8 registers must fit in the I/O space */
#define MAX_FIELDS  4

struct field {
    const char *s;
    size_t len;
};

void uart_cfg_default(struct uart_cfg *cfg, int index)
{
    bool com2 = index == 2;

    *cfg = (struct uart_cfg){
        .io_base = com2 ? 0x2f8 : 0x3f8,
        .irq = com2 ? 3 : 4,
        .baud = 115200,
        .data_bits = 8,
        .parity = 'n',
        .stop_bits = 1,
        .baud_auto = false,
        .clock_hz = UART_DEFAULT_CLOCK_HZ,
    };
}

/* A whole field as a number in [min, max]. */
static bool field_number(struct field f, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *end;

    if (!f.len || keel_strtou64(f.s, &end, 0, out) || end != f.s + f.len)
        return false;
    return *out >= min && *out <= max;
}

static bool field_is(struct field f, const char *word)
{
    return strlen(word) == f.len && !strncmp(f.s, word, f.len);
}

/* "<baud>|auto[/<clock>]" */
static bool parse_speed(struct field f, struct uart_cfg *c)
{
    struct field baud = f, clock = { NULL, 0 };
    uint64_t v;

    for (size_t i = 0; i < f.len; i++) {
        if (f.s[i] == '/') {
            baud.len = i;
            clock = (struct field){ f.s + i + 1, f.len - i - 1 };
            if (!field_number(clock, 1, UINT32_MAX, &v))
                return false;
            c->clock_hz = (uint32_t)v;
            break;
        }
    }
    if (!baud.len)
        return !clock.s;        /* empty: keep; "/clock" alone is not a speed */
    if (field_is(baud, "auto")) {
        c->baud_auto = true;
        return true;
    }
    if (!field_number(baud, BAUD_MIN, BAUD_MAX, &v))
        return false;
    c->baud = (uint32_t)v;
    c->baud_auto = false;
    return true;
}

/* "8n1": data bits, parity, stop bits. */
static bool parse_dps(struct field f, struct uart_cfg *c)
{
    if (!f.len)
        return true;
    if (f.len != 3)
        return false;
    char d = f.s[0], p = f.s[1], s = f.s[2];
    if (p >= 'A' && p <= 'Z')
        p = (char)(p - 'A' + 'a');
    if (d < '5' || d > '8' || !strchr("noems", p) || !p || (s != '1' && s != '2'))
        return false;
    c->data_bits = (uint8_t)(d - '0');
    c->parity = p;
    c->stop_bits = (uint8_t)(s - '0');
    return true;
}

static int split_fields(const char *s, struct field *f)
{
    int n = 0;
    const char *start = s;

    for (;; s++) {
        if (*s != ',' && *s)
            continue;
        if (n == MAX_FIELDS)
            return -1;
        f[n++] = (struct field){ start, (size_t)(s - start) };
        if (!*s)
            return n;
        start = s + 1;
    }
}

int uart_cfg_parse(const char *s, struct uart_cfg *cfg)
{
    struct field f[MAX_FIELDS];
    struct uart_cfg c = *cfg;
    uint64_t v;

    if (!s || !*s)
        return -EINVAL;
    int n = split_fields(s, f);
    if (n < 0 || !parse_speed(f[0], &c))
        return -EINVAL;
    if (n > 1 && !parse_dps(f[1], &c))
        return -EINVAL;
    if (n > 2 && f[2].len) {
        if (!field_number(f[2], 1, IO_BASE_MAX, &v))
            return -EINVAL;
        c.io_base = (uint16_t)v;
    }
    if (n > 3 && f[3].len) {
        if (!field_number(f[3], 0, 255, &v))
            return -EINVAL;
        c.irq = (uint8_t)v;
    }
    *cfg = c;
    return 0;
}
