/* Logging. printk() formats a message; whole lines go to the console and to
 * the in-memory log ring atomically (lines from several CPUs never mix).
 * Pure code may call these too: host unit tests link a capturing stub
 * (tests/unit/support/host_log.c). */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdarg.h>
#include <keel/compiler.h>

enum log_level {
    LOG_ALWAYS = -1, /* printed whatever loglvl says (banner, verdicts, power) */
    LOG_ERR   = 0,   /* something failed */
    LOG_WARN  = 1,   /* bad input, fallback taken */
    LOG_INFO  = 2,   /* normal boot messages */
    LOG_DEBUG = 3,
};

void log_printf(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void log_vprintf(enum log_level lvl, const char *fmt, va_list ap);

#define log_always(...) log_printf(LOG_ALWAYS, __VA_ARGS__)
#define log_err(...)   log_printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
