/* Host stand-in for the hypervisor's log: captures every line so tests can
 * assert that bad input produced a clear message. */
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include "host_log.h"

static char captured[65536];
static size_t captured_len;

void log_vprintf(enum log_level lvl, const char *fmt, va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    (void)lvl;
    if (n < 0)
        return;
    if (getenv("KEEL_UNIT_VERBOSE"))
        fprintf(stderr, "[log %d] %s", (int)lvl, line);
    size_t len = strlen(line);
    if (captured_len + len + 1 < sizeof(captured)) {
        memcpy(captured + captured_len, line, len + 1);
        captured_len += len;
    }
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(lvl, fmt, ap);
    va_end(ap);
}

void host_log_clear(void)
{
    captured_len = 0;
    captured[0] = '\0';
}

bool host_log_contains(const char *needle)
{
    return strstr(captured, needle) != NULL;
}

const char *host_log_text(void)
{
    return captured;
}
