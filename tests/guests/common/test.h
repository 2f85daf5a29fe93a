/* What the PV (tests/guests/lib/guest.h) and PVH (tests/guests/pvh/lib/pvh.h)
 * test-kernel libraries share: the verdict (GUEST_TEST, check, check_eq, the
 * one line "keel-test: <name>: PASS | FAIL <reason>"), the console, the
 * command line, the pvclock, the event-channel scan and the string
 * functions. Each family's header includes this one; the code is in
 * the .c files beside it, built into both families' kernels. */
#ifndef GUEST_COMMON_TEST_H
#define GUEST_COMMON_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>
#include "trap_regs.h"

#define GUEST_TEST(name) const char guest_test_name[] = name
extern const char guest_test_name[];
void test_main(void);
/* True on Keel (its XENVER_extraversion says so), false on Xen (common/hypervisor.c). */
bool on_keel(void);

/* ---- command line ("key=value" and plain words, ' ' or '+' apart) ---- */
const char *guest_cmdline(void);        /* the family's start of day; "" if none */
/* Value of "key=" in the command line, or NULL. */
const char *cmdline_option(const char *key);
/* The decimal value of "key=", or def. */
uint64_t opt_uint(const char *key, uint64_t def);
/* True if the command line has this word on its own. */
bool opt_word(const char *word);

/* ---- console ---- */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t len);

/* ---- verdict ---- */
/* Records a failure (the first reason goes into the verdict line). */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define check(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
#define check_eq(what, got, want) do {                                      \
        long long _g = (long long)(got), _w = (long long)(want);            \
        if (_g != _w) fail("%s: got %lld (%#llx), want %lld (%#llx)",       \
                           what, _g, _g, _w, _w);                           \
    } while (0)
unsigned failures(void);
/* Prints the verdict line and powers off (or FAIL now, with a reason). */
__attribute__((noreturn)) void guest_finish(void);
__attribute__((noreturn, format(printf, 1, 2))) void guest_abort(const char *fmt, ...);
__attribute__((noreturn)) void guest_poweroff(void);

/* ---- shared_info, events and time ---- */
extern struct shared_info *shared_info;     /* mapped by the library */
extern volatile unsigned events_seen;       /* event callback entries */
/* Pending ports the callback found (and cleared), a bit per port < 256. */
extern volatile uint64_t events_ports[4];
/* The event callback's work on vCPU vi (2-level ABI, public/xen.h): clears
 * evtchn_upcall_pending, then every pending unmasked port. */
void events_handle(struct vcpu_info *vi);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
/* System time (ns) from vCPU id's vcpu_time_info (ref §6.3). */
uint64_t pvclock_of(unsigned id);
static inline uint64_t pvclock_ns(void) { return pvclock_of(0); }

/* ---- string (hv/lib/string.c; strstr in common/string.c) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *h, const char *n);

#endif
