/* Fatal errors. panic() prints why and where, stops the other CPUs, and
 * reboots the machine, or halts it with the `noreboot` option. */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include <keel/types.h>
#include <keel/compiler.h>

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
/* For the exception path, which prints its own report in between. */
void panic_begin(void);
void panic_end(const char *why) __noreturn;
bool panic_in_progress(void);
void panic_stop_this_cpu(void) __noreturn;

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)

#endif
