/* Host stand-in for the hypervisor heap (include/keel/alloc.h). */
#include <stdlib.h>
#include <keel/alloc.h>

void *kmalloc(size_t size) { return size ? malloc(size) : NULL; }
void *kzalloc(size_t size) { return size ? calloc(1, size) : NULL; }
void kfree(void *p) { free(p); }
void kmem_trim(void) {}
