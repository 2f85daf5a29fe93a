/* Console and log. Every log_printf() call is formatted into a local buffer
 * first and then written to the log ring and the UART under one lock, so
 * lines from different CPUs never interleave. Messages above `loglvl` are
 * kept in the ring but not printed (Xen's loglvl semantics). */
#include <keel/console.h>
#include <keel/cmdline.h>
#include <keel/printf.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/uart.h>
#include <keel/uart_cfg.h>

static spinlock_t console_lock = SPINLOCK_INIT;
static bool console_lock_busted;
static char log_ring[LOG_RING_SIZE];
static uint64_t log_ring_pos;           /* absolute bytes ever written */
static enum log_level console_level = LOG_INFO;

static char opt_console[32] = "com1";
static char opt_com1[64] = "";
param_string("console", opt_console);
param_string("com1", opt_com1);

static int parse_loglvl(const char *v)
{
    static const struct { const char *name; enum log_level lvl; } names[] = {
        { "none", LOG_ERR }, { "error", LOG_ERR }, { "err", LOG_ERR },
        { "warning", LOG_WARN }, { "warn", LOG_WARN }, { "info", LOG_INFO },
        { "debug", LOG_DEBUG }, { "all", LOG_DEBUG },
    };
    /* Xen accepts "<lvl>/<rate-limited lvl>": we take the first part. */
    size_t n = strlen(v);
    const char *slash = strchr(v, '/');
    if (slash)
        n = (size_t)(slash - v);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strlen(names[i].name) == n && !strncmp(v, names[i].name, n)) {
            console_level = names[i].lvl;
            return 0;
        }
    }
    return -1;
}
param_custom("loglvl", parse_loglvl);

void console_early_init(void)
{
    struct uart_cfg cfg;
    uart_cfg_default(&cfg, 1);
    uart_init(&cfg);
}

void console_init(void)
{
    struct uart_cfg cfg;
    uart_cfg_default(&cfg, 1);
    if (opt_com1[0] && uart_cfg_parse(opt_com1, &cfg) < 0)
        log_warn("console: bad value '%s' for option 'com1' (kept defaults)\n", opt_com1);
    if (strcmp(opt_console, "com1") && strcmp(opt_console, "none")) {
        log_warn("console: console=%s is not supported here; using com1\n", opt_console);
        keel_strlcpy(opt_console, "com1", sizeof(opt_console));
    }
    if (!strcmp(opt_console, "none"))
        return;
    uart_init(&cfg);
    log_info("console: com1 at 0x%x irq %u, %u baud %u%c%u\n", cfg.io_base, cfg.irq,
             cfg.baud, cfg.data_bits, cfg.parity, cfg.stop_bits);
}

static void ring_append(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_ring[(log_ring_pos + i) % LOG_RING_SIZE] = s[i];
    log_ring_pos += n;
}

static uint64_t console_lock_acquire(void)
{
    uint64_t flags = irq_save();
    if (console_lock_busted)
        return flags;
    spin_lock(&console_lock);
    return flags;
}

static void console_lock_release(uint64_t flags)
{
    if (!console_lock_busted)
        spin_unlock(&console_lock);
    irq_restore(flags);
}

void console_write(const char *s, size_t n)
{
    uint64_t flags = console_lock_acquire();
    ring_append(s, n);
    if (strcmp(opt_console, "none"))
        uart_write(s, n);
    console_lock_release(flags);
}

void log_vprintf(enum log_level lvl, const char *fmt, va_list ap)
{
    char line[512];
    int n = keel_vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if ((size_t)n >= sizeof(line))
        line[len - 1] = '\n';           /* truncated: still end the line */

    uint64_t flags = console_lock_acquire();
    ring_append(line, len);
    if (lvl <= console_level && strcmp(opt_console, "none"))
        uart_write(line, len);
    console_lock_release(flags);
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(lvl, fmt, ap);
    va_end(ap);
}

void console_force_unlock(void)
{
    console_lock_busted = true;
}

void console_flush(void)
{
    uart_flush();
}

size_t log_ring_read(uint64_t *pos, char *buf, size_t len)
{
    uint64_t flags = console_lock_acquire();
    uint64_t start = *pos;
    if (log_ring_pos > LOG_RING_SIZE && start < log_ring_pos - LOG_RING_SIZE)
        start = log_ring_pos - LOG_RING_SIZE;
    size_t n = 0;
    for (; n < len && start + n < log_ring_pos; n++)
        buf[n] = log_ring[(start + n) % LOG_RING_SIZE];
    *pos = start + n;
    console_lock_release(flags);
    return n;
}

uint64_t log_ring_head(void)
{
    return READ_ONCE(log_ring_pos);
}

/* Serial input and the debug keys: hv/console_input.c. */
