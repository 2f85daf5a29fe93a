/* The hypervisor heap (interface in include/keel/heap.h).
 *
 * A slab is one page: a 64-byte header (magic, owner, class, a bitmap of
 * used slots) then equal slots. Slabs with a free slot are on their class's
 * partial list; full ones are on no list and rejoin it on a free. A large
 * block is 2^order pages with a 32-byte header; the object follows it.
 * Objects never start at a page boundary, so the header is always found by
 * rounding the pointer down to its page. Released headers get DEAD_MAGIC,
 * which turns a late double free into a clear message. */
#include <keel/heap.h>
#include <keel/compiler.h>
#include <keel/log.h>
#include <keel/string.h>

#define SLAB_MAGIC      0x424c534bu     /* "KSLB" */
#define LARGE_MAGIC     0x47524c4bu     /* "KLRG" */
#define DEAD_MAGIC      0x44414544u     /* "DEAD" */
#define SLOT_WORDS      4

struct heap_slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t in_use;
    struct heap *owner;
    struct heap_slab *next, *prev;      /* partial list */
    uint64_t used[SLOT_WORDS];          /* one bit per slot; 1 past the end */
};

struct heap_large {
    uint32_t magic;
    uint32_t order;
    struct heap *owner;
    size_t size;
    uint64_t reserved;
};

#define SLAB_SPACE      (PAGE_SIZE - sizeof(struct heap_slab))

/* Sizes chosen so that each class fills a page with little waste. */
static const uint16_t class_size[HEAP_NR_CLASSES] = {
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256,
    320, 384, 448, 512, 576, 672, 800, 1008, 1344, 2016,
};

BUILD_BUG_ON(sizeof(struct heap_slab) != 64);
BUILD_BUG_ON(sizeof(struct heap_large) != HEAP_LARGE_HEADER);
BUILD_BUG_ON(SLAB_SPACE / 16 > SLOT_WORDS * 64);
BUILD_BUG_ON(ARRAY_SIZE(class_size) != HEAP_NR_CLASSES);

static unsigned slots_per_slab(unsigned cls)
{
    return SLAB_SPACE / class_size[cls];
}

static unsigned size_class(size_t size)
{
    unsigned c = 0;

    while (class_size[c] < size)
        c++;
    return c;
}

static void partial_add(struct heap *h, struct heap_slab *s)
{
    s->prev = NULL;
    s->next = h->partial[s->cls];
    if (s->next)
        s->next->prev = s;
    h->partial[s->cls] = s;
}

static void partial_remove(struct heap *h, struct heap_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        h->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static struct heap_slab *slab_create(struct heap *h, unsigned cls)
{
    struct heap_slab *s = h->ops.alloc_pages(h->ops.ctx, 0);
    unsigned n = slots_per_slab(cls);

    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    s->owner = h;
    for (unsigned i = n; i < SLOT_WORDS * 64; i++)
        s->used[i / 64] |= 1UL << (i % 64);
    partial_add(h, s);
    h->pages_held++;
    return s;
}

static void slab_release(struct heap *h, struct heap_slab *s)
{
    partial_remove(h, s);
    s->magic = DEAD_MAGIC;
    h->ops.free_pages(h->ops.ctx, s, 0);
    h->pages_held--;
}

static void *slab_alloc(struct heap *h, unsigned cls)
{
    struct heap_slab *s = h->partial[cls];

    if (!s && !(s = slab_create(h, cls)))
        return NULL;
    unsigned w = 0;
    while (s->used[w] == ~0UL)
        w++;
    unsigned slot = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
    s->used[w] |= 1UL << (slot % 64);
    if (s->in_use++ == 0 && h->spare[cls] == s)
        h->spare[cls] = NULL;
    if (s->in_use == slots_per_slab(cls))
        partial_remove(h, s);
    h->bytes_in_use += class_size[cls];
    return (char *)(s + 1) + (size_t)slot * class_size[cls];
}

static void *large_alloc(struct heap *h, size_t size)
{
    size_t pages = (size + HEAP_LARGE_HEADER + PAGE_SIZE - 1) >> PAGE_SHIFT;
    unsigned order = pages <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(pages - 1);
    struct heap_large *l = h->ops.alloc_pages(h->ops.ctx, order);

    if (!l)
        return NULL;
    *l = (struct heap_large){ .magic = LARGE_MAGIC, .order = order, .owner = h, .size = size };
    h->pages_held += 1UL << order;
    h->bytes_in_use += size;
    return l + 1;
}

void heap_init(struct heap *h, const struct heap_page_ops *ops)
{
    memset(h, 0, sizeof(*h));
    h->ops = *ops;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (size == 0 || size > HEAP_MAX_ALLOC)
        return NULL;
    if (size <= HEAP_SMALL_MAX)
        return slab_alloc(h, size_class(size));
    return large_alloc(h, size);
}

void *heap_zalloc(struct heap *h, size_t size)
{
    void *p = heap_alloc(h, size);

    if (p)
        memset(p, 0, size);
    return p;
}

/* Returns NULL or why p is not a live object of slab s. */
static const char *slab_free(struct heap *h, struct heap_slab *s, uintptr_t p)
{
    if (s->owner != h || s->cls >= HEAP_NR_CLASSES)
        return "slab of another heap or corrupted slab header";
    unsigned cls = s->cls, size = class_size[cls];
    uintptr_t off = p - (uintptr_t)(s + 1);
    if (p < (uintptr_t)(s + 1) || off % size || off / size >= slots_per_slab(cls))
        return "not the start of a slab object";
    unsigned slot = off / size;
    if (!(s->used[slot / 64] & (1UL << (slot % 64))))
        return "double free";
    if (s->in_use == 0 || s->in_use > slots_per_slab(cls))
        return "corrupted slab header";

    s->used[slot / 64] &= ~(1UL << (slot % 64));
    h->bytes_in_use -= size;
    if (s->in_use-- == slots_per_slab(cls))
        partial_add(h, s);
    if (s->in_use == 0) {
        if (h->spare[cls])
            slab_release(h, s);
        else
            h->spare[cls] = s;
    }
    return NULL;
}

static const char *large_free(struct heap *h, struct heap_large *l)
{
    if (l->owner != h || l->order > HEAP_MAX_ORDER ||
        l->size > (PAGE_SIZE << l->order) - HEAP_LARGE_HEADER || l->size <= HEAP_SMALL_MAX)
        return "block of another heap or corrupted block header";
    unsigned order = l->order;
    h->bytes_in_use -= l->size;
    h->pages_held -= 1UL << order;
    l->magic = DEAD_MAGIC;
    h->ops.free_pages(h->ops.ctx, l, order);
    return NULL;
}

void heap_free(struct heap *h, void *p)
{
    uintptr_t a = (uintptr_t)p;
    uintptr_t page = a & PAGE_MASK;
    const char *why;

    if (!p)
        return;
    if (a % 16 || a == page)
        why = "not a heap object (misaligned)";
    else if (*(uint32_t *)page == SLAB_MAGIC)
        why = slab_free(h, (struct heap_slab *)page, a);
    else if (*(uint32_t *)page == LARGE_MAGIC && a - page == HEAP_LARGE_HEADER)
        why = large_free(h, (struct heap_large *)page);
    else if (*(uint32_t *)page == DEAD_MAGIC)
        why = "double free (its page was already released)";
    else
        why = "not a heap object (no header)";
    if (why)
        log_err("heap: free of %p ignored: %s\n", p, why);
}

void heap_trim(struct heap *h)
{
    for (unsigned c = 0; c < HEAP_NR_CLASSES; c++) {
        if (h->spare[c])
            slab_release(h, h->spare[c]);
        h->spare[c] = NULL;
    }
}

size_t heap_bytes_in_use(const struct heap *h)
{
    return h->bytes_in_use;
}

size_t heap_pages_held(const struct heap *h)
{
    return h->pages_held;
}
