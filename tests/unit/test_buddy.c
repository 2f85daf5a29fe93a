/* Unit tests for mm/buddy.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <keel/frame.h>
#include <keel/errno.h>
#include "host_log.h"

#define CHUNK   (1UL << FRAME_CHUNK_ORDER)

struct range { mfn_t start, count; };

static struct buddy *new_buddy(mfn_t nr_frames, const struct range *r, unsigned nr)
{
    struct buddy *b = calloc(1, sizeof(*b));
    struct frame *table = calloc(nr_frames, sizeof(*table));
    assert_non_null(b);
    assert_non_null(table);
    buddy_init(b, table, nr_frames);
    for (unsigned i = 0; i < nr; i++)
        buddy_add_free_range(b, r[i].start, r[i].count);
    return b;
}

static void free_buddy(struct buddy *b)
{
    free(b->table);
    free(b);
}

/* Walks every free list: links, states, alignment, counts; no free frame is
 * in `allocated` (may be NULL) or names an owner; no two free buddies are
 * left unmerged. */
static void check_invariants(const struct buddy *b, const uint8_t *allocated)
{
    uint64_t free_frames = 0;

    for (unsigned o = 0; o <= FRAME_ORDER_MAX; o++) {
        uint64_t count = 0;
        mfn_t prev = INVALID_MFN;
        for (mfn_t h = b->free_head[o]; h != INVALID_MFN; h = b->table[h].next) {
            const struct frame *f = &b->table[h];
            assert_int_equal(f->state, FRAME_FREE_HEAD);
            assert_int_equal(f->order, o);
            assert_true(f->prev == prev);
            assert_true((h & ((1UL << o) - 1)) == 0);
            assert_true(h + (1UL << o) <= b->nr_frames);
            for (mfn_t i = 0; i < (1UL << o); i++) {
                if (allocated)
                    assert_false(allocated[h + i]);
                assert_int_equal(b->table[h + i].owner, FRAME_OWNER_NONE);   /* free: no owner */
            }
            if (o < FRAME_ORDER_MAX) {
                mfn_t bud = h ^ (1UL << o);
                assert_false(bud < b->nr_frames && b->table[bud].state == FRAME_FREE_HEAD &&
                             b->table[bud].order == o);
            }
            prev = h;
            count++;
        }
        assert_true(prev == b->free_tail[o]);
        assert_int_equal(count, b->nr_free_blocks[o]);
        free_frames += count << o;
    }
    assert_int_equal(free_frames, buddy_free_frames(b));
}

static void every_order_allocates_aligned_blocks(void **state)
{
    const struct range r[] = { { 0, 2 * CHUNK } };
    struct buddy *b = new_buddy(2 * CHUNK, r, 1);
    mfn_t mfn;
    (void)state;

    assert_int_equal(buddy_managed_frames(b), 2 * CHUNK);
    assert_int_equal(b->nr_free_blocks[FRAME_ORDER_MAX], 2);
    for (unsigned o = 0; o <= FRAME_ORDER_MAX; o++) {
        assert_int_equal(buddy_alloc(b, o, &mfn), 0);
        assert_true((mfn & ((1UL << o) - 1)) == 0);
        assert_true(buddy_is_allocated(b, mfn));
        assert_true(buddy_is_allocated(b, mfn + (1UL << o) - 1));
        assert_int_equal(buddy_free_frames(b), 2 * CHUNK - (1UL << o));
        check_invariants(b, NULL);
        assert_int_equal(buddy_free(b, mfn, o), 0);
        assert_false(buddy_is_allocated(b, mfn));
        assert_int_equal(buddy_free_frames(b), 2 * CHUNK);
    }
    assert_int_equal(b->nr_free_blocks[FRAME_ORDER_MAX], 2);
    assert_int_equal(buddy_alloc(b, FRAME_ORDER_MAX + 1, &mfn), -EINVAL);
    free_buddy(b);
}

static void exhaustion_then_free_restores_everything(void **state)
{
    const struct range r[] = { { 5001, 1000 } };
    struct buddy *b = new_buddy(CHUNK, r, 1);
    mfn_t got[1000], mfn;
    unsigned n = 0;
    uint64_t blocks_before[FRAME_ORDER_MAX + 1];
    (void)state;

    memcpy(blocks_before, b->nr_free_blocks, sizeof(blocks_before));
    while (buddy_alloc(b, 0, &mfn) == 0) {
        assert_true(n < 1000);
        assert_true(mfn >= 5001 && mfn < 6001);
        got[n++] = mfn;
    }
    assert_int_equal(n, 1000);
    assert_int_equal(buddy_free_frames(b), 0);
    assert_int_equal(buddy_alloc(b, 0, &mfn), -ENOMEM);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(buddy_free(b, got[i], 0), 0);
    assert_int_equal(buddy_free_frames(b), 1000);
    assert_memory_equal(blocks_before, b->nr_free_blocks, sizeof(blocks_before));
    check_invariants(b, NULL);
    free_buddy(b);
}

static void fragmentation_and_coalescing(void **state)
{
    const struct range r[] = { { CHUNK, CHUNK } };
    struct buddy *b = new_buddy(2 * CHUNK, r, 1);
    mfn_t *got = calloc(CHUNK, sizeof(*got)), mfn;
    (void)state;

    for (mfn_t i = 0; i < CHUNK; i++)
        assert_int_equal(buddy_alloc(b, 0, &got[i]), 0);
    assert_int_equal(buddy_alloc(b, 0, &mfn), -ENOMEM);
    for (mfn_t i = 0; i < CHUNK; i++)
        if (got[i] % 2 == 0)
            assert_int_equal(buddy_free(b, got[i], 0), 0);
    assert_int_equal(buddy_free_frames(b), CHUNK / 2);
    assert_int_equal(buddy_alloc(b, 1, &mfn), -ENOMEM);
    check_invariants(b, NULL);
    for (mfn_t i = 0; i < CHUNK; i++)
        if (got[i] % 2 == 1)
            assert_int_equal(buddy_free(b, got[i], 0), 0);
    assert_int_equal(b->nr_free_blocks[FRAME_ORDER_MAX], 1);
    assert_int_equal(buddy_alloc(b, FRAME_ORDER_MAX, &mfn), 0);
    assert_int_equal(mfn, CHUNK);
    free(got);
    free_buddy(b);
}

static void double_free_is_detected(void **state)
{
    const struct range r[] = { { 4096, 4096 } };
    struct buddy *b = new_buddy(CHUNK, r, 1);
    mfn_t a, c;
    (void)state;

    assert_int_equal(buddy_alloc(b, 3, &a), 0);
    assert_int_equal(buddy_free(b, a, 3), 0);
    host_log_clear();
    assert_int_equal(buddy_free(b, a, 3), -EINVAL);
    assert_true(host_log_contains("double free"));
    assert_int_equal(buddy_free_frames(b), 4096);

    /* Freed block merged into a bigger one: still a double free. */
    assert_int_equal(buddy_alloc(b, 0, &a), 0);
    assert_int_equal(buddy_alloc(b, 0, &c), 0);
    assert_int_equal(a ^ c, 1);
    assert_int_equal(buddy_free(b, a, 0), 0);
    assert_int_equal(buddy_free(b, c, 0), 0);
    host_log_clear();
    char want[64];
    snprintf(want, sizeof(want), "mfn 0x%lx", (unsigned long)c);
    assert_int_equal(buddy_free(b, c, 0), -EINVAL);
    assert_true(host_log_contains("double free"));
    assert_true(host_log_contains(want));
    assert_int_equal(buddy_free_frames(b), 4096);
    check_invariants(b, NULL);
    free_buddy(b);
}

static void expect_bad_free(struct buddy *b, mfn_t mfn, unsigned order, const char *why)
{
    uint64_t before = buddy_free_frames(b);
    char want[64];

    host_log_clear();
    assert_int_equal(buddy_free(b, mfn, order), -EINVAL);
    snprintf(want, sizeof(want), "mfn 0x%lx", (unsigned long)mfn);
    assert_true(host_log_contains(want));
    assert_true(host_log_contains(why));
    assert_int_equal(buddy_free_frames(b), before);
}

static void bad_frees_are_rejected(void **state)
{
    const struct range r[] = { { 4096, 1024 }, { 8192, 4096 } };
    struct buddy *b = new_buddy(CHUNK + 100, r, 2);
    mfn_t m;
    (void)state;

    assert_int_equal(buddy_alloc(b, 4, &m), 0);
    expect_bad_free(b, 6000, 0, "not managed");            /* hole */
    expect_bad_free(b, 100, 0, "not managed");             /* never added */
    expect_bad_free(b, CHUNK + 16, 0, "not managed");      /* chunk never managed */
    expect_bad_free(b, m + 1, 4, "misaligned");
    expect_bad_free(b, m, 5, "bigger than the allocated block");
    expect_bad_free(b, CHUNK + 100, 0, "out of range");
    expect_bad_free(b, CHUNK + 96, 3, "out of range");
    expect_bad_free(b, ~0UL, 0, "out of range");
    expect_bad_free(b, m, FRAME_ORDER_MAX + 1, "order too big");
    assert_int_equal(buddy_free(b, m, 4), 0);
    assert_int_equal(buddy_free_frames(b), 1024 + 4096);
    check_invariants(b, NULL);
    free_buddy(b);
}

/* Frees pieces of an order-9 block in a shuffled order: each piece is
 * accepted (the block splits), a piece freed twice is a double free, the
 * remaining pieces stay allocated, and the last one merges everything. */
static void pieces_of_a_block_can_be_freed(void **state)
{
    const struct range r[] = { { 4096, 4096 } };
    struct buddy *b = new_buddy(CHUNK, r, 1);
    uint8_t *allocated = calloc(CHUNK, 1);
    mfn_t m;
    unsigned idx[512];
    (void)state;

    assert_int_equal(buddy_alloc(b, 9, &m), 0);
    for (unsigned i = 0; i < 512; i++) {
        b->table[m + i].owner = 5;              /* a domain's: cleared as freed */
        allocated[m + i] = 1;
        idx[i] = i;
    }
    srand(7);
    for (unsigned i = 511; i > 0; i--) {
        unsigned j = (unsigned)rand() % (i + 1), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    uint64_t before = buddy_free_frames(b);
    for (unsigned k = 0; k < 512; k++) {
        mfn_t f = m + idx[k];
        assert_true(buddy_is_allocated(b, f));
        assert_int_equal(buddy_free(b, f, 0), 0);
        allocated[f] = 0;
        assert_false(buddy_is_allocated(b, f));
        assert_int_equal(buddy_free_frames(b), before + k + 1);
        for (unsigned i = 0; i < 512; i++)
            assert_int_equal(buddy_is_allocated(b, m + i), allocated[m + i]);
        if (k % 64 == 0) {
            host_log_clear();
            assert_int_equal(buddy_free(b, f, 0), -EINVAL);
            assert_true(host_log_contains("double free"));
        }
        check_invariants(b, allocated);
    }
    assert_int_equal(buddy_free_frames(b), 4096);
    assert_int_equal(b->nr_free_blocks[12], 1);     /* merged back whole */
    free(allocated);
    free_buddy(b);
}

/* A middle piece of higher order, then the rest as the halves left. */
static void aligned_piece_of_higher_order(void **state)
{
    const struct range r[] = { { 4096, 4096 } };
    struct buddy *b = new_buddy(CHUNK, r, 1);
    mfn_t m;
    (void)state;

    assert_int_equal(buddy_alloc(b, 4, &m), 0);
    expect_bad_free(b, m + 4, 3, "misaligned");
    assert_int_equal(buddy_free(b, m + 8, 2), 0);      /* frames 8..11 */
    assert_int_equal(buddy_free_frames(b), 4096 - 16 + 4);
    expect_bad_free(b, m + 8, 3, "double free");   /* 8..15: 8..11 are free */
    expect_bad_free(b, m + 9, 0, "double free");
    assert_true(buddy_is_allocated(b, m + 12) && buddy_is_allocated(b, m + 7));
    assert_int_equal(buddy_free(b, m, 3), 0);
    assert_int_equal(buddy_free(b, m + 13, 0), 0);
    assert_int_equal(buddy_free(b, m + 12, 0), 0);
    assert_int_equal(buddy_free(b, m + 14, 1), 0);
    assert_int_equal(buddy_free_frames(b), 4096);
    check_invariants(b, NULL);
    free_buddy(b);
}

static void ranges_with_holes_and_odd_starts(void **state)
{
    const struct range r[] = { { 3, 1000 }, { 1500, 1 }, { 2047, 3 }, { 9999, 7777 },
                               { 40000, 1 }, { 0, 0 } };
    const mfn_t nr = 2 * CHUNK;
    struct buddy *b = new_buddy(nr, r, ARRAY_SIZE(r));
    uint8_t *ram = calloc(nr, 1), *seen = calloc(nr, 1);
    uint64_t total = 0;
    mfn_t mfn;
    (void)state;

    for (unsigned i = 0; i < ARRAY_SIZE(r); i++) {
        for (mfn_t f = r[i].start; f < r[i].start + r[i].count; f++)
            ram[f] = 1;
        total += r[i].count;
    }
    assert_int_equal(buddy_managed_frames(b), total);
    assert_int_equal(buddy_free_frames(b), total);
    check_invariants(b, NULL);

    /* Overlaps and out-of-range parts are refused with a log line. */
    host_log_clear();
    buddy_add_free_range(b, 990, 20);
    assert_true(host_log_contains("already managed"));
    buddy_add_free_range(b, nr - 1, 5);
    assert_true(host_log_contains("clipped"));
    for (mfn_t f = 1003; f < 1010; f++)
        ram[f] = 1;
    ram[nr - 1] = 1;
    total += 7 + 1;
    assert_int_equal(buddy_managed_frames(b), total);

    for (uint64_t i = 0; i < total; i++) {
        assert_int_equal(buddy_alloc(b, 0, &mfn), 0);
        assert_true(ram[mfn]);
        assert_false(seen[mfn]);
        seen[mfn] = 1;
    }
    assert_int_equal(buddy_alloc(b, 0, &mfn), -ENOMEM);
    free(ram);
    free(seen);
    free_buddy(b);
}

static void adjacent_ranges_merge(void **state)
{
    const struct range r[] = { { 512, 512 }, { 0, 512 }, { 1024, 1024 } };
    struct buddy *b = new_buddy(CHUNK, r, ARRAY_SIZE(r));
    (void)state;

    assert_int_equal(b->nr_free_blocks[11], 1);
    assert_int_equal(buddy_free_frames(b), 2048);
    check_invariants(b, NULL);
    free_buddy(b);
}

static void alloc_prefers_high_memory_and_below_respects_limit(void **state)
{
    const struct range r[] = { { 1, 255 }, { 256, 3840 }, { 8192, 64 } };
    struct buddy *b = new_buddy(CHUNK, r, ARRAY_SIZE(r));
    mfn_t mfn;
    (void)state;

    assert_int_equal(buddy_alloc(b, 0, &mfn), 0);
    assert_true(mfn >= 8192);
    assert_int_equal(buddy_free(b, mfn, 0), 0);

    assert_int_equal(buddy_alloc_below(b, 0, 256, &mfn), 0);
    assert_true(mfn < 256);
    assert_int_equal(buddy_alloc_below(b, 4, 300, &mfn), 0);
    assert_true(mfn + 16 <= 300);
    assert_int_equal(buddy_alloc_below(b, 9, 512, &mfn), -ENOMEM);
    assert_int_equal(buddy_alloc_below(b, 0, 1, &mfn), -ENOMEM);
    assert_int_equal(buddy_alloc_below(b, FRAME_ORDER_MAX + 1, ~0UL, &mfn), -EINVAL);

    /* Everything below 16 MiB only once the high memory is gone. */
    for (int i = 0; i < 64; i++) {
        assert_int_equal(buddy_alloc(b, 0, &mfn), 0);
        assert_true(mfn >= 8192);
    }
    assert_int_equal(buddy_alloc(b, 0, &mfn), 0);
    assert_true(mfn < 4096);
    check_invariants(b, NULL);
    free_buddy(b);
}

/* xorshift64*: a fixed sequence on every host. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

struct live { mfn_t mfn; unsigned order; };

static void randomized_stress_against_shadow(void **state)
{
    const struct range r[] = { { 1, 158 }, { 256, 30000 }, { 33000, 37000 },
                               { 70001, 28999 } };
    const mfn_t nr = 3 * CHUNK + 1000;
    struct buddy *b = new_buddy(nr, r, ARRAY_SIZE(r));
    uint8_t *ram = calloc(nr, 1), *shadow = calloc(nr, 1);
    struct live *live = calloc(100000, sizeof(*live));
    unsigned nr_live = 0;
    uint64_t live_frames = 0, blocks_before[FRAME_ORDER_MAX + 1];
    (void)state;

    memcpy(blocks_before, b->nr_free_blocks, sizeof(blocks_before));
    for (unsigned i = 0; i < ARRAY_SIZE(r); i++)
        memset(ram + r[i].start, 1, r[i].count);
    for (int op = 0; op < 100000; op++) {
        uint64_t x = rnd();
        if (nr_live && (x & 1)) {
            unsigned i = (x >> 8) % nr_live;
            struct live l = live[i];
            assert_int_equal(buddy_free(b, l.mfn, l.order), 0);
            memset(shadow + l.mfn, 0, 1UL << l.order);
            live[i] = live[--nr_live];
            live_frames -= 1UL << l.order;
            if ((x >> 40) % 64 == 0) {
                host_log_clear();
                assert_int_equal(buddy_free(b, l.mfn, l.order), -EINVAL);
                assert_true(host_log_contains("bad free"));
            }
        } else {
            unsigned order = (x >> 8) % 8 == 0 ? (x >> 16) % 12 : (x >> 16) % 3;
            mfn_t mfn, limit = nr;
            int rc;
            if ((x >> 24) % 32 == 0) {
                limit = (x >> 32) % nr;
                rc = buddy_alloc_below(b, order, limit, &mfn);
            } else {
                rc = buddy_alloc(b, order, &mfn);
            }
            if (rc == 0) {
                assert_true(mfn + (1UL << order) <= limit);
                for (mfn_t f = mfn; f < mfn + (1UL << order); f++) {
                    assert_true(ram[f]);
                    assert_false(shadow[f]);
                    shadow[f] = 1;
                }
                live[nr_live++] = (struct live){ mfn, order };
                live_frames += 1UL << order;
            } else {
                assert_int_equal(rc, -ENOMEM);
            }
        }
        assert_int_equal(buddy_free_frames(b) + live_frames, buddy_managed_frames(b));
        if (op % 5000 == 0)
            check_invariants(b, shadow);
    }
    check_invariants(b, shadow);
    while (nr_live) {
        nr_live--;
        assert_int_equal(buddy_free(b, live[nr_live].mfn, live[nr_live].order), 0);
    }
    assert_int_equal(buddy_free_frames(b), buddy_managed_frames(b));
    assert_memory_equal(blocks_before, b->nr_free_blocks, sizeof(blocks_before));
    check_invariants(b, NULL);
    free(live);
    free(ram);
    free(shadow);
    free_buddy(b);
}

/* Only chunks 1, 3, 4 and 7 of the table are backed; any access elsewhere
 * faults. The last chunk is cut short by nr_frames. */
static void sparse_table_is_never_touched_outside_ram_chunks(void **state)
{
    const mfn_t nr = 7 * CHUNK + CHUNK / 2;
    const size_t chunk_bytes = CHUNK * sizeof(struct frame);
    const size_t table_bytes = 8 * chunk_bytes;
    const unsigned backed[] = { 1, 3, 4, 7 };
    const struct range r[] = { { CHUNK + 100, 20000 }, { 3 * CHUNK + 30000, 2768 + 5000 },
                               { 4 * CHUNK + 9000, 3 }, { 7 * CHUNK + 7, CHUNK / 2 - 7 } };
    struct frame *table = mmap(NULL, table_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static struct buddy b;
    mfn_t *got = calloc(2 * CHUNK, sizeof(*got)), mfn;
    unsigned n = 0;
    (void)state;

    assert_true(table != MAP_FAILED);
    for (unsigned i = 0; i < ARRAY_SIZE(backed); i++)
        assert_int_equal(mprotect((char *)table + backed[i] * chunk_bytes, chunk_bytes,
                                  PROT_READ | PROT_WRITE), 0);
    buddy_init(&b, table, nr);
    for (unsigned i = 0; i < ARRAY_SIZE(r); i++)
        buddy_add_free_range(&b, r[i].start, r[i].count);
    check_invariants(&b, NULL);

    for (unsigned o = 0; o <= FRAME_ORDER_MAX; o++)
        if (buddy_alloc(&b, o, &mfn) == 0)
            assert_int_equal(buddy_free(&b, mfn, o), 0);
    while (buddy_alloc(&b, 0, &got[n]) == 0)
        n++;
    assert_int_equal(n, buddy_managed_frames(&b));
    assert_int_equal(buddy_alloc_below(&b, 0, ~0UL, &mfn), -ENOMEM);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(buddy_free(&b, got[i], 0), 0);
    assert_int_equal(buddy_alloc_below(&b, 2, CHUNK + 104, &mfn), 0);
    assert_int_equal(mfn, CHUNK + 100);
    assert_int_equal(buddy_free(&b, mfn, 2), 0);

    const mfn_t outside[] = { 0, 5, 2 * CHUNK + 77, 5 * CHUNK, 6 * CHUNK + 123 };
    for (unsigned i = 0; i < ARRAY_SIZE(outside); i++) {
        assert_false(buddy_entry_backed(&b, outside[i]));
        assert_false(buddy_is_allocated(&b, outside[i]));
        expect_bad_free(&b, outside[i], 0, "not managed");
    }
    assert_true(buddy_entry_backed(&b, 4 * CHUNK));
    assert_false(buddy_entry_backed(&b, nr));
    assert_int_equal(buddy_free_frames(&b), buddy_managed_frames(&b));
    check_invariants(&b, NULL);
    free(got);
    munmap(table, table_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_order_allocates_aligned_blocks),
        cmocka_unit_test(exhaustion_then_free_restores_everything),
        cmocka_unit_test(fragmentation_and_coalescing),
        cmocka_unit_test(double_free_is_detected),
        cmocka_unit_test(bad_frees_are_rejected),
        cmocka_unit_test(pieces_of_a_block_can_be_freed),
        cmocka_unit_test(aligned_piece_of_higher_order),
        cmocka_unit_test(ranges_with_holes_and_odd_starts),
        cmocka_unit_test(adjacent_ranges_merge),
        cmocka_unit_test(alloc_prefers_high_memory_and_below_respects_limit),
        cmocka_unit_test(randomized_stress_against_shadow),
        cmocka_unit_test(sparse_table_is_never_touched_outside_ram_chunks),
    };
    return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
