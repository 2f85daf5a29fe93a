/* 16550 UART. Registers: PC16550D datasheet (THR/RBR 0, IER 1, IIR/FCR 2,
 * LCR 3, MCR 4, LSR 5, MSR 6, SCR 7; DLAB=1 maps the divisor at 0/1). */
#include <keel/uart.h>
#include <keel/x86.h>

#define UART_CLOCK_HZ   1843200
#define REG_DATA    0
#define REG_IER     1
#define REG_FCR     2
#define REG_LCR     3
#define REG_MCR     4
#define REG_LSR     5
#define REG_SCR     7
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define LCR_DLAB    0x80
#define IER_RDA     0x01
#define MCR_DTR_RTS_OUT2 0x0b   /* OUT2 gates the IRQ line on PCs */

static struct uart_cfg cfg;
static bool present;
static void (*rx_handler)(char c);

static uint8_t reg_read(unsigned r) { return inb((uint16_t)(cfg.io_base + r)); }
static void reg_write(unsigned r, uint8_t v) { outb((uint16_t)(cfg.io_base + r), v); }

void uart_init(const struct uart_cfg *c)
{
    cfg = *c;
    /* A missing UART reads back 0xff; the scratch register tells. */
    reg_write(REG_SCR, 0x5a);
    present = reg_read(REG_SCR) == 0x5a;
    if (!present)
        return;
    reg_write(REG_IER, 0);
    if (!cfg.baud_auto && cfg.baud) {
        uint32_t div = UART_CLOCK_HZ / 16 / cfg.baud;
        if (!div)
            div = 1;
        reg_write(REG_LCR, LCR_DLAB);
        reg_write(REG_DATA, div & 0xff);
        reg_write(REG_IER, (div >> 8) & 0xff);
    }
    uint8_t lcr = (uint8_t)(cfg.data_bits - 5);
    if (cfg.stop_bits == 2)
        lcr |= 0x04;
    switch (cfg.parity) {
    case 'o': lcr |= 0x08; break;
    case 'e': lcr |= 0x18; break;
    case 'm': lcr |= 0x28; break;
    case 's': lcr |= 0x38; break;
    default: break;
    }
    reg_write(REG_LCR, lcr);
    reg_write(REG_FCR, 0x07);           /* enable and clear FIFOs */
    reg_write(REG_MCR, MCR_DTR_RTS_OUT2);
}

bool uart_present(void) { return present; }
const struct uart_cfg *uart_config(void) { return &cfg; }

void uart_putc(char c)
{
    if (!present)
        return;
    for (unsigned spin = 0; !(reg_read(REG_LSR) & LSR_THRE) && spin < 1000000; spin++)
        cpu_relax();
    reg_write(REG_DATA, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void uart_flush(void)
{
    if (!present)
        return;
    for (unsigned spin = 0; !(reg_read(REG_LSR) & LSR_TEMT) && spin < 1000000; spin++)
        cpu_relax();
}

int uart_getc(void)
{
    if (!present || !(reg_read(REG_LSR) & LSR_DR))
        return -1;
    return reg_read(REG_DATA);
}

void uart_enable_rx_irq(void (*handler)(char c))
{
    if (!present)
        return;
    rx_handler = handler;
    reg_write(REG_IER, IER_RDA);
}

void uart_irq(void)
{
    int c;
    while ((c = uart_getc()) >= 0)
        if (rx_handler)
            rx_handler((char)c);
}
