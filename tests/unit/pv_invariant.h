/* The global invariant of the PV reference machinery, recomputed from the
 * actual entries of every validated table of the fake machine, and a long
 * randomized run of every operation on two domains checked after each
 * step. Test-only; include after <cmocka.h> and "pv_fake.h". */
#ifndef PV_INVARIANT_H
#define PV_INVARIANT_H

#include <stdio.h>

/* References the "hypervisor" holds besides the entries and the pins. A
 * base of 0 or INVALID_MFN means none (frame 0 is reserved). */
struct pv_model {
    mfn_t base[2][2];                   /* [domain][vCPU] */
    uint32_t ext_ref[FAKE_FRAMES];      /* pv_get_ref */
    uint32_t ext_type[FAKE_FRAMES];     /* pv_get_type, whatever the type */
};

struct pv_inv_stats {
    unsigned long validated[7];         /* sum over steps, per type */
    unsigned max_validated[7];
};

static int pv_dom_of(mfn_t f)
{
    if (f >= A_FIRST && f < A_END)
        return DOM_A;
    if (f >= B_FIRST && f < B_END)
        return DOM_B;
    return -1;
}

static uint32_t pv_exp_c[FAKE_FRAMES], pv_exp_t[FAKE_FRAMES];

/* Entries of validated table f (level lvl): each present entry points at a
 * frame of f's domain with the right type; counts what it must hold. */
static void pv_scan_table(struct fake_machine *m, mfn_t f, unsigned lvl)
{
    struct pv_mm_ctx c = fake_ctx(m, (uint16_t)pv_dom_of(f));

    if (lvl == 4)
        assert_memory_equal(&m->mem[f][PV_HV_L4_FIRST], m->hv_slots, sizeof(m->hv_slots));
    for (unsigned i = 0; i < PV_PT_ENTRIES; i++) {
        uint64_t e = m->mem[f][i];
        if (!(e & PV_PTE_P) || !pv_pt_guest_slot(lvl, i))
            continue;
        assert_int_equal(pv_pt_validate_entry(&c, lvl, e), 0);
        assert_int_equal(pv_pt_adjust_entry(lvl, e), e);
        mfn_t t = pv_pte_mfn(e);
        /* (b) never another domain's, the hypervisor's or an unowned frame */
        assert_true(t < FAKE_FRAMES);
        assert_int_equal(pv_dom_of(t), pv_dom_of(f));
        uint32_t tti = m->table[t].type_info;
        if (lvl == 1 && !(e & PV_PTE_RW)) {
            pv_exp_c[t]++;
            continue;
        }
        /* (a) a RW L1 entry maps only a WRITABLE frame (never a table or a
         * descriptor page); an Ln entry only a validated L(n-1). */
        assert_int_equal(pv_ti_type(tti), lvl == 1 ? PV_TYPE_WRITABLE : lvl - 1);
        assert_true(pv_ti_count(tti) > 0 && (tti & PV_TI_VALIDATED));
        pv_exp_c[t]++;
        pv_exp_t[t]++;
    }
}

static void pv_check_invariant_stats(struct fake_machine *m, const struct pv_model *md,
                                     struct pv_inv_stats *st)
{
    unsigned nval[7] = { 0 };

    memset(pv_exp_c, 0, sizeof(pv_exp_c));
    memset(pv_exp_t, 0, sizeof(pv_exp_t));
    for (mfn_t f = 0; f < FAKE_FRAMES; f++) {
        const struct frame *fr = &m->table[f];
        uint32_t ti = fr->type_info;
        if (pv_dom_of(f) < 0) {     /* never touched */
            assert_int_equal(fr->count, 0);
            assert_int_equal(ti, 0);
            continue;
        }
        if (pv_ti_count(ti) == 0) {
            assert_false(ti & (PV_TI_VALIDATED | PV_TI_PINNED));
            continue;
        }
        assert_true(ti & PV_TI_VALIDATED);
        unsigned type = pv_ti_type(ti);
        assert_true(type >= PV_TYPE_L1 && type <= PV_TYPE_WRITABLE);
        nval[type]++;
        if (ti & PV_TI_PINNED) {
            assert_true(pv_type_is_pt(type));
            pv_exp_c[f]++;
            pv_exp_t[f]++;
        }
        if (pv_type_is_pt(type))
            pv_scan_table(m, f, type);
    }
    for (unsigned d = 0; d < 2; d++)
        for (unsigned v = 0; v < 2; v++) {
            mfn_t b = md->base[d][v];
            if (b == 0 || b == INVALID_MFN)
                continue;
            assert_int_equal(pv_dom_of(b), (int)d);
            assert_int_equal(pv_ti_type(m->table[b].type_info), PV_TYPE_L4);
            pv_exp_c[b]++;
            pv_exp_t[b]++;
        }
    for (mfn_t f = 0; f < FAKE_FRAMES; f++) {
        pv_exp_c[f] += md->ext_ref[f] + md->ext_type[f];
        pv_exp_t[f] += md->ext_type[f];
        if (m->table[f].count != pv_exp_c[f] || pv_ti_count(m->table[f].type_info) != pv_exp_t[f])
            fprintf(stderr, "frame %lu: count %u (expected %u), type_info 0x%x (count expected %u)\n",
                    (unsigned long)f, m->table[f].count, pv_exp_c[f], m->table[f].type_info,
                    pv_exp_t[f]);
        /* (c) stored counts == recomputed counts */
        assert_int_equal(m->table[f].count, pv_exp_c[f]);
        assert_int_equal(pv_ti_count(m->table[f].type_info), pv_exp_t[f]);
    }
    if (st)
        for (unsigned t = 0; t < 7; t++) {
            st->validated[t] += nval[t];
            if (nval[t] > st->max_validated[t])
                st->max_validated[t] = nval[t];
        }
}

static inline void pv_check_invariant(struct fake_machine *m, const struct pv_model *md)
{
    pv_check_invariant_stats(m, md, NULL);
}

/* ---- the randomized run ---- */

static uint64_t pv_rng;

static uint64_t rnd(uint64_t n)
{
    pv_rng ^= pv_rng << 13;
    pv_rng ^= pv_rng >> 7;
    pv_rng ^= pv_rng << 17;
    return n ? pv_rng % n : 0;
}

#define POOL 64     /* frames per domain the run works on: dense trees */
static const mfn_t pool_first[2] = { A_FIRST, B_FIRST };
static const unsigned rnd_slots[] = { 0, 1, 2, 3, 7, 255, 256, 263, 271, 272, 300, 511 };

static mfn_t rnd_own(unsigned d) { return pool_first[d] + rnd(POOL); }

static unsigned rnd_slot(void)
{
    return rnd_slots[rnd(ARRAY_SIZE(rnd_slots))];
}

static mfn_t rnd_target_mix(unsigned d, unsigned own_pct)
{
    uint64_t r = rnd(100);
    if (r < own_pct) return rnd_own(d);
    r = 80 + rnd(20);
    if (r < 84) return pool_first[d] + rnd(128);            /* rest of the domain */
    if (r < 89) return rnd_own(1 - d);                      /* the other domain */
    if (r < 91) return HV_FIRST + rnd(16);
    if (r < 93) return RESERVED_FIRST + rnd(16);
    if (r < 95) return FREE_FIRST + rnd(16);
    if (r < 96) return NOBODY_FIRST + rnd(8);
    if (r < 97) return UNBACKED_FIRST + rnd(8);
    if (r < 98) return FAKE_FRAMES + rnd(1000);
    return (1ULL << (FAKE_MAXPHY - PAGE_SHIFT)) + rnd(1000);   /* beyond MAXPHYADDR */
}

static mfn_t rnd_target(unsigned d) { return rnd_target_mix(d, 80); }

/* hostile: 20% of targets are not the domain's, 1 in 16 has a bad bit;
 * otherwise 3% and 1 in 128 (what a buggy guest would build). */
static uint64_t rnd_entry_mix(unsigned d, bool hostile)
{
    static const uint64_t bad[] = { PV_PTE_PSE, PV_PTE_PWT, PV_PTE_PCD, PV_PTE_G,
                                    1ULL << 59, 1ULL << 60, 1ULL << 61, 1ULL << 62 };
    if (rnd(100) < 12)
        return (pv_rng & ~PV_PTE_P);        /* not present: anything */
    uint64_t e = pte(rnd_target_mix(d, hostile ? 80 : 97), PV_PTE_P);
    if (rnd(3) == 0) e |= PV_PTE_RW;
    if (rnd(2)) e |= PV_PTE_US;
    if (rnd(2)) e |= PV_PTE_A;
    if (rnd(2)) e |= PV_PTE_D;
    if (rnd(5) == 0) e |= PV_PTE_NX;
    if (rnd(5) == 0) e |= PV_PTE_GUEST_KERNEL;
    if (rnd(10) == 0) e |= rnd(8) << 9;
    if (rnd(hostile ? 16 : 128) == 0) e |= bad[rnd(ARRAY_SIZE(bad))];
    return e;
}

static uint64_t rnd_entry(unsigned d) { return rnd_entry_mix(d, true); }

/* A validated table of the domain's pool (level `lvl`, 0: any), else any
 * pool frame. */
static mfn_t rnd_validated(struct fake_machine *m, unsigned d, unsigned lvl)
{
    mfn_t start = rnd(POOL);
    for (mfn_t k = 0; k < POOL; k++) {
        mfn_t f = pool_first[d] + (start + k) % POOL;
        uint32_t ti = m->table[f].type_info;
        if (pv_ti_count(ti) && pv_type_is_pt(pv_ti_type(ti)) && (!lvl || pv_ti_type(ti) == lvl))
            return f;
    }
    return rnd_own(d);
}

static mfn_t rnd_untyped(struct fake_machine *m, unsigned d)
{
    mfn_t start = rnd(POOL);
    for (mfn_t k = 0; k < POOL; k++) {
        mfn_t f = pool_first[d] + (start + k) % POOL;
        if (!pv_ti_count(m->table[f].type_info))
            return f;
    }
    return rnd_own(d);
}

static mfn_t rnd_table(struct fake_machine *m, unsigned d)
{
    uint64_t r = rnd(100);
    if (r < 50) return rnd_validated(m, d, 0);
    if (r < 88) return rnd_own(d);
    if (r < 94) return rnd_own(1 - d);
    if (r < 97) return HV_FIRST + rnd(16);
    return rnd(FAKE_FRAMES + 8);
}

static unsigned rnd_level(void)
{
    static const unsigned lv[] = { 1, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
    return lv[rnd(ARRAY_SIZE(lv))];
}

/* Mostly a VA the tree under l4 maps down to an L1 (following present
 * entries where the slot set has one), else random. */
static uint64_t rnd_va(struct fake_machine *m, mfn_t l4)
{
    uint64_t va = 0;
    mfn_t cur = l4;
    bool follow = l4 < FAKE_FRAMES && rnd(4);
    for (unsigned l = 4; l >= 1; l--) {
        unsigned slot = rnd_slot();
        if (follow && l > 1) {
            unsigned start = (unsigned)rnd(ARRAY_SIZE(rnd_slots));
            for (unsigned k = 0; k < ARRAY_SIZE(rnd_slots); k++) {
                unsigned s = rnd_slots[(start + k) % ARRAY_SIZE(rnd_slots)];
                if ((m->mem[cur][s] & PV_PTE_P) && pv_pt_guest_slot(l, s) &&
                    pv_pte_mfn(m->mem[cur][s]) < FAKE_FRAMES) {
                    slot = s;
                    break;
                }
            }
            if (pv_pte_mfn(m->mem[cur][slot]) < FAKE_FRAMES)
                cur = pv_pte_mfn(m->mem[cur][slot]);
        }
        va |= (uint64_t)slot << (PAGE_SHIFT + 9 * (l - 1));
    }
    if (va & (1ULL << 47))
        va |= 0xffff000000000000ULL;
    return va;
}

/* The guest writes its memory directly only where it may have a RW
 * mapping: untyped frames whose last type was NONE or WRITABLE (stale
 * TLBs until the next type change), and WRITABLE frames. */
static bool guest_may_write(struct fake_machine *m, mfn_t f)
{
    uint32_t ti = m->table[f].type_info;
    unsigned t = pv_ti_type(ti);
    return t == PV_TYPE_WRITABLE || (pv_ti_count(ti) == 0 && t == PV_TYPE_NONE);
}

/* One external put: the first frame from a random start with a ref held. */
static void put_external(struct pv_mm_ctx *c, uint32_t *held, unsigned d, bool typed)
{
    mfn_t start = rnd(FAKE_FRAMES);
    for (mfn_t k = 0; k < FAKE_FRAMES; k++) {
        mfn_t f = (start + k) % FAKE_FRAMES;
        if (held[f] && pv_dom_of(f) == (int)d) {
            if (typed)
                pv_put_type(c, f);
            else
                pv_put_ref(c, f);
            held[f]--;
            return;
        }
    }
}

enum { OP_UPDATE, OP_CLEAR, OP_FLIP, OP_PIN, OP_UNPIN, OP_BASE, OP_VA, OP_SCRIBBLE,
       OP_GETREF, OP_PUTREF, OP_GETTYPE, OP_PUTTYPE, OP_GROW, OP_COUNT };
static const unsigned op_weight[OP_COUNT] = { 28, 8, 8, 10, 7, 5, 8, 12, 4, 3, 6, 4, 12 };

static unsigned long pv_table_updates[2];     /* of validated tables: failed, ok */

static int pv_random_op(struct fake_machine *m, struct pv_mm_ctx *c, struct pv_model *md,
                        unsigned d, unsigned op)
{
    mfn_t f;
    int rc = 0;

    switch (op) {
    case OP_UPDATE:
        f = rnd_table(m, d);
        if (f < FAKE_FRAMES && pv_ti_count(m->table[f].type_info) &&
            pv_type_is_pt(pv_ti_type(m->table[f].type_info))) {
            rc = pv_pt_update_entry(c, f, rnd(100) ? rnd_slot() : PV_PT_ENTRIES + rnd(9),
                                    rnd_entry(d), rnd(2));
            pv_table_updates[rc == 0]++;
            return rc;
        }
        return pv_pt_update_entry(c, f, rnd(100) ? rnd_slot() : PV_PT_ENTRIES + rnd(9),
                                  rnd_entry(d), rnd(2));
    case OP_CLEAR:
        return pv_pt_update_entry(c, rnd_table(m, d), rnd_slot(), 0, false);
    case OP_FLIP: {     /* RO <-> RW (and sometimes P) of an existing entry */
        unsigned i = rnd_slot();
        f = rnd_table(m, d) % FAKE_FRAMES;
        uint64_t e = m->mem[f][i] ^ (rnd(8) ? PV_PTE_RW : PV_PTE_P);
        return pv_pt_update_entry(c, f, i, e, rnd(2));
    }
    case OP_PIN:
        return pv_pin(c, rnd(10) ? rnd_own(d) : rnd_target(d), rnd(50) ? rnd_level() : 5);
    case OP_UNPIN:
        return pv_unpin(c, rnd(10) ? rnd_own(d) : rnd_target(d));
    case OP_BASE:
        return pv_set_baseptr(c, rnd(5) ? rnd_target(d) : INVALID_MFN, &md->base[d][rnd(2)]);
    case OP_VA: {
        mfn_t b = md->base[d][rnd(2)];
        if (b == INVALID_MFN || rnd(4) == 0)
            b = rnd(4) ? rnd_validated(m, d, PV_TYPE_L4) : rnd_own(d);
        return pv_update_va_mapping(c, b, rnd_va(m, b), rnd_entry(d));
    }
    case OP_SCRIBBLE:
        f = rnd_own(d);
        if (guest_may_write(m, f))
            m->mem[f][rnd(16) ? rnd_slot() : 0] = rnd(16) ? rnd_entry_mix(d, false) : 0xbadbadULL;
        return 0;
    case OP_GETREF:
        f = rnd_target(d);
        rc = pv_get_ref(c, f);
        if (!rc)
            md->ext_ref[f]++;
        return rc;
    case OP_PUTREF:
        put_external(c, md->ext_ref, d, false);
        return 0;
    case OP_GETTYPE:
        f = rnd_target(d);
        rc = pv_get_type(c, f, 1 + (unsigned)rnd(PV_TYPE_WRITABLE));
        if (!rc)
            md->ext_type[f]++;
        return rc;
    case OP_PUTTYPE:
        put_external(c, md->ext_type, d, true);
        return 0;
    case OP_GROW: {     /* what a guest does most: hang a new table (or page) below */
        f = rnd_validated(m, d, 0);
        uint32_t ti = m->table[f].type_info;
        unsigned lvl = pv_ti_type(ti), i = rnd_slot();
        if (!pv_ti_count(ti) || !pv_type_is_pt(lvl) || !pv_pt_guest_slot(lvl, i))
            return 0;
        uint64_t flags = lvl > 1 ? UTBL : (rnd(3) ? KRO : KRW);
        mfn_t t = rnd(4) ? rnd_untyped(m, d) : rnd_own(d);
        if (rnd(2) && guest_may_write(m, t))
            memset(m->mem[t], 0, sizeof(m->mem[t]));    /* a fresh, zeroed table */
        return pv_pt_update_entry(c, f, i, pte(t, flags), false);
    }
    }
    return 0;
}

static unsigned rnd_op(void)
{
    unsigned total = 0, r;
    for (unsigned i = 0; i < OP_COUNT; i++)
        total += op_weight[i];
    r = (unsigned)rnd(total);
    for (unsigned i = 0; i < OP_COUNT; i++) {
        if (r < op_weight[i])
            return i;
        r -= op_weight[i];
    }
    return OP_UPDATE;
}

/* A frame that takes a type other than its last one must have been flushed. */
static void check_flushes(struct fake_machine *m, const struct frame *before)
{
    for (mfn_t f = 0; f < FAKE_FRAMES; f++) {
        unsigned was = pv_ti_type(before[f].type_info);
        uint32_t ti = m->table[f].type_info;
        if (was != PV_TYPE_NONE && pv_ti_count(ti) && pv_ti_type(ti) != was)
            assert_true(m->flushed[f]);
    }
}

static void pv_release_model(struct pv_mm_ctx *c, struct pv_model *md)
{
    for (unsigned d = 0; d < 2; d++) {
        for (unsigned v = 0; v < 2; v++)
            if (md->base[d][v] != INVALID_MFN)
                assert_int_equal(pv_set_baseptr(&c[d], INVALID_MFN, &md->base[d][v]), 0);
        for (mfn_t f = 0; f < FAKE_FRAMES; f++)
            while (pv_dom_of(f) == (int)d && (md->ext_ref[f] || md->ext_type[f])) {
                if (md->ext_ref[f]) {
                    pv_put_ref(&c[d], f);
                    md->ext_ref[f]--;
                } else {
                    pv_put_type(&c[d], f);
                    md->ext_type[f]--;
                }
            }
    }
}

static void pv_random_run(struct fake_machine *m, uint64_t seed, unsigned long nops,
                          bool forced_end)
{
    static struct pv_model md;
    static struct frame before[FAKE_FRAMES];
    struct pv_mm_ctx c[2] = { fake_ctx(m, DOM_A), fake_ctx(m, DOM_B) };
    struct pv_inv_stats st = { { 0 }, { 0 } };
    unsigned long ok[OP_COUNT] = { 0 }, tried[OP_COUNT] = { 0 };

    memset(&md, 0, sizeof(md));
    for (unsigned d = 0; d < 2; d++)
        md.base[d][0] = md.base[d][1] = INVALID_MFN;
    pv_rng = seed;
    pv_table_updates[0] = pv_table_updates[1] = 0;
    for (unsigned long step = 0; step < nops; step++) {
        unsigned d = (unsigned)rnd(2), op = rnd_op();
        memcpy(before, m->table, sizeof(before));
        memset(m->flushed, 0, sizeof(m->flushed));
        int rc = pv_random_op(m, &c[d], &md, d, op);
        tried[op]++;
        if (rc) {       /* a failed call changes nothing */
            assert_true(rc == -EINVAL || rc == -EPERM || rc == -EBUSY || rc == -EOPNOTSUPP);
            assert_true(fake_same_refs(before, m->table));
        } else {
            ok[op]++;
        }
        assert_int_equal(m->maps_live, 0);
        assert_false(m->fail_map);
        check_flushes(m, before);
        pv_check_invariant_stats(m, &md, &st);
    }
    printf("random(seed %#lx): %lu ops; ok/tried per op:", (unsigned long)seed, nops);
    for (unsigned i = 0; i < OP_COUNT; i++)
        printf(" %lu/%lu", ok[i], tried[i]);
    printf("\n  updates of validated tables: %lu ok, %lu refused", pv_table_updates[1],
           pv_table_updates[0]);
    printf("\n  validated frames, max at once L1..L4 desc writable: %u %u %u %u %u %u;"
           " mean L4 %.1f, L1 %.1f; max nested maps %u\n",
           st.max_validated[1], st.max_validated[2], st.max_validated[3], st.max_validated[4],
           st.max_validated[5], st.max_validated[6], (double)st.validated[4] / nops,
           (double)st.validated[1] / nops, m->maps_max);
    /* The run must have exercised deep trees. */
    for (unsigned t = 1; t <= 4; t++)
        assert_true(st.max_validated[t] >= 3);

    if (!forced_end)
        pv_release_model(c, &md);
    long forced = 0;
    for (unsigned d = 0; d < 2; d++) {
        const struct pv_frame_range r[] = { { pool_first[d], 32 }, { pool_first[d] + 32, 96 } };
        forced += pv_relinquish_domain(&c[d], r, ARRAY_SIZE(r));
    }
    if (!forced_end)
        assert_int_equal(forced, 0);
    printf("  relinquish: %ld released by force\n", forced);
    memset(&md, 0, sizeof(md));
    for (mfn_t f = 0; f < FAKE_FRAMES; f++) {
        if (pv_dom_of(f) >= 0)
            assert_int_equal(m->table[f].type_info, 0);
        assert_int_equal(m->table[f].count, 0);
    }
    assert_int_equal(m->maps_live, 0);
}

#endif
