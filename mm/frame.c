/* The hypervisor's frame allocator and heap: the pure buddy allocator and
 * heap (mm/buddy.c, mm/heap.c) behind locks. */
#include <keel/mm.h>
#include <keel/heap.h>
#include <keel/log.h>
#include <keel/spinlock.h>

static struct buddy buddy;
static spinlock_t buddy_lock = SPINLOCK_INIT;
static struct heap heap;
static spinlock_t heap_lock = SPINLOCK_INIT;

void frames_init(struct frame *table, mfn_t nr_frames)
{
    buddy_init(&buddy, table, nr_frames);
}

void frames_add_free(mfn_t start, mfn_t count)
{
    buddy_add_free_range(&buddy, start, count);
}

int alloc_frames(unsigned order, mfn_t *mfn)
{
    uint64_t f = spin_lock_irqsave(&buddy_lock);
    int rc = buddy_alloc(&buddy, order, mfn);
    if (!rc)
        frame_table[*mfn].owner = FRAME_OWNER_HV;
    spin_unlock_irqrestore(&buddy_lock, f);
    return rc;
}

int alloc_frames_below(unsigned order, mfn_t limit, mfn_t *mfn)
{
    uint64_t f = spin_lock_irqsave(&buddy_lock);
    int rc = buddy_alloc_below(&buddy, order, limit, mfn);
    if (!rc)
        frame_table[*mfn].owner = FRAME_OWNER_HV;
    spin_unlock_irqrestore(&buddy_lock, f);
    return rc;
}

void free_frames(mfn_t mfn, unsigned order)
{
    uint64_t f = spin_lock_irqsave(&buddy_lock);
    buddy_free(&buddy, mfn, order);
    spin_unlock_irqrestore(&buddy_lock, f);
}

void *alloc_pages(unsigned order)
{
    mfn_t mfn;
    return alloc_frames(order, &mfn) ? NULL : mfn_to_virt(mfn);
}

void free_pages(void *p, unsigned order)
{
    free_frames(virt_to_phys(p) >> PAGE_SHIFT, order);
}

uint64_t mm_total_frames(void) { return buddy_managed_frames(&buddy); }
uint64_t mm_free_frames(void) { return buddy_free_frames(&buddy); }

static void *heap_page_alloc(void *ctx, unsigned order) { (void)ctx; return alloc_pages(order); }
static void heap_page_free(void *ctx, void *p, unsigned order) { (void)ctx; free_pages(p, order); }

void heap_setup(void)
{
    static const struct heap_page_ops ops = { heap_page_alloc, heap_page_free, NULL };
    heap_init(&heap, &ops);
}

void *kmalloc(size_t size)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    void *p = heap_alloc(&heap, size);
    spin_unlock_irqrestore(&heap_lock, f);
    return p;
}

void *kzalloc(size_t size)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    void *p = heap_zalloc(&heap, size);
    spin_unlock_irqrestore(&heap_lock, f);
    return p;
}

void kfree(void *p)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    heap_free(&heap, p);
    spin_unlock_irqrestore(&heap_lock, f);
}

/* Returns the heap's cached empty pages to the frame allocator. */
void kmem_trim(void)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    heap_trim(&heap);
    spin_unlock_irqrestore(&heap_lock, f);
}

bool frames_entry_backed(mfn_t mfn)
{
    return buddy_entry_backed(&buddy, mfn);
}

mfn_t frames_nr(void)
{
    return buddy.nr_frames;
}
