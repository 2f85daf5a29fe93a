/* Formatting into buffers (pure). %p prints 0x + 16 hex digits. */
#ifndef KEEL_PRINTF_H
#define KEEL_PRINTF_H

#include <stdarg.h>
#include <keel/types.h>
#include <keel/compiler.h>

int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int keel_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#ifndef KEEL_HOSTED
#define snprintf  keel_snprintf
#define vsnprintf keel_vsnprintf
#endif

#endif
