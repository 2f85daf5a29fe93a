/* Serial port settings and the parser for Xen's `com1=`/`com2=` syntax
 * (pure; host-tested):
 *   <baud>|auto[/<clock-hz>][,DPS[,<io-base>[,<irq>]]]
 * e.g. "115200,8n1", "9600,7e2,0x2f8,3", "auto". DPS is data bits (5-8),
 * parity (n o e m s) and stop bits (1-2). An empty field keeps its value. */
#ifndef KEEL_UART_CFG_H
#define KEEL_UART_CFG_H

#include <keel/types.h>

#define UART_DEFAULT_CLOCK_HZ   1843200     /* the PC's 1.8432 MHz crystal */

struct uart_cfg {
    uint16_t io_base;
    uint8_t irq;                /* 0: polled */
    uint32_t baud;
    uint8_t data_bits;
    char parity;                /* 'n', 'o', 'e', 'm', 's' */
    uint8_t stop_bits;
    bool baud_auto;             /* keep what firmware programmed */
    uint32_t clock_hz;          /* UART input clock (divisor = clock/16/baud) */
};

/* Fills in the defaults for COM1 (0x3f8, irq 4) or COM2 (0x2f8, irq 3),
 * 115200 8n1; any other index gets COM1's. */
void uart_cfg_default(struct uart_cfg *cfg, int index);

/* Applies the string on top of *cfg. Returns 0, or -EINVAL with *cfg
 * unchanged. */
int uart_cfg_parse(const char *s, struct uart_cfg *cfg);

#endif
