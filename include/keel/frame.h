/* The frame table (one entry per machine frame) and the buddy allocator of
 * machine frames that threads its free lists through it.
 *
 * The frame table is SPARSE: only 2^FRAME_ORDER_MAX-aligned chunks that hold
 * RAM are backed by memory. The allocator reads or writes only entries of
 * chunks that hold a frame it was given (buddy_add_free_range) and never
 * merges beyond FRAME_ORDER_MAX, so a buddy is always in the same chunk.
 *
 * The allocator is pure, single-threaded code with explicit state: the
 * hypervisor keeps one instance and takes its own lock around calls. */
#ifndef KEEL_FRAME_H
#define KEEL_FRAME_H

#include <keel/types.h>
#include <keel/compiler.h>

#define FRAME_ORDER_MAX     15                  /* largest block: 128 MiB */
#define FRAME_CHUNK_ORDER   FRAME_ORDER_MAX     /* sparse-table granule */

#define FRAME_OWNER_HV      0x7ff0u
#define FRAME_OWNER_NONE    0x7fffu

/* A zeroed entry is FRAME_RESERVED: not managed by the allocator. Every
 * managed frame is the head of a block (free or allocated, `order` says its
 * size) or a tail inside one; tails' states are not rewritten on alloc/free,
 * which keeps the block bookkeeping O(FRAME_ORDER_MAX). Free resets the
 * owner of every frame of the block to FRAME_OWNER_NONE (a free frame never
 * names an owner), so an owner check alone says whose a frame is. */
enum frame_state {
    FRAME_RESERVED = 0,     /* not managed (hole, firmware, image, ...) */
    FRAME_FREE_HEAD,        /* first frame of a free block, on a free list */
    FRAME_TAIL,             /* non-first frame of a block, free or allocated */
    FRAME_ALLOCATED,        /* first frame of an allocated block */
};

struct frame {
    uint64_t next, prev;    /* mfn links of the free lists (INVALID_MFN = none) */
    uint32_t owner;         /* domain id, FRAME_OWNER_HV or FRAME_OWNER_NONE */
    uint32_t type_info;     /* PV page type + type refcount (later issue) */
    uint32_t count;         /* general reference count (later issue) */
    uint8_t  state;         /* enum frame_state */
    uint8_t  order;         /* order of the block this frame heads */
    uint16_t flags;
};
BUILD_BUG_ON(sizeof(struct frame) != 32);

/* Chunks the allocator can track: 2^16 chunks of 128 MiB = 8 TiB of machine
 * address space (more than the 5 TiB direct map). Frames above are ignored. */
#define BUDDY_MAX_CHUNKS    (1UL << 16)
#define BUDDY_MAX_FRAMES    (BUDDY_MAX_CHUNKS << FRAME_CHUNK_ORDER)

struct buddy {
    struct frame *table;
    mfn_t nr_frames;
    mfn_t free_head[FRAME_ORDER_MAX + 1];   /* high blocks first ... */
    mfn_t free_tail[FRAME_ORDER_MAX + 1];   /* ... blocks below 16 MiB last */
    uint64_t nr_free_frames, nr_managed_frames;
    uint64_t nr_free_blocks[FRAME_ORDER_MAX + 1];
    uint64_t chunk_managed[BUDDY_MAX_CHUNKS / 64];  /* chunks holding managed frames */
};

/* Empty allocator over `table` (not touched: entries must read as zero). */
void buddy_init(struct buddy *b, struct frame *table, mfn_t nr_frames);
/* Boot: hand over usable frames [start, start+count); they are split into
 * maximal aligned blocks and merged with free neighbours. Frames already
 * managed or beyond nr_frames are skipped with a log line. */
void buddy_add_free_range(struct buddy *b, mfn_t start, mfn_t count);
/* 0 and *out = first frame of a 2^order block; -ENOMEM, or -EINVAL if order
 * is too big. Prefers frames at or above 16 MiB. */
int buddy_alloc(struct buddy *b, unsigned order, mfn_t *out);
/* Same, for a block lying entirely below frame `limit`. O(free blocks). */
int buddy_alloc_below(struct buddy *b, unsigned order, mfn_t limit, mfn_t *out);
/* Frees 2^order frames at mfn: a whole allocated block or any aligned
 * piece of one (the rest of the block stays allocated, split into smaller
 * blocks). 0, or -EINVAL with a log line on a double free, an unmanaged,
 * misaligned or out-of-range frame, or a piece bigger than its block. */
int buddy_free(struct buddy *b, mfn_t mfn, unsigned order);

uint64_t buddy_free_frames(const struct buddy *b);
uint64_t buddy_managed_frames(const struct buddy *b);
/* True if mfn lies inside an allocated block. */
bool buddy_is_allocated(const struct buddy *b, mfn_t mfn);
/* True if mfn's frame-table entry is backed (its chunk holds managed
 * frames), i.e. it may be read: the check before trusting an outside mfn. */
bool buddy_entry_backed(const struct buddy *b, mfn_t mfn);

#endif
