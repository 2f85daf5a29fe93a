/* LZMA2 decoder (the filter inside .xz blocks), single-call: the whole
 * output buffer is the dictionary. Private to hv/decompress/unxz.c. */
#ifndef KEEL_DECOMPRESS_LZMA2_H
#define KEEL_DECOMPRESS_LZMA2_H

#include <keel/types.h>

#define LZMA_STATES         12
#define LZMA_POS_STATES_MAX 16
#define LZMA_DIST_STATES    4   /* distance slot contexts by match length */
#define LZMA_DIST_SLOTS     64
#define LZMA_DIST_MODEL_END 14  /* slots below this code their low bits with a tree */
#define LZMA_FULL_DISTANCES 128
#define LZMA_ALIGN_BITS     4
#define LZMA_LITERAL_PROBS  0x300
#define LZMA_LCLP_MAX       4

struct lzma_len_probs {
    uint16_t choice, choice2;
    uint16_t low[LZMA_POS_STATES_MAX][8];
    uint16_t mid[LZMA_POS_STATES_MAX][8];
    uint16_t high[256];
};

/* The adaptive probability model (~28 KiB: keep it off the stack). */
struct lzma_probs {
    uint16_t is_match[LZMA_STATES][LZMA_POS_STATES_MAX];
    uint16_t is_rep[LZMA_STATES];
    uint16_t is_rep_g0[LZMA_STATES];
    uint16_t is_rep_g1[LZMA_STATES];
    uint16_t is_rep_g2[LZMA_STATES];
    uint16_t is_rep0_long[LZMA_STATES][LZMA_POS_STATES_MAX];
    uint16_t dist_slot[LZMA_DIST_STATES][LZMA_DIST_SLOTS];
    uint16_t dist_special[LZMA_FULL_DISTANCES - LZMA_DIST_MODEL_END + 1];
    uint16_t dist_align[1 << LZMA_ALIGN_BITS];
    struct lzma_len_probs match_len;
    struct lzma_len_probs rep_len;
    uint16_t literal[LZMA_LITERAL_PROBS << LZMA_LCLP_MAX];
};

struct lzma2_dec {
    struct lzma_probs probs;
    uint32_t rep[4];        /* last four match distances, 0-based */
    unsigned state;         /* 0..11: what the last few symbols were */
    unsigned lc, lp, pb;    /* literal context / literal pos / pos bits */
    uint32_t dict_size;     /* from the filter properties: bounds distances */
    size_t dict_start;      /* out[] index of the last dictionary reset */
    bool need_dict_reset;
    bool need_props;
};

/* Prepares for one block's LZMA2 data whose output starts at out[out_pos]. */
void lzma2_init(struct lzma2_dec *d, uint32_t dict_size, size_t out_pos);

/* Decodes LZMA2 chunks from in[*in_pos..in_end) up to and including the
 * end-of-data control byte, appending to out[*out_pos..out_cap). `in` is the
 * whole .xz input, so offsets in error messages are file offsets. Updates
 * *in_pos and *out_pos. Returns 0, -EINVAL (logged) or -ENOSPC (logged). */
int lzma2_decode(struct lzma2_dec *d, const uint8_t *in, size_t in_end, size_t *in_pos,
                 uint8_t *out, size_t out_cap, size_t *out_pos);

#endif
