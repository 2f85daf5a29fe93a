/* The hypervisor heap's interface, for code that is also built into host
 * unit tests (where tests/unit/support/host_alloc.c maps it onto malloc). */
#ifndef KEEL_ALLOC_H
#define KEEL_ALLOC_H

#include <keel/types.h>

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Gives the heap's cached empty pages back (before comparing free memory). */
void kmem_trim(void);

#endif
