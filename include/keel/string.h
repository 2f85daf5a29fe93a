/* String and memory functions. The hypervisor has its own (lib/string.c in
 * hv/); host unit tests use the C library's, with the same names. */
#ifndef KEEL_STRING_H
#define KEEL_STRING_H

#include <keel/types.h>

#ifdef KEEL_HOSTED
#include <string.h>
#include <stdlib.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Always ours (not in every libc): bounded copy that always terminates dst,
 * returns strlen(src) so callers can detect truncation. */
size_t keel_strlcpy(char *dst, const char *src, size_t size);
/* Parse an unsigned number (0x.. hex, 0.. octal not supported, decimal).
 * Returns 0 on success and stores the value and the end pointer. */
int keel_strtou64(const char *s, const char **end, unsigned base, uint64_t *out);

#endif
