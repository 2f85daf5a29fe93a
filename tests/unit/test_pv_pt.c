/* Unit tests for mm/pv_pt.c and mm/pv_refs.c: entry rules, building and
 * pinning trees, attacks that must fail with no count changed, and a long
 * randomized sequence checked against counts recomputed from the entries
 * (tests/unit/pv_invariant.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/iomem.h>
#include <keel/pv_mm.h>
#include "host_log.h"
#include "pv_fake.h"
#include "pv_invariant.h"

static struct fake_machine *m;
static struct pv_mm_ctx ca, cb;
static struct frame snap[FAKE_FRAMES];

static int setup(void **state)
{
    (void)state;
    m = fake_new();
    ca = fake_ctx(m, DOM_A);
    cb = fake_ctx(m, DOM_B);
    host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(m->maps_live, 0);
    assert_false(m->fail_map);
    assert_true(m->maps_max <= 5);
    free(m);
    return 0;
}

static void take_snapshot(void) { memcpy(snap, m->table, sizeof(snap)); }
static void assert_unchanged(void) { assert_true(fake_same_refs(snap, m->table)); }

/* The attack must fail with `want` and leave the whole frame table as it
 * was (but for the last-type field of untyped frames: fake_same_refs). */
#define ATTACK(want, call) do {             \
        take_snapshot();                    \
        assert_int_equal((call), (want));   \
        assert_unchanged();                 \
        assert_int_equal(m->maps_live, 0);  \
    } while (0)

static uint32_t tcount(mfn_t mfn) { return pv_ti_count(m->table[mfn].type_info); }
static unsigned ttype(mfn_t mfn) { return pv_ti_type(m->table[mfn].type_info); }
static uint32_t gcount(mfn_t mfn) { return m->table[mfn].count; }

/* A Linux-like tree: L4[272] -> L3[0] -> L2[0] -> L1; L1[0] data RW,
 * L1[1] data RO, L1[10..13] the four tables themselves, read-only. */
struct tree { mfn_t l4, l3, l2, l1, rw, ro; };

static struct tree write_tree(mfn_t base)
{
    struct tree t = { base, base + 1, base + 2, base + 3, base + 4, base + 5 };
    m->mem[t.l4][272] = pte(t.l3, UTBL);
    m->mem[t.l3][0] = pte(t.l2, UTBL);
    m->mem[t.l2][0] = pte(t.l1, UTBL);
    m->mem[t.l1][0] = pte(t.rw, KRW);
    m->mem[t.l1][1] = pte(t.ro, KRO);
    m->mem[t.l1][10] = pte(t.l4, KRO);
    m->mem[t.l1][11] = pte(t.l3, KRO);
    m->mem[t.l1][12] = pte(t.l2, KRO);
    m->mem[t.l1][13] = pte(t.l1, KRO);
    return t;
}

static struct tree pinned_tree(struct pv_mm_ctx *c, mfn_t base)
{
    struct tree t = write_tree(base);
    assert_int_equal(pv_pin(c, t.l4, 4), 0);
    return t;
}

static void check_invariant(void)
{
    struct pv_model none = { 0 };
    pv_check_invariant(m, &none);
}

/* ---- per-entry rules ---- */

static void test_entry_rules(void **state)
{
    (void)state;
    uint64_t ok = pte(70, PV_PTE_P | PV_PTE_RW | PV_PTE_US | PV_PTE_A | PV_PTE_D | PV_PTE_NX |
                          PV_PTE_AVAIL | PV_PTE_AVAIL_HIGH);
    for (unsigned l = 1; l <= 4; l++) {
        assert_int_equal(pv_pt_validate_entry(&ca, l, ok), 0);
        assert_int_equal(pv_pt_validate_entry(&ca, l, ~PV_PTE_P), 0);  /* not present: anything */
        for (unsigned bit = 59; bit <= 62; bit++)       /* protection keys, grant bit */
            assert_int_equal(pv_pt_validate_entry(&ca, l, ok | (1ULL << bit)), -EINVAL);
        for (unsigned bit = FAKE_MAXPHY; bit < 52; bit++)   /* beyond MAXPHYADDR: no frame */
            assert_int_equal(pv_pt_validate_entry(&ca, l, ok | (1ULL << bit)), l == 1 ? -EPERM : -EINVAL);
        assert_int_equal(pv_pt_validate_entry(&ca, l, ok | (1ULL << (FAKE_MAXPHY - 1))), 0);
    }
    /* PSE: never (no superpages); bit 7 in L1 is PAT: I/O domains only. */
    assert_int_equal(pv_pt_validate_l2e(&ca, ok | PV_PTE_PSE), -EINVAL);
    assert_int_equal(pv_pt_validate_l3e(&ca, ok | PV_PTE_PSE), -EINVAL);
    assert_int_equal(pv_pt_validate_l4e(&ca, ok | PV_PTE_PSE), -EINVAL);
    assert_int_equal(pv_pt_validate_l1e(&ca, ok | PV_PTE_PAT), -EINVAL);
    assert_int_equal(pv_pt_validate_l1e(&ca, ok | PV_PTE_PCD), -EINVAL);
    assert_int_equal(pv_pt_validate_l1e(&ca, ok | PV_PTE_PWT), -EINVAL);
    assert_int_equal(pv_pt_validate_l1e(&ca, ok | PV_PTE_G), 0);
    assert_int_equal(pv_pt_validate_l2e(&ca, ok | PV_PTE_G), -EINVAL);
    assert_int_equal(pv_pt_validate_l2e(&ca, ok | PV_PTE_PCD), -EINVAL);
    struct pv_mm_ctx io = ca;
    io.io_caps = true;
    assert_int_equal(pv_pt_validate_l1e(&io, ok | PV_PTE_PAT | PV_PTE_PCD | PV_PTE_PWT), 0);
    assert_int_equal(pv_pt_validate_l2e(&io, ok | PV_PTE_PSE), -EINVAL);
    assert_int_equal(pv_pt_validate_l2e(&io, ok | PV_PTE_PCD), -EINVAL);
    /* A misconfigured MAXPHYADDR refuses everything present. */
    io.maxphyaddr = 64;
    assert_int_equal(pv_pt_validate_l1e(&io, ok), -EINVAL);
    assert_int_equal(pv_pt_validate_entry(&ca, 0, ok), -EINVAL);
    assert_int_equal(pv_pt_validate_entry(&ca, 5, ok), -EINVAL);
    assert_true(host_log_contains("forbidden bits"));
}

static void test_adjust_and_slots(void **state)
{
    (void)state;
    uint64_t k = pv_pt_adjust_entry(1, pte(70, KRW));
    assert_true((k & PV_PTE_US) && (k & PV_PTE_GUEST_KERNEL) && !(k & PV_PTE_G));
    uint64_t u = pv_pt_adjust_entry(1, pte(70, KRW | PV_PTE_US));
    assert_true((u & PV_PTE_G) && !(u & PV_PTE_GUEST_KERNEL));
    assert_int_equal(pv_pt_adjust_entry(1, k), k);              /* idempotent */
    assert_int_equal(pv_pt_adjust_entry(1, u), u);
    assert_int_equal(pv_pt_adjust_entry(2, pte(70, KRW)), pte(70, KRW | PV_PTE_US));
    assert_int_equal(pv_pt_adjust_entry(4, pte(70, PV_PTE_P)), pte(70, PV_PTE_P | PV_PTE_US | PV_PTE_A));
    assert_int_equal(pv_pt_adjust_entry(3, 0x1234ULL << 1), 0x1234ULL << 1);  /* not present */
    assert_false(pv_pt_guest_slot(4, 256));
    assert_false(pv_pt_guest_slot(4, 271));
    assert_true(pv_pt_guest_slot(4, 255));
    assert_true(pv_pt_guest_slot(4, 272));
    assert_true(pv_pt_guest_slot(3, 256));
    assert_int_equal(pv_pt_entry_target_type(1, pte(70, KRO)), PV_TYPE_NONE);
    assert_int_equal(pv_pt_entry_target_type(1, pte(70, KRW)), PV_TYPE_WRITABLE);
    assert_int_equal(pv_pt_entry_target_type(3, pte(70, KRO)), PV_TYPE_L2);
}

/* ---- building trees ---- */

static void test_pin_tree_counts(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);

    assert_int_equal(ttype(t.l4), PV_TYPE_L4);
    assert_int_equal(ttype(t.l3), PV_TYPE_L3);
    assert_int_equal(ttype(t.l2), PV_TYPE_L2);
    assert_int_equal(ttype(t.l1), PV_TYPE_L1);
    assert_int_equal(ttype(t.rw), PV_TYPE_WRITABLE);
    for (mfn_t f = t.l4; f <= t.l1; f++) {
        assert_int_equal(tcount(f), 1);
        assert_int_equal(gcount(f), 2);     /* parent (or pin) + RO self-view */
        assert_true(m->table[f].type_info & PV_TI_VALIDATED);
    }
    assert_true(m->table[t.l4].type_info & PV_TI_PINNED);
    assert_int_equal(tcount(t.rw), 1);
    assert_int_equal(gcount(t.rw), 1);
    assert_int_equal(tcount(t.ro), 0);
    assert_int_equal(gcount(t.ro), 1);
    for (unsigned i = 0; i < PV_HV_L4_COUNT; i++)
        assert_int_equal(m->mem[t.l4][256 + i], m->hv_slots[i]);
    /* Stored entries carry the forced bits. */
    assert_true(m->mem[t.l1][0] & PV_PTE_GUEST_KERNEL);
    assert_true(m->mem[t.l4][272] & PV_PTE_A);
    check_invariant();

    assert_int_equal(pv_pin(&ca, t.l4, 4), -EINVAL);        /* already pinned */
    assert_int_equal(pv_pin(&ca, t.l1, 1), 0);              /* pinning a used L1 */
    assert_int_equal(tcount(t.l1), 2);
    check_invariant();
    assert_int_equal(pv_unpin(&ca, t.l1), 0);
    assert_int_equal(pv_unpin(&ca, t.l1), -EINVAL);         /* not pinned */
    assert_int_equal(pv_unpin(&ca, t.l4), 0);
    for (mfn_t f = A_FIRST; f < A_END; f++) {
        assert_int_equal(gcount(f), 0);
        assert_int_equal(tcount(f), 0);
        assert_false(m->table[f].type_info & (PV_TI_VALIDATED | PV_TI_PINNED));
    }
    check_invariant();
}

static void test_shared_subtrees(void **state)
{
    (void)state;
    struct tree t = write_tree(64);
    /* A second L4 sharing the L3, and the same L3 twice in one L4. */
    m->mem[80][300] = pte(t.l3, UTBL);
    m->mem[80][301] = pte(t.l3, UTBL);
    assert_int_equal(pv_pin(&ca, t.l4, 4), 0);
    assert_int_equal(pv_pin(&ca, 80, 4), 0);
    assert_int_equal(tcount(t.l3), 3);
    check_invariant();
    assert_int_equal(pv_unpin(&ca, t.l4), 0);
    assert_int_equal(tcount(t.l3), 2);
    assert_int_equal(tcount(t.l1), 1);
    check_invariant();
    assert_int_equal(pv_unpin(&ca, 80), 0);
    assert_int_equal(tcount(t.l3), 0);
    assert_int_equal(gcount(t.l1), 0);
    check_invariant();
}

/* ---- attacks ---- */

static void test_rw_map_of_tables(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    const mfn_t tables[] = { t.l4, t.l3, t.l2, t.l1 };

    for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 20, pte(tables[i], KRW), false));
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 20, pte(tables[i], KRW | PV_PTE_US), true));
        /* Turning the existing RO self-view entries RW. */
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 10 + i, pte(tables[i], KRW), false));
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 10 + i, m->mem[t.l1][10 + i] | PV_PTE_RW, true));
        ATTACK(-EBUSY, pv_update_va_mapping(&ca, t.l4, 0xffff000000000000ULL | (272ULL << 39) | (10 + i) << 12,
                                             pte(tables[i], KRW)));
    }
    /* The L1 writing a RW entry to itself ("self-map"). */
    ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 13, pte(t.l1, KRW), false));
    /* Plain stores into a table frame are not allowed either. */
    ATTACK(-EINVAL, pv_get_type(&ca, t.l4, PV_TYPE_WRITABLE));
    assert_false(pv_frame_is_writable_mappable(&ca, t.l2));
    assert_true(pv_frame_is_writable_mappable(&ca, t.rw));
    assert_true(pv_frame_is_writable_mappable(&ca, 100));
    check_invariant();
}

static void test_type_confusion(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct tree u = pinned_tree(&ca, 72);

    /* An L4 used as an L3 (another L4, or itself). */
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 273, pte(u.l4, UTBL), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 273, pte(t.l4, UTBL), false));
    ATTACK(-EINVAL, pv_pin(&ca, t.l4, 3));
    ATTACK(-EINVAL, pv_pin(&ca, t.l4, 1));
    ATTACK(-EINVAL, pv_pin(&ca, t.l1, 2));
    ATTACK(-EINVAL, pv_set_baseptr(&ca, t.l3, &(mfn_t){ INVALID_MFN }));
    /* Level skipping: an L3 entry to an L1, an L2 entry to an L3. */
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 5, pte(u.l1, UTBL), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 5, pte(u.l3, UTBL), false));
    /* An L2 entry may use a data page that is mapped RW as an L1? No. */
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 5, pte(t.rw, UTBL), false));
    ATTACK(-EINVAL, pv_pin(&ca, 300, 5));
    ATTACK(-EINVAL, pv_pin(&ca, 300, 0));
    ATTACK(-EINVAL, pv_get_type(&ca, 100, PV_TYPE_NONE));
    ATTACK(-EINVAL, pv_get_type(&ca, 100, 7));
    check_invariant();
}

/* Same-level (linear, recursive) entries, even read-only, at every level. */
static void test_linear_entries(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct tree u = pinned_tree(&ca, 72);
    const uint64_t ro = PV_PTE_P | PV_PTE_US | PV_PTE_A;

    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 300, pte(t.l4, ro), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 300, pte(u.l4, ro), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 300, pte(t.l3, ro), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 300, pte(u.l3, ro), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 300, pte(t.l2, ro), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 300, pte(u.l2, ro), false));
    /* A table holding a self entry before validation cannot be validated. */
    for (unsigned lvl = 2; lvl <= 4; lvl++) {
        m->mem[90][3] = pte(90, ro);
        ATTACK(-EINVAL, pv_pin(&ca, 90, lvl));
    }
    /* In an L1, a RO view of a table (its own frame too) is data: allowed. */
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 30, pte(t.l1, KRO), false), 0);
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 31, pte(u.l4, KRO), false), 0);
    check_invariant();
}

/* A bad entry at the last index, at each depth under the pinned root. */
static void test_pin_with_bad_last_entry(void **state)
{
    (void)state;
    const uint64_t bad[] = {
        pte(B_FIRST + 40, KRO),                 /* other domain's frame */
        pte(HV_FIRST, KRO),                     /* hypervisor frame */
        pte(70, KRO | PV_PTE_PAT),              /* PAT without I/O rights */
        pte(70, KRO | (1ULL << 62)),            /* reserved software bit */
        pte(1ULL << (FAKE_MAXPHY - PAGE_SHIFT), KRO),   /* beyond MAXPHYADDR */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        struct tree t = write_tree(64);
        m->mem[t.l1][511] = bad[i];
        /* Xen's codes: a mapping of any RAM frame not the domain's -EBUSY,
         * of no frame -EPERM, forbidden bits -EINVAL. */
        long want = bad[i] == pte(B_FIRST + 40, KRO) || bad[i] == pte(HV_FIRST, KRO) ? -EBUSY
                  : bad[i] == pte(1ULL << (FAKE_MAXPHY - PAGE_SHIFT), KRO) ? -EPERM : -EINVAL;
        ATTACK(want, pv_pin(&ca, t.l4, 4));
        ATTACK(want, pv_pin(&ca, t.l1, 1));
        m->mem[t.l1][511] = 0;
        m->mem[t.l2][511] = pte(t.l2 + 10, UTBL | PV_PTE_PSE);
        ATTACK(-EINVAL, pv_pin(&ca, t.l4, 4));
        m->mem[t.l2][511] = 0;
        m->mem[t.l3][511] = pte(t.l1, UTBL);        /* wrong level */
        ATTACK(-EINVAL, pv_pin(&ca, t.l4, 4));
        m->mem[t.l3][511] = 0;
        m->mem[t.l4][511] = pte(t.l4, UTBL);        /* self */
        ATTACK(-EINVAL, pv_pin(&ca, t.l4, 4));
        m->mem[t.l4][511] = 0;
        assert_int_equal(pv_pin(&ca, t.l4, 4), 0);
        check_invariant();
        assert_int_equal(pv_unpin(&ca, t.l4), 0);
        check_invariant();
    }
    /* Failure deep in the second half of a tree whose first half was fully
     * validated (and shares frames with it): everything is undone. */
    struct tree t = write_tree(64);
    m->mem[t.l4][400] = pte(80, UTBL);
    m->mem[80][7] = pte(t.l2, UTBL);                /* shared L2 */
    m->mem[80][8] = pte(81, UTBL);
    m->mem[81][9] = pte(82, UTBL);
    m->mem[82][0] = pte(83, KRW);
    m->mem[82][511] = pte(t.l1, KRW);               /* RW view of an L1 */
    ATTACK(-EBUSY, pv_pin(&ca, t.l4, 4));
    assert_int_equal(pv_pin(&ca, t.l2, 2), 0);      /* still usable */
    ATTACK(-EBUSY, pv_pin(&ca, t.l4, 4));
    m->mem[82][511] = pte(t.l1, KRO);
    assert_int_equal(pv_pin(&ca, t.l4, 4), 0);
    check_invariant();
}

static void test_foreign_and_unowned(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct tree u = pinned_tree(&cb, 192);
    const mfn_t victims[] = {
        u.l1, u.rw, u.ro, B_FIRST + 1,          /* the other domain's (a tail too) */
        HV_FIRST, HV_FIRST + 5,                 /* hypervisor */
        RESERVED_FIRST, 3,                      /* reserved: entry reads owner 0 = DOM_A! */
        FREE_FIRST, FREE_FIRST + 3,             /* free head; free tail */
        NOBODY_FIRST, NOBODY_FIRST + 1,         /* allocated to nobody */
        UNBACKED_FIRST, FAKE_FRAMES - 1,        /* not backed (garbage says owner A) */
        FAKE_FRAMES, 4000,                      /* beyond the frame table */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(victims); i++) {
        mfn_t v = victims[i];
        /* Xen 4.17's codes: a mapping of a RAM frame not the domain's
         * -EBUSY, of no RAM frame -EPERM; as a table -EINVAL either way. */
        bool ram = v < UNBACKED_FIRST;
        long map_want = ram ? -EBUSY : -EPERM;
        ATTACK(map_want, pv_pt_update_entry(&ca, t.l1, 20, pte(v, KRO), false));
        ATTACK(map_want, pv_pt_update_entry(&ca, t.l1, 20, pte(v, KRW), false));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 20, pte(v, UTBL), false));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 20, pte(v, UTBL), false));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 300, pte(v, UTBL), false));
        ATTACK(-EINVAL, pv_pin(&ca, v, 1));    /* pinning: not its frame */
        ATTACK(-EINVAL, pv_pin(&ca, v, 4));
        ATTACK(-EINVAL, pv_unpin(&ca, v));
        ATTACK(map_want, pv_get_ref(&ca, v));
        ATTACK(map_want, pv_get_type(&ca, v, PV_TYPE_WRITABLE));
        ATTACK(-EINVAL, pv_set_baseptr(&ca, v, &(mfn_t){ INVALID_MFN }));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, v, 0, 0, false));  /* its tables/pages */
        assert_false(pv_frame_is_writable_mappable(&ca, v));
    }
    ATTACK(-EINVAL, pv_unpin(&ca, u.l4));
    ATTACK(-EPERM, pv_pt_update_entry(&ca, t.l1, 20,
                                      pte(1ULL << (FAKE_MAXPHY - PAGE_SHIFT), KRO), false));
    /* A domain id in the reserved range owns nothing (the hypervisor's
     * frames answer -EBUSY, as to anyone). */
    struct pv_mm_ctx bad = fake_ctx(m, FRAME_OWNER_HV);
    ATTACK(-EBUSY, pv_get_ref(&bad, HV_FIRST));
    ATTACK(-EINVAL, pv_pin(&bad, HV_FIRST, 1));
    assert_false(m->fail_map);
    check_invariant();
}

static void test_bad_bits_by_update(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);

    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 40, pte(90, UTBL | PV_PTE_PSE), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 40, pte(90, UTBL | PV_PTE_PSE), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 300, pte(90, UTBL | PV_PTE_PSE), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l1, 40, pte(90, KRW | PV_PTE_PCD), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l1, 40, pte(90, KRW | (1ULL << 59)), false));
    ATTACK(-EPERM, pv_pt_update_entry(&ca, t.l1, 40, pte(90, KRW) | (1ULL << 45), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l1, PV_PT_ENTRIES, pte(90, KRW), false));
    /* Changing only bits of a present entry goes through the same rules. */
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l1, 0, m->mem[t.l1][0] | PV_PTE_PAT, false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l3, 0, m->mem[t.l3][0] | PV_PTE_PSE, false));
    check_invariant();
}

static void test_hypervisor_slots(void **state)
{
    (void)state;
    struct tree t = write_tree(64);
    /* Garbage in the hypervisor slots before validation: replaced, no refs. */
    for (unsigned i = 0; i < PV_HV_L4_COUNT; i++)
        m->mem[t.l4][256 + i] = pte(B_FIRST + 40, UTBL | PV_PTE_PSE);
    assert_int_equal(pv_pin(&ca, t.l4, 4), 0);
    for (unsigned i = 0; i < PV_HV_L4_COUNT; i++) {
        assert_int_equal(m->mem[t.l4][256 + i], m->hv_slots[i]);
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 256 + i, pte(90, UTBL), false));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 256 + i, 0, false));
        ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l4, 256 + i, m->hv_slots[i], false));
    }
    ATTACK(-EINVAL, pv_update_va_mapping(&ca, t.l4, 0xffff800000001000ULL, pte(90, KRO)));
    ATTACK(-EINVAL, pv_update_va_mapping(&ca, t.l4, 0x0000800000000000ULL, pte(90, KRO)));
    assert_int_equal(gcount(B_FIRST + 40), 0);
    check_invariant();
}

/* Unpinning the L4 a vCPU runs on: the base pointer's ref keeps it typed. */
static void test_unpin_while_cr3(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct pv_model model = { 0 };
    mfn_t cr3 = INVALID_MFN;

    assert_int_equal(pv_set_baseptr(&ca, t.l4, &cr3), 0);
    model.base[DOM_A][0] = cr3;
    assert_int_equal(pv_unpin(&ca, t.l4), 0);
    assert_int_equal(tcount(t.l4), 1);
    assert_true(m->table[t.l4].type_info & PV_TI_VALIDATED);
    assert_int_equal(tcount(t.l1), 1);
    pv_check_invariant(m, &model);
    ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 20, pte(t.l4, KRW), false));
    ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 20, pte(t.l1, KRW), false));
    /* Switching to another L4 (and to none) releases the old tree. */
    struct tree u = write_tree(72);
    assert_int_equal(pv_set_baseptr(&ca, u.l4, &cr3), 0);
    model.base[DOM_A][0] = cr3;
    assert_int_equal(tcount(t.l4), 0);
    assert_int_equal(gcount(t.l1), 0);
    pv_check_invariant(m, &model);
    ATTACK(-EINVAL, pv_set_baseptr(&ca, u.l3, &cr3));
    assert_int_equal(pv_set_baseptr(&ca, u.l4, &cr3), 0);  /* same again: net zero */
    assert_int_equal(tcount(u.l4), 1);
    assert_int_equal(pv_set_baseptr(&ca, INVALID_MFN, &cr3), 0);
    assert_int_equal(cr3, INVALID_MFN);
    model.base[DOM_A][0] = INVALID_MFN;
    for (mfn_t f = A_FIRST; f < A_END; f++)
        assert_int_equal(gcount(f), 0);
    pv_check_invariant(m, &model);
}

/* RO -> RW of a frame that is a table in another tree of the same domain. */
static void test_ro_to_rw_of_other_tree(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct tree u = pinned_tree(&ca, 72);
    const mfn_t tables[] = { u.l4, u.l3, u.l2, u.l1 };

    for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
        assert_int_equal(pv_pt_update_entry(&ca, t.l1, 40 + i, pte(tables[i], KRO), false), 0);
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 40 + i, pte(tables[i], KRW), false));
        ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 40 + i, pte(tables[i], KRW), true));
    }
    check_invariant();
}

/* Promotion races as sequences: a frame mapped RW cannot become a table or
 * a descriptor page; once unmapped it can, after a flush. */
static void test_promotion_sequences(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    const mfn_t x = 100;
    mfn_t cr3 = INVALID_MFN;

    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 50, pte(x, KRW), false), 0);
    for (unsigned lvl = 1; lvl <= 4; lvl++)
        ATTACK(-EINVAL, pv_pin(&ca, x, lvl));
    ATTACK(-EINVAL, pv_set_baseptr(&ca, x, &cr3));
    ATTACK(-EINVAL, pv_get_type(&ca, x, PV_TYPE_SEG_DESC));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, t.l2, 50, pte(x, UTBL), false));
    /* Writes into it are plain stores (it is not a table): no refs taken. */
    assert_int_equal(pv_pt_update_entry(&ca, x, 0, pte(t.l4, KRW), false), 0);
    assert_int_equal(m->mem[x][0], pte(t.l4, KRW));
    assert_int_equal(gcount(t.l4), 2);
    /* Its only RW mapping goes RO: now it may become an L1, but only after a
     * flush (a TLB may still hold the writable translation) and not with
     * that entry in it. */
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 50, pte(x, KRO), false), 0);
    memset(m->flushed, 0, sizeof(m->flushed));
    ATTACK(-EBUSY, pv_pin(&ca, x, 1));     /* its entry maps a table RW (Xen: -EBUSY) */
    assert_true(m->flushed[x]);
    m->mem[x][0] = 0;
    memset(m->flushed, 0, sizeof(m->flushed));
    assert_int_equal(pv_pin(&ca, x, 1), 0);
    assert_true(m->flushed[x]);
    /* And back: unpinned, then mapped RW: a flush again (stale walks of x
     * as a table). A plain store into it needs one too. */
    assert_int_equal(pv_unpin(&ca, x), 0);
    memset(m->flushed, 0, sizeof(m->flushed));
    assert_int_equal(pv_pt_update_entry(&ca, x, 5, 0x1234, false), 0);
    assert_true(m->flushed[x]);
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 51, pte(x, KRW), false), 0);
    /* Re-taking the same type needs no flush. */
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 51, 0, false), 0);
    memset(m->flushed, 0, sizeof(m->flushed));
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 51, pte(x, KRW), false), 0);
    assert_false(m->flushed[x]);
    check_invariant();
}

static void test_desc_frames(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    const mfn_t gdt = 101;

    m->mem[102][0] = 0xbadbadULL;
    ATTACK(-EINVAL, pv_get_type(&ca, 102, PV_TYPE_SEG_DESC));
    assert_int_equal(pv_get_type(&ca, gdt, PV_TYPE_SEG_DESC), 0);
    ATTACK(-EBUSY, pv_pt_update_entry(&ca, t.l1, 60, pte(gdt, KRW), false));
    ATTACK(-EINVAL, pv_pt_update_entry(&ca, gdt, 0, 0, false));     /* not by mmu_update */
    ATTACK(-EINVAL, pv_pin(&ca, gdt, 1));
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 60, pte(gdt, KRO), false), 0);
    /* RW-mapped frame cannot become a descriptor page. */
    ATTACK(-EINVAL, pv_get_type(&ca, t.rw, PV_TYPE_SEG_DESC));
    struct pv_mm_ctx nochk = ca;
    nochk.check_desc_page = NULL;
    ATTACK(-EOPNOTSUPP, pv_get_type(&nochk, 103, PV_TYPE_SEG_DESC));
    pv_put_type(&ca, gdt);
    assert_int_equal(tcount(gdt), 0);
    assert_int_equal(gcount(gdt), 1);       /* the RO mapping */
}

static void test_update_paths(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    uint64_t e = m->mem[t.l1][0];

    /* A/D only, and other same-ref changes: no count changes. */
    take_snapshot();
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 0, e & ~(PV_PTE_A | PV_PTE_D), false), 0);
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 0, e & ~(PV_PTE_A | PV_PTE_D), true), 0);
    assert_unchanged();
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 0, e | PV_PTE_NX, false), 0);
    assert_unchanged();
    /* RW -> RO of the same frame drops the WRITABLE ref; back again. */
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 0, pte(t.rw, KRO), false), 0);
    assert_int_equal(tcount(t.rw), 0);
    assert_int_equal(gcount(t.rw), 1);
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 0, pte(t.rw, KRW), false), 0);
    assert_int_equal(tcount(t.rw), 1);
    /* PRESERVE_AD keeps the A/D bits the CPU set. */
    m->mem[t.l1][1] |= PV_PTE_D;
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 1, pte(t.ro, PV_PTE_P), true), 0);
    assert_true(m->mem[t.l1][1] & PV_PTE_D);
    /* update_va_mapping finds the L1 through the tree. */
    uint64_t va = 0xffff000000000000ULL | (272ULL << 39) | (77ULL << 12);
    assert_int_equal(pv_update_va_mapping(&ca, t.l4, va, pte(90, KRW)), 0);
    assert_int_equal(pv_pte_mfn(m->mem[t.l1][77]), 90);
    assert_int_equal(tcount(90), 1);
    ATTACK(-EINVAL, pv_update_va_mapping(&ca, t.l4, va | (1ULL << 39), pte(90, KRW)));
    ATTACK(-EINVAL, pv_update_va_mapping(&ca, t.l1, va, pte(90, KRW)));    /* not an L4 */
    ATTACK(-EINVAL, pv_update_va_mapping(&ca, t.l4, va ^ (1ULL << 50), pte(90, KRW)));
    /* Replacing a subtree: the old L2 (and its L1) are devalidated. */
    m->mem[95][0] = pte(96, UTBL);
    assert_int_equal(pv_pt_update_entry(&ca, t.l3, 0, pte(95, UTBL), false), 0);
    assert_int_equal(tcount(t.l2), 0);
    assert_int_equal(tcount(t.l1), 0);
    assert_int_equal(tcount(90), 0);
    assert_int_equal(ttype(96), PV_TYPE_L1);
    check_invariant();
    /* Plain pages accept any value (a not-yet-table being prepared). */
    assert_int_equal(pv_pt_update_entry(&ca, 97, 3, pte(HV_FIRST, KRW | PV_PTE_PSE), false), 0);
    assert_int_equal(gcount(HV_FIRST), 0);
    check_invariant();
}

static void test_overflow_and_underflow(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);

    m->table[90].count = PV_COUNT_MAX;
    ATTACK(-EOVERFLOW, pv_get_ref(&ca, 90));
    ATTACK(-EOVERFLOW, pv_pt_update_entry(&ca, t.l1, 70, pte(90, KRO), false));
    ATTACK(-EOVERFLOW, pv_pt_update_entry(&ca, t.l1, 70, pte(90, KRW), false));
    ATTACK(-EOVERFLOW, pv_pin(&ca, 90, 1));
    m->table[90].count = 0;
    /* Type count at its ceiling (general count consistent with it). */
    m->table[91].type_info = (PV_TYPE_WRITABLE << PV_TI_TYPE_SHIFT) | PV_TI_VALIDATED |
                             PV_TI_COUNT_MASK;
    m->table[91].count = PV_TI_COUNT_MASK;
    ATTACK(-EOVERFLOW, pv_pt_update_entry(&ca, t.l1, 70, pte(91, KRW), false));
    assert_int_equal(pv_pt_update_entry(&ca, t.l1, 70, pte(91, KRO), false), 0);
    m->table[91].type_info = 0;
    m->table[91].count = 1;
    /* Overflow deep inside a validation is undone like any failure. */
    m->table[t.rw].count = PV_COUNT_MAX;
    m->mem[92][0] = pte(t.rw, KRW);
    ATTACK(-EOVERFLOW, pv_pin(&ca, 92, 1));
    m->table[t.rw].count = 1;
    /* Puts without a matching get: refused with a log line. */
    host_log_clear();
    ATTACK(0, (pv_put_ref(&ca, 93), 0));
    ATTACK(0, (pv_put_type(&ca, 93), 0));
    ATTACK(0, (pv_put_ref(&ca, t.rw), 0));      /* only a type ref's general ref */
    ATTACK(0, (pv_put_type(&ca, t.l4), 0));     /* the pin's ref */
    ATTACK(0, (pv_put_ref(&ca, FAKE_FRAMES + 5), 0));
    assert_true(host_log_contains("underflow"));
    assert_true(host_log_contains("pinned"));
}

static void test_relinquish(void **state)
{
    (void)state;
    struct tree t = pinned_tree(&ca, 64);
    struct tree u = pinned_tree(&ca, 72);
    struct tree w = pinned_tree(&cb, 192);
    const struct pv_frame_range ra[] = { { A_FIRST, 32 }, { A_FIRST + 32, A_END - A_FIRST - 32 } };
    const struct pv_frame_range rb[] = { { B_FIRST, B_END - B_FIRST } };

    /* Cycle-looking structure: each tree's L1 maps the other's tables RO,
     * an extra pinned L1 maps everything RO, L2s pinned on their own. */
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(pv_pt_update_entry(&ca, t.l1, 100 + i, pte(u.l4 + i, KRO), false), 0);
        assert_int_equal(pv_pt_update_entry(&ca, u.l1, 100 + i, pte(t.l4 + i, KRO), false), 0);
    }
    for (unsigned i = 0; i < 64; i++)
        m->mem[90][i] = pte(A_FIRST + i, KRO);
    assert_int_equal(pv_pin(&ca, 90, 1), 0);
    assert_int_equal(pv_pin(&ca, t.l2, 2), 0);
    check_invariant();

    assert_int_equal(pv_relinquish_domain(&ca, ra, ARRAY_SIZE(ra)), 0);
    for (mfn_t f = A_FIRST; f < A_END; f++) {
        assert_int_equal(gcount(f), 0);
        assert_int_equal(m->table[f].type_info, 0);
    }
    assert_int_equal(pv_relinquish_domain(&ca, ra, ARRAY_SIZE(ra)), 0);   /* idempotent */
    /* A dense frame table (no frame_backed hook) and no L4 template. */
    struct pv_mm_ctx dense = ca;
    dense.frame_backed = NULL;
    dense.hv_l4_slots = NULL;
    dense.nr_frames = UNBACKED_FIRST;
    m->mem[t.l4][256] = 0x1234;
    assert_int_equal(pv_pin(&dense, t.l4, 4), 0);
    assert_int_equal(m->mem[t.l4][256], 0);
    ATTACK(-EPERM, pv_get_ref(&dense, UNBACKED_FIRST));
    assert_int_equal(pv_relinquish_domain(&dense, ra, ARRAY_SIZE(ra)), 0);
    /* Domain B untouched; then destroyed with a CR3 ref and a descriptor
     * page still held: released by force, counted. */
    assert_int_equal(tcount(w.l4), 1);
    mfn_t cr3 = INVALID_MFN;
    assert_int_equal(pv_set_baseptr(&cb, w.l4, &cr3), 0);
    assert_int_equal(pv_get_type(&cb, 250, PV_TYPE_SEG_DESC), 0);
    assert_int_equal(pv_get_ref(&cb, 251), 0);
    host_log_clear();
    assert_int_equal(pv_relinquish_domain(&cb, rb, ARRAY_SIZE(rb)), 3);
    assert_true(host_log_contains("by force"));
    for (mfn_t f = B_FIRST; f < B_END; f++) {
        assert_int_equal(gcount(f), 0);
        assert_int_equal(m->table[f].type_info, 0);
    }
    (void)u;
}

/* ---- randomized ---- */

static void test_random_sequence_clean_end(void **state)
{
    (void)state;
    pv_random_run(m, 0x5eed1234u, 100000, false);
}

static void test_random_sequence_forced_end(void **state)
{
    (void)state;
    pv_random_run(m, 0xfeedbeefu, 20000, true);
}

/* I/O memory (include/keel/iomem.h): the fake says frames 0..7 are I/O
 * dom0 may map RW, 8..11 read-only, 12..15 the hypervisor's, and 5000 (no
 * frame-table entry) RW; everything else RAM. */
static int fake_io(void *c, mfn_t mfn)
{
    (void)c;
    if (mfn < 8 || mfn == 5000)
        return IOMEM_RW;
    if (mfn < 12)
        return IOMEM_RO;
    if (mfn < 16)
        return IOMEM_DENY;
    return IOMEM_RAM;
}

static void test_io_memory(void **state)
{
    (void)state;
    struct pv_mm_ctx io = ca, dom = cb;
    io.io_caps = true;
    io.io_access = fake_io;
    dom.io_access = fake_io;
    struct tree t = pinned_tree(&io, 64);
    struct tree u = pinned_tree(&dom, 192);

    /* dom0: RW and RO I/O frames map without a reference, cache bits too. */
    take_snapshot();
    assert_int_equal(pv_pt_update_entry(&io, t.l1, 20, pte(3, KRW | PV_PTE_PCD | PV_PTE_PWT), false), 0);
    assert_int_equal(pv_pt_update_entry(&io, t.l1, 21, pte(5000, KRW), false), 0);
    assert_int_equal(pv_pt_update_entry(&io, t.l1, 22, pte(9, KRO), false), 0);
    assert_unchanged();
    /* Read-only and denied frames: -EPERM, nothing changed. */
    ATTACK(-EPERM, pv_pt_update_entry(&io, t.l1, 23, pte(9, KRW), false));
    ATTACK(-EPERM, pv_pt_update_entry(&io, t.l1, 23, pte(13, KRO), false));
    ATTACK(-EPERM, pv_pt_update_entry(&io, t.l1, 23, pte(13, KRW), false));
    /* An I/O frame is never a table, a pin or a base pointer. */
    ATTACK(-EINVAL, pv_pt_update_entry(&io, t.l2, 20, pte(3, UTBL), false));
    ATTACK(-EINVAL, pv_pin(&io, 3, 1));
    ATTACK(-EINVAL, pv_set_baseptr(&io, 3, &(mfn_t){ INVALID_MFN }));
    ATTACK(-EINVAL, pv_pt_update_entry(&io, 3, 0, 0, false));
    /* Unmapping drops nothing; RAM rules are unchanged for RAM frames. */
    take_snapshot();
    for (unsigned i = 20; i < 23; i++)
        assert_int_equal(pv_pt_update_entry(&io, t.l1, i, 0, false), 0);
    assert_unchanged();
    ATTACK(-EBUSY, pv_pt_update_entry(&io, t.l1, 20, pte(u.rw, KRO), false));
    ATTACK(-EBUSY, pv_pt_update_entry(&io, t.l1, 20, pte(HV_FIRST, KRW), false));
    /* A domain without I/O rights: -EPERM, as Xen. */
    ATTACK(-EPERM, pv_pt_update_entry(&dom, u.l1, 20, pte(3, KRO), false));
    ATTACK(-EPERM, pv_pt_update_entry(&dom, u.l1, 20, pte(5000, KRW), false));
    /* A validated table holding I/O entries: validation and teardown take
     * and drop nothing for them. */
    assert_int_equal(pv_unpin(&io, t.l4), 0);
    m->mem[t.l1][30] = pte(2, KRW);
    take_snapshot();
    assert_int_equal(pv_pin(&io, t.l4, 4), 0);
    assert_int_equal(pv_unpin(&io, t.l4), 0);
    assert_unchanged();
    m->mem[t.l1][31] = pte(14, KRO);                    /* denied: the pin fails */
    ATTACK(-EPERM, pv_pin(&io, t.l4, 4));
    m->mem[t.l1][30] = m->mem[t.l1][31] = 0;
    assert_int_equal(pv_pin(&io, t.l4, 4), 0);
    check_invariant();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adjust_and_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_tree_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_subtrees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rw_map_of_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_confusion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linear_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_with_bad_last_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_and_unowned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bits_by_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hypervisor_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpin_while_cr3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ro_to_rw_of_other_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promotion_sequences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_desc_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overflow_and_underflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relinquish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_sequence_clean_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_sequence_forced_end, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
