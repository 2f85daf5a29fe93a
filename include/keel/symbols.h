/* The hypervisor's own symbol table, embedded at build time
 * (tools/gensyms.sh), for stack traces with names. */
#ifndef KEEL_SYMBOLS_H
#define KEEL_SYMBOLS_H

#include <keel/types.h>

/* Finds the function containing addr. Returns its name (NULL if none) and
 * the offset into it and the symbol's size. */
const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);

#endif
