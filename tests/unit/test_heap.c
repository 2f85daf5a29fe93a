/* Unit tests for mm/heap.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/heap.h>
#include "host_log.h"

/* Page provider over aligned_alloc. Fresh pages are filled with junk so
 * nothing relies on zeroed memory. In quarantine mode freed blocks are kept
 * (unchanged) until teardown, so a late double free reads live memory. */
struct provider {
    size_t pages_live;
    bool fail;
    bool quarantine;
    void *kept[64];
    unsigned nr_kept;
};

static void *prov_alloc(void *ctx, unsigned order)
{
    struct provider *pv = ctx;
    size_t bytes = PAGE_SIZE << order;

    if (pv->fail)
        return NULL;
    void *p = aligned_alloc(PAGE_SIZE, bytes);
    assert_non_null(p);
    memset(p, 0xa5, order <= 4 ? bytes : PAGE_SIZE);
    pv->pages_live += 1UL << order;
    return p;
}

static void prov_free(void *ctx, void *p, unsigned order)
{
    struct provider *pv = ctx;

    assert_true(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
    assert_true(pv->pages_live >= (1UL << order));
    pv->pages_live -= 1UL << order;
    if (pv->quarantine && pv->nr_kept < ARRAY_SIZE(pv->kept))
        pv->kept[pv->nr_kept++] = p;
    else
        free(p);
}

struct fixture {
    struct provider pv;
    struct heap heap;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct heap_page_ops ops = { prov_alloc, prov_free, &f->pv };

    heap_init(&f->heap, &ops);      /* ops may live on the stack: copied */
    *state = f;
    host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    /* Every test frees what it allocated: nothing may be left behind. */
    heap_trim(&f->heap);
    assert_int_equal(heap_pages_held(&f->heap), 0);
    assert_int_equal(f->pv.pages_live, 0);
    for (unsigned i = 0; i < f->pv.nr_kept; i++)
        free(f->pv.kept[i]);
    free(f);
    return 0;
}

static void every_size_is_aligned_and_usable(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;

    for (size_t size = 1; size <= 3 * PAGE_SIZE; size++) {
        unsigned char *a = heap_alloc(h, size), *b = heap_alloc(h, size);
        assert_non_null(a);
        assert_non_null(b);
        assert_true((uintptr_t)a % 16 == 0 && (uintptr_t)b % 16 == 0);
        assert_true(a + size <= b || b + size <= a);
        assert_true(heap_bytes_in_use(h) >= 2 * size);
        memset(a, 0x11, size);
        memset(b, 0x22, size);
        assert_int_equal(a[size - 1], 0x11);
        heap_free(h, a);
        heap_free(h, b);
        assert_int_equal(heap_bytes_in_use(h), 0);
        assert_int_equal(heap_pages_held(h), f->pv.pages_live);
    }
    assert_true(heap_pages_held(h) <= HEAP_NR_CLASSES);
    heap_trim(h);
    assert_int_equal(heap_pages_held(h), 0);
    assert_int_equal(f->pv.pages_live, 0);
    assert_string_equal(host_log_text(), "");
}

static void freed_slot_is_reused(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;
    void *keep = heap_alloc(h, 100);
    void *p = heap_alloc(h, 100);

    heap_free(h, p);
    assert_ptr_equal(heap_alloc(h, 100), p);
    char *q = heap_alloc(h, 97);
    assert_ptr_equal(q, (char *)p + 112);
    assert_int_equal(heap_pages_held(h), 1);
    heap_free(h, keep);
    heap_free(h, p);
    heap_free(h, q);
}

static void large_allocations_take_whole_pages(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;

    void *a = heap_alloc(h, HEAP_SMALL_MAX + 1);
    assert_int_equal(heap_pages_held(h), 1);
    void *b = heap_alloc(h, 4 * PAGE_SIZE - HEAP_LARGE_HEADER);
    assert_int_equal(heap_pages_held(h), 1 + 4);
    void *c = heap_alloc(h, 4 * PAGE_SIZE - HEAP_LARGE_HEADER + 1);
    assert_int_equal(heap_pages_held(h), 1 + 4 + 8);
    memset(b, 0x5a, 4 * PAGE_SIZE - HEAP_LARGE_HEADER);
    memset(c, 0x5b, 4 * PAGE_SIZE - HEAP_LARGE_HEADER + 1);
    assert_int_equal(heap_bytes_in_use(h), HEAP_SMALL_MAX + 1 + 8 * PAGE_SIZE - 2 * 32 + 1);
    heap_free(h, b);
    heap_free(h, a);
    heap_free(h, c);
    assert_int_equal(heap_pages_held(h), 0);
    assert_int_equal(heap_bytes_in_use(h), 0);

    void *max = heap_alloc(h, HEAP_MAX_ALLOC);
    assert_non_null(max);
    assert_int_equal(heap_pages_held(h), 1UL << HEAP_MAX_ORDER);
    heap_free(h, max);
    assert_int_equal(f->pv.pages_live, 0);
}

static void sizes_zero_and_huge_are_refused(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;

    assert_null(heap_alloc(h, 0));
    assert_null(heap_zalloc(h, 0));
    assert_null(heap_alloc(h, SIZE_MAX));
    assert_null(heap_alloc(h, SIZE_MAX - PAGE_SIZE));
    assert_null(heap_alloc(h, SIZE_MAX / 2 + 1));
    assert_null(heap_alloc(h, HEAP_MAX_ALLOC + 1));
    assert_null(heap_zalloc(h, SIZE_MAX));
    assert_int_equal(heap_pages_held(h), 0);
    heap_free(h, NULL);
    assert_string_equal(host_log_text(), "");
}

static void provider_failure_returns_null(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;

    f->pv.fail = true;
    assert_null(heap_alloc(h, 64));
    assert_null(heap_alloc(h, 100000));
    assert_int_equal(heap_pages_held(h), 0);
    assert_int_equal(heap_bytes_in_use(h), 0);
    f->pv.fail = false;
    void *p = heap_alloc(h, 64);
    assert_non_null(p);
    heap_free(h, p);
}

static void zalloc_zeroes(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;
    const size_t sizes[] = { 1, 40, 2016, 5000, 3 * PAGE_SIZE };

    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        void *dirty = heap_alloc(h, sizes[i]);
        memset(dirty, 0xff, sizes[i]);
        heap_free(h, dirty);
        unsigned char *p = heap_zalloc(h, sizes[i]);
        assert_non_null(p);
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(p[j], 0);
        heap_free(h, p);
    }
}

static void pages_go_back_when_everything_is_freed(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;
    void *p[1000];

    for (int i = 0; i < 1000; i++)
        p[i] = heap_alloc(h, 64);
    assert_int_equal(heap_pages_held(h), (1000 + 62) / 63);
    for (int i = 0; i < 1000; i++)
        heap_free(h, p[i]);
    assert_int_equal(heap_pages_held(h), 1);         /* the class's spare */
    assert_int_equal(f->pv.pages_live, 1);
    heap_trim(h);
    assert_int_equal(heap_pages_held(h), 0);
    assert_int_equal(f->pv.pages_live, 0);
}

static void double_free_is_detected(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;

    f->pv.quarantine = true;
    void *keep = heap_alloc(h, 32), *p = heap_alloc(h, 32);
    heap_free(h, p);
    size_t in_use = heap_bytes_in_use(h);
    heap_free(h, p);
    assert_true(host_log_contains("double free"));
    assert_int_equal(heap_bytes_in_use(h), in_use);
    assert_ptr_equal(heap_alloc(h, 32), p);         /* the slot was not freed twice */
    void *p2 = heap_alloc(h, 32);
    assert_ptr_not_equal(p2, p);
    heap_free(h, p);
    heap_free(h, p2);
    heap_free(h, keep);

    /* Large block and a released slab: their header is marked dead. */
    void *big = heap_alloc(h, 10000);
    heap_free(h, big);
    host_log_clear();
    heap_free(h, big);
    assert_true(host_log_contains("double free"));
    void *q = heap_alloc(h, 500), *r = heap_alloc(h, 500);
    heap_free(h, q);
    heap_free(h, r);
    heap_trim(h);
    host_log_clear();
    heap_free(h, q);
    assert_true(host_log_contains("double free"));
}

static void foreign_and_corrupt_pointers_are_rejected(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap, other;
    struct heap_page_ops ops = { prov_alloc, prov_free, &f->pv };
    unsigned char *page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    char want[64];

    memset(page, 0x3c, PAGE_SIZE);
    heap_free(h, page + 64);
    snprintf(want, sizeof(want), "free of %p", (void *)(page + 64));
    assert_true(host_log_contains(want));
    assert_true(host_log_contains("not a heap object"));
    host_log_clear();
    heap_free(h, page);
    assert_true(host_log_contains("not a heap object"));

    char *p = heap_alloc(h, 48);
    host_log_clear();
    heap_free(h, p + 8);
    assert_true(host_log_contains("misaligned"));
    host_log_clear();
    heap_free(h, p + 16);
    assert_true(host_log_contains("not the start"));

    heap_init(&other, &ops);
    char *o = heap_alloc(&other, 48);
    host_log_clear();
    heap_free(h, o);
    assert_true(host_log_contains("another heap"));
    heap_free(&other, o);
    heap_trim(&other);

    /* Corrupt the slab header's class, then restore it. */
    uint16_t *cls = (uint16_t *)(((uintptr_t)p & PAGE_MASK) + 4);
    uint16_t saved = *cls;
    *cls = 999;
    host_log_clear();
    heap_free(h, p);
    assert_true(host_log_contains("corrupted"));
    *cls = saved;
    heap_free(h, p);

    size_t *size = (size_t *)((char *)heap_alloc(h, 9000) - HEAP_LARGE_HEADER + 16);
    size_t saved_size = *size;
    *size = SIZE_MAX;
    host_log_clear();
    heap_free(h, (char *)size + 16);
    assert_true(host_log_contains("corrupted"));
    *size = saved_size;
    heap_free(h, (char *)size + 16);
    assert_int_equal(heap_bytes_in_use(h), 0);
    free(page);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x9e3779b97f4a7c15ULL;
}

struct obj { unsigned char *p; size_t size; unsigned char fill; };

static void check_fill(const struct obj *o)
{
    for (size_t i = 0; i < o->size; i++)
        if (o->p[i] != (unsigned char)(o->fill + i))
            fail_msg("object %p size %zu corrupted at %zu", (void *)o->p, o->size, i);
}

static void randomized_stress_with_fill_patterns(void **state)
{
    struct fixture *f = *state;
    struct heap *h = &f->heap;
    static struct obj live[2048];
    unsigned nr = 0;

    for (int op = 0; op < 100000; op++) {
        uint64_t x = rnd();
        if (nr == ARRAY_SIZE(live) || (nr && (x & 1))) {
            unsigned i = (x >> 8) % nr;
            check_fill(&live[i]);
            heap_free(h, live[i].p);
            live[i] = live[--nr];
            continue;
        }
        size_t size = (x >> 8) % 100 < 90 ? 1 + (x >> 16) % HEAP_SMALL_MAX
                                          : 1 + (x >> 16) % (5 * PAGE_SIZE);
        struct obj o = { (x >> 40) % 2 ? heap_zalloc(h, size) : heap_alloc(h, size),
                         size, (unsigned char)(x >> 48) };
        assert_non_null(o.p);
        assert_true((uintptr_t)o.p % 16 == 0);
        for (size_t i = 0; i < size; i++)
            o.p[i] = (unsigned char)(o.fill + i);
        live[nr++] = o;
        if (op % 10000 == 0)
            for (unsigned i = 0; i < nr; i++)
                check_fill(&live[i]);
    }
    while (nr) {
        check_fill(&live[--nr]);
        heap_free(h, live[nr].p);
    }
    assert_int_equal(heap_bytes_in_use(h), 0);
    assert_true(heap_pages_held(h) <= HEAP_NR_CLASSES);
    assert_int_equal(heap_pages_held(h), f->pv.pages_live);
    heap_trim(h);
    assert_int_equal(f->pv.pages_live, 0);
    assert_string_equal(host_log_text(), "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(every_size_is_aligned_and_usable),
        T(freed_slot_is_reused),
        T(large_allocations_take_whole_pages),
        T(sizes_zero_and_huge_are_refused),
        T(provider_failure_returns_null),
        T(zalloc_zeroes),
        T(pages_go_back_when_everything_is_freed),
        T(double_free_is_detected),
        T(foreign_and_corrupt_pointers_are_rejected),
        T(randomized_stress_with_fill_patterns),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
