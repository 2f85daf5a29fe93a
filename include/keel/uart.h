/* 16550 UART driver (polled output, interrupt-driven input). */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include <keel/types.h>
#include <keel/uart_cfg.h>

void uart_init(const struct uart_cfg *cfg);
bool uart_present(void);
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/* Drain the transmitter (before power-off, so the last line is not lost). */
void uart_flush(void);
/* Returns a received byte, or -1 if none. */
int uart_getc(void);
/* Turn on the receive interrupt; `handler` is called with each byte from
 * the interrupt path. */
void uart_enable_rx_irq(void (*handler)(char c));
void uart_irq(void);
const struct uart_cfg *uart_config(void);

#endif
