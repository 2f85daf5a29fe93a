/* The hypervisor heap: variable-size objects on top of a page provider.
 *
 * Objects up to HEAP_SMALL_MAX bytes come from one-page slabs of fixed size
 * classes (16..2016 bytes); bigger ones take 2^order whole pages with a
 * 32-byte header. Every slab and large block starts with a header (magic,
 * owning heap) at its page start, so heap_free validates any pointer; a
 * double free, a foreign pointer or a corrupted header is logged and ignored.
 *
 * An empty slab goes back to the provider, except one spare per size class;
 * heap_trim() gives the spares back too. Pure, single-threaded code: the
 * hypervisor keeps one instance and takes its own lock around calls. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include <keel/types.h>

#define HEAP_NR_CLASSES     22
#define HEAP_SMALL_MAX      2016                /* largest slab object */
#define HEAP_MAX_ORDER      15                  /* largest block: 128 MiB */
#define HEAP_LARGE_HEADER   32
#define HEAP_MAX_ALLOC      ((PAGE_SIZE << HEAP_MAX_ORDER) - HEAP_LARGE_HEADER)

struct heap_page_ops {
    /* 2^order contiguous pages, page aligned, or NULL. */
    void *(*alloc_pages)(void *ctx, unsigned order);
    void (*free_pages)(void *ctx, void *p, unsigned order);
    void *ctx;
};

struct heap_slab;

struct heap {
    struct heap_page_ops ops;
    struct heap_slab *partial[HEAP_NR_CLASSES];    /* slabs with a free slot */
    struct heap_slab *spare[HEAP_NR_CLASSES];      /* the one empty slab kept */
    size_t bytes_in_use;
    size_t pages_held;
};

void heap_init(struct heap *h, const struct heap_page_ops *ops);
/* 16-byte aligned; NULL if size is 0, above HEAP_MAX_ALLOC, or no pages. */
void *heap_alloc(struct heap *h, size_t size);
void *heap_zalloc(struct heap *h, size_t size);
/* NULL is ignored; anything not a live object of this heap is logged. */
void heap_free(struct heap *h, void *p);
/* Returns the spare empty slabs to the page provider. */
void heap_trim(struct heap *h);

/* Bytes of live objects: the size-class size for small objects, the
 * requested size for large ones. */
size_t heap_bytes_in_use(const struct heap *h);
/* Pages taken from the provider and not given back (spares included). */
size_t heap_pages_held(const struct heap *h);

#endif
