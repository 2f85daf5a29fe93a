/* Serial input, the pure part (host unit tested): the input buffer a
 * domain reads with CONSOLEIO_read, and the detector of the switch key
 * (Ctrl-A three times in a row, as Xen's default "conswitch=a"). */
#ifndef KEEL_CONSOLE_RX_H
#define KEEL_CONSOLE_RX_H

#include <keel/types.h>

/* Xen keeps 128 bytes for dom0; a larger buffer lets a paste of a few
 * lines survive a busy dom0. Power of two (indices wrap freely). */
#define CONSOLE_RX_SIZE     1024u

struct console_rx_ring {
    char buf[CONSOLE_RX_SIZE];
    uint32_t prod, cons;            /* free-running; prod - cons <= SIZE */
    uint64_t dropped;               /* characters refused because it was full */
};

/* Appends c; false (and dropped counted) when the buffer is full. */
bool console_rx_put(struct console_rx_ring *r, char c);
/* Bytes waiting. */
uint32_t console_rx_used(const struct console_rx_ring *r);
/* Copies up to max waiting bytes to dst without taking them; returns the count. */
size_t console_rx_peek(const struct console_rx_ring *r, char *dst, size_t max);
/* Takes n bytes (n <= console_rx_used). */
void console_rx_consume(struct console_rx_ring *r, size_t n);

/* The switch-key detector. The switch character is eaten in groups of
 * three; one or two of them followed by another character are passed on
 * as input before that character (Xen's rule). */
#define CONSOLE_SWITCH_CHAR 0x01    /* Ctrl-A */

struct console_switch {
    char code;                      /* the switch character (0: no switching) */
    unsigned seen;                  /* switch characters held back (0-2) */
};

/* Feeds c. Returns how many characters (0-3) to pass on, in out[]; sets
 * *do_switch when c completed a group of three. */
unsigned console_switch_feed(struct console_switch *s, char c, char out[3], bool *do_switch);

#endif
