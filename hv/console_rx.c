/* Serial input buffer and switch-key detector (pure: see keel/console_rx.h). */
#include <keel/console_rx.h>

#define RX_MASK(i)  ((i) & (CONSOLE_RX_SIZE - 1))

uint32_t console_rx_used(const struct console_rx_ring *r)
{
    return r->prod - r->cons;
}

bool console_rx_put(struct console_rx_ring *r, char c)
{
    if (console_rx_used(r) >= CONSOLE_RX_SIZE) {
        r->dropped++;
        return false;
    }
    r->buf[RX_MASK(r->prod)] = c;
    r->prod++;
    return true;
}

size_t console_rx_peek(const struct console_rx_ring *r, char *dst, size_t max)
{
    uint32_t used = console_rx_used(r);
    size_t n = used < max ? used : max;
    for (size_t i = 0; i < n; i++)
        dst[i] = r->buf[RX_MASK(r->cons + (uint32_t)i)];
    return n;
}

void console_rx_consume(struct console_rx_ring *r, size_t n)
{
    uint32_t used = console_rx_used(r);
    r->cons += n < used ? (uint32_t)n : used;
}

unsigned console_switch_feed(struct console_switch *s, char c, char out[3], bool *do_switch)
{
    unsigned n = 0;
    *do_switch = false;
    if (s->code && c == s->code) {
        if (++s->seen == 3) {
            s->seen = 0;
            *do_switch = true;
        }
        return 0;
    }
    for (; s->seen; s->seen--)
        out[n++] = s->code;
    out[n++] = c;
    return n;
}
