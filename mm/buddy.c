/* Buddy allocator of machine frames (interface and invariants in
 * include/keel/frame.h).
 *
 * Free blocks of each order sit on a doubly linked list threaded through
 * the head frames' next/prev, so taking a buddy off its list is O(1).
 * Blocks whose head is below 16 MiB are appended at a list's tail and all
 * others pushed at its head: ordinary allocations take high memory first
 * and low memory stays for DMA and trampolines. */
#include <keel/frame.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define LOW_MEM_FRAMES  4096UL      /* 16 MiB */

static inline mfn_t order_frames(unsigned order)
{
    return (mfn_t)1 << order;
}

static bool chunk_managed(const struct buddy *b, mfn_t mfn)
{
    mfn_t c = mfn >> FRAME_CHUNK_ORDER;

    return mfn < b->nr_frames && ((b->chunk_managed[c / 64] >> (c % 64)) & 1);
}

static void mark_chunk_managed(struct buddy *b, mfn_t mfn)
{
    mfn_t c = mfn >> FRAME_CHUNK_ORDER;

    b->chunk_managed[c / 64] |= 1UL << (c % 64);
}

static void list_insert(struct buddy *b, mfn_t mfn, unsigned order)
{
    struct frame *f = &b->table[mfn];

    f->state = FRAME_FREE_HEAD;
    f->order = (uint8_t)order;
    if (mfn < LOW_MEM_FRAMES) {
        f->next = INVALID_MFN;
        f->prev = b->free_tail[order];
        if (f->prev != INVALID_MFN)
            b->table[f->prev].next = mfn;
        else
            b->free_head[order] = mfn;
        b->free_tail[order] = mfn;
    } else {
        f->prev = INVALID_MFN;
        f->next = b->free_head[order];
        if (f->next != INVALID_MFN)
            b->table[f->next].prev = mfn;
        else
            b->free_tail[order] = mfn;
        b->free_head[order] = mfn;
    }
    b->nr_free_blocks[order]++;
    b->nr_free_frames += order_frames(order);
}

/* Unlinks a free block; the caller sets the head's new state. */
static void list_remove(struct buddy *b, mfn_t mfn)
{
    struct frame *f = &b->table[mfn];
    unsigned order = f->order;

    if (f->prev != INVALID_MFN)
        b->table[f->prev].next = f->next;
    else
        b->free_head[order] = f->next;
    if (f->next != INVALID_MFN)
        b->table[f->next].prev = f->prev;
    else
        b->free_tail[order] = f->prev;
    f->next = f->prev = INVALID_MFN;
    b->nr_free_blocks[order]--;
    b->nr_free_frames -= order_frames(order);
}

/* Puts a block on the free lists, merging it with free buddies. Buddies
 * below FRAME_ORDER_MAX are inside the block's own chunk. */
static void free_block(struct buddy *b, mfn_t mfn, unsigned order)
{
    while (order < FRAME_ORDER_MAX) {
        mfn_t buddy = mfn ^ order_frames(order);
        if (buddy >= b->nr_frames)
            break;
        const struct frame *bf = &b->table[buddy];
        if (bf->state != FRAME_FREE_HEAD || bf->order != order)
            break;
        list_remove(b, buddy);
        b->table[mfn | order_frames(order)].state = FRAME_TAIL;
        mfn &= ~order_frames(order);
        order++;
    }
    list_insert(b, mfn, order);
}

/* Takes free block `mfn` off its list, gives back the parts beyond `want`
 * (upper halves) and marks the rest allocated. */
static void take_block(struct buddy *b, mfn_t mfn, unsigned want)
{
    unsigned order = b->table[mfn].order;

    list_remove(b, mfn);
    while (order > want) {
        order--;
        list_insert(b, mfn + order_frames(order), order);
    }
    b->table[mfn].state = FRAME_ALLOCATED;
    b->table[mfn].order = (uint8_t)want;
}

/* Head of the block containing managed frame mfn, or INVALID_MFN if mfn is
 * reserved. Candidates are mfn rounded down to each order: all of them up
 * to the true head lie inside the block, where non-heads are FRAME_TAIL. */
static mfn_t find_head(const struct buddy *b, mfn_t mfn)
{
    if (b->table[mfn].state == FRAME_RESERVED)
        return INVALID_MFN;
    for (unsigned o = 0; o <= FRAME_ORDER_MAX; o++) {
        mfn_t h = mfn & ~(order_frames(o) - 1);
        const struct frame *f = &b->table[h];
        if ((f->state == FRAME_FREE_HEAD || f->state == FRAME_ALLOCATED) && f->order >= o)
            return h;
    }
    return INVALID_MFN;
}

void buddy_init(struct buddy *b, struct frame *table, mfn_t nr_frames)
{
    memset(b, 0, sizeof(*b));
    if (nr_frames > BUDDY_MAX_FRAMES) {
        log_warn("buddy: ignoring frames above 0x%lx\n", (unsigned long)BUDDY_MAX_FRAMES);
        nr_frames = BUDDY_MAX_FRAMES;
    }
    b->table = table;
    b->nr_frames = nr_frames;
    for (unsigned o = 0; o <= FRAME_ORDER_MAX; o++)
        b->free_head[o] = b->free_tail[o] = INVALID_MFN;
}

/* Adds [start, end) of reserved frames as maximal aligned blocks. */
static void add_run(struct buddy *b, mfn_t start, mfn_t end)
{
    while (start < end) {
        unsigned order = 63 - (unsigned)__builtin_clzll(end - start);
        if (start && (unsigned)__builtin_ctzll(start) < order)
            order = (unsigned)__builtin_ctzll(start);
        order = MIN(order, (unsigned)FRAME_ORDER_MAX);

        mark_chunk_managed(b, start);
        for (mfn_t i = 0; i < order_frames(order); i++) {
            struct frame *f = &b->table[start + i];
            memset(f, 0, sizeof(*f));
            f->next = f->prev = INVALID_MFN;
            f->owner = FRAME_OWNER_NONE;
            f->state = i ? FRAME_TAIL : FRAME_ALLOCATED;
            f->order = i ? 0 : (uint8_t)order;
        }
        b->nr_managed_frames += order_frames(order);
        free_block(b, start, order);
        start += order_frames(order);
    }
}

void buddy_add_free_range(struct buddy *b, mfn_t start, mfn_t count)
{
    if (count == 0)
        return;
    if (start >= b->nr_frames || count > b->nr_frames - start) {
        log_err("buddy: range 0x%lx+0x%lx beyond frame 0x%lx clipped\n",
                (unsigned long)start, (unsigned long)count, (unsigned long)b->nr_frames);
        if (start >= b->nr_frames)
            return;
        count = b->nr_frames - start;
    }
    mfn_t end = start + count;
    for (mfn_t mfn = start; mfn < end;) {
        mfn_t run = mfn;
        while (run < end && b->table[run].state == FRAME_RESERVED)
            run++;
        add_run(b, mfn, run);
        mfn = run;
        while (run < end && b->table[run].state != FRAME_RESERVED)
            run++;
        if (run > mfn)
            log_err("buddy: frames 0x%lx-0x%lx already managed, not added again\n",
                    (unsigned long)mfn, (unsigned long)run - 1);
        mfn = run;
    }
}

int buddy_alloc(struct buddy *b, unsigned order, mfn_t *out)
{
    if (order > FRAME_ORDER_MAX)
        return -EINVAL;
    /* High blocks sit at list heads: first look for one of those. */
    for (unsigned o = order; o <= FRAME_ORDER_MAX; o++) {
        mfn_t h = b->free_head[o];
        if (h != INVALID_MFN && h >= LOW_MEM_FRAMES) {
            take_block(b, h, order);
            *out = h;
            return 0;
        }
    }
    for (unsigned o = order; o <= FRAME_ORDER_MAX; o++) {
        mfn_t h = b->free_head[o];
        if (h != INVALID_MFN) {
            take_block(b, h, order);
            *out = h;
            return 0;
        }
    }
    return -ENOMEM;
}

int buddy_alloc_below(struct buddy *b, unsigned order, mfn_t limit, mfn_t *out)
{
    if (order > FRAME_ORDER_MAX)
        return -EINVAL;
    /* The allocated part is the block's first 2^order frames. Low blocks
     * are at list tails, so walk backwards. */
    for (unsigned o = order; o <= FRAME_ORDER_MAX; o++) {
        for (mfn_t h = b->free_tail[o]; h != INVALID_MFN; h = b->table[h].prev) {
            if (h < limit && order_frames(order) <= limit - h) {
                take_block(b, h, order);
                *out = h;
                return 0;
            }
        }
    }
    return -ENOMEM;
}

/* Logs why freeing (mfn, order) is wrong; returns 0 if it is right and
 * sets *head to the allocated block that holds it. A free may cover a
 * whole allocated block or any aligned piece of one (a domain gives back
 * single frames of a block it was given at a higher order). The table is
 * read only once mfn is known to be in a managed chunk. */
static int check_free(const struct buddy *b, mfn_t mfn, unsigned order, mfn_t *head)
{
    const char *why = NULL;
    mfn_t h = INVALID_MFN;

    if (order > FRAME_ORDER_MAX)
        why = "order too big";
    else if (mfn >= b->nr_frames || order_frames(order) > b->nr_frames - mfn)
        why = "out of range";
    else if (mfn & (order_frames(order) - 1))
        why = "misaligned for its order";
    else if (chunk_managed(b, mfn))
        h = find_head(b, mfn);
    if (!why && h == INVALID_MFN)
        why = "frame not managed";
    if (why) {
        log_err("buddy: bad free of mfn 0x%lx order %u: %s\n", (unsigned long)mfn, order, why);
        return -EINVAL;
    }

    /* mfn is aligned to 2^order and lies in block h: if order <= the
     * block's order, the whole piece lies in the block. */
    const struct frame *f = &b->table[h];
    *head = h;
    if (f->state == FRAME_ALLOCATED && order <= f->order)
        return 0;
    why = f->state == FRAME_FREE_HEAD ? "double free (frame is free)"
                                      : "bigger than the allocated block";
    log_err("buddy: bad free of mfn 0x%lx order %u: %s; block 0x%lx order %u\n",
            (unsigned long)mfn, order, why, (unsigned long)h, f->order);
    return -EINVAL;
}

/* Splits allocated block h until the aligned piece (mfn, order) is a block
 * of its own; the other halves stay allocated as blocks of their own (their
 * head entries keep the owner the caller gave their frames). */
static void split_allocated(struct buddy *b, mfn_t h, mfn_t mfn, unsigned order)
{
    unsigned o = b->table[h].order;

    while (o > order) {
        o--;
        mfn_t upper = h + order_frames(o);
        mfn_t other = mfn >= upper ? h : upper;
        b->table[other].state = FRAME_ALLOCATED;
        b->table[other].order = (uint8_t)o;
        if (mfn >= upper)
            h = upper;
    }
    b->table[mfn].state = FRAME_ALLOCATED;
    b->table[mfn].order = (uint8_t)order;
}

int buddy_free(struct buddy *b, mfn_t mfn, unsigned order)
{
    mfn_t h;
    int rc = check_free(b, mfn, order, &h);

    if (rc)
        return rc;
    if (h != mfn || b->table[h].order != order)
        split_allocated(b, h, mfn, order);
    /* A free frame names no owner, tails included: owner == d is then
     * enough to know a frame is d's (mm/pv_refs.c relies on it). */
    for (mfn_t i = 0; i < order_frames(order); i++)
        b->table[mfn + i].owner = FRAME_OWNER_NONE;
    free_block(b, mfn, order);
    return 0;
}

uint64_t buddy_free_frames(const struct buddy *b)
{
    return b->nr_free_frames;
}

uint64_t buddy_managed_frames(const struct buddy *b)
{
    return b->nr_managed_frames;
}

bool buddy_is_allocated(const struct buddy *b, mfn_t mfn)
{
    if (!chunk_managed(b, mfn))
        return false;
    mfn_t h = find_head(b, mfn);
    return h != INVALID_MFN && b->table[h].state == FRAME_ALLOCATED;
}

bool buddy_entry_backed(const struct buddy *b, mfn_t mfn)
{
    return chunk_managed(b, mfn);
}
