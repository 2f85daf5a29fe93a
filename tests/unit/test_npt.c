/* Unit tests for mm/npt.c: nested page tables in both formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/npt.h>
#include <keel/errno.h>

/* Table pages: "machine addresses" are indexes into a pool of pages. */
#define POOL 64
struct pool {
    uint64_t pages[POOL][512];
    bool used[POOL];
    unsigned live, limit;
};

static paddr_t pool_alloc(void *arg)
{
    struct pool *p = arg;
    if (p->live >= p->limit)
        return 0;
    for (unsigned i = 1; i < POOL; i++)
        if (!p->used[i]) {
            p->used[i] = true;
            p->live++;
            memset(p->pages[i], 0, sizeof(p->pages[i]));
            return (paddr_t)i << 12;
        }
    return 0;
}

static void pool_free(void *arg, paddr_t pa)
{
    struct pool *p = arg;
    assert_true(p->used[pa >> 12]);
    p->used[pa >> 12] = false;
    p->live--;
}

static uint64_t *pool_table(void *arg, paddr_t pa)
{
    struct pool *p = arg;
    assert_true((pa >> 12) < POOL && p->used[pa >> 12]);
    return p->pages[pa >> 12];
}

static struct npt_ctx make(struct pool *p, enum hvm_npt_format fmt)
{
    memset(p, 0, sizeof(*p));
    p->limit = POOL - 1;
    return (struct npt_ctx){ .fmt = fmt, .alloc_table = pool_alloc, .free_table = pool_free,
                             .table = pool_table, .arg = p };
}

static void npt_entries_are_user_long_mode_entries(void **state)
{
    (void)state;
    uint64_t e = npt_leaf_entry(HVM_NPT_X86_64, 0x1234000, NPT_RWX);
    assert_true(e & 1);                 /* P */
    assert_true(e & 2);                 /* RW */
    assert_true(e & 4);                 /* U: the nested walk is a user access */
    assert_false(e >> 63);              /* executable */
    assert_int_equal(e & NPT_ADDR_MASK, 0x1234000);
    e = npt_leaf_entry(HVM_NPT_X86_64, 0x5000, NPT_R);
    assert_false(e & 2);
    assert_true(e >> 63);               /* NX */
    assert_int_equal(npt_entry_perms(HVM_NPT_X86_64, e), NPT_R);
    assert_int_equal(npt_leaf_entry(HVM_NPT_X86_64, 0x5000, 0), 0);
    uint64_t t = npt_table_entry(HVM_NPT_X86_64, 0x7000);
    assert_int_equal(t & 7, 7);
}

static void ept_entries_carry_rwx_and_write_back(void **state)
{
    (void)state;
    uint64_t e = npt_leaf_entry(HVM_NPT_EPT, 0xabc000, NPT_R | NPT_W);
    assert_int_equal(e & 7, 3);
    assert_int_equal((e >> 3) & 7, 6);  /* WB */
    assert_int_equal(e & NPT_ADDR_MASK, 0xabc000);
    assert_int_equal(npt_table_entry(HVM_NPT_EPT, 0x3000) & 0xff, 7);
    assert_false(npt_entry_present(HVM_NPT_EPT, 0));
}

static void map_lookup_unmap_both_formats(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        struct pool p;
        struct npt_ctx c = make(&p, f ? HVM_NPT_EPT : HVM_NPT_X86_64);
        assert_int_equal(npt_init(&c), 0);
        mfn_t m;
        unsigned perms;
        assert_int_equal(npt_lookup(&c, 5, &m, &perms), -ENOENT);
        assert_int_equal(npt_map(&c, 5, 0x777, NPT_RWX), 0);
        assert_int_equal(p.live, 4);    /* root + 3 levels */
        assert_int_equal(npt_map(&c, 6, 0x778, NPT_R), 0);
        assert_int_equal(p.live, 4);    /* same leaf table */
        assert_int_equal(npt_lookup(&c, 5, &m, &perms), 0);
        assert_int_equal(m, 0x777);
        assert_int_equal(perms, NPT_RWX);
        assert_int_equal(npt_lookup(&c, 6, &m, &perms), 0);
        assert_int_equal(perms, f ? NPT_R : NPT_R);
        /* A far gfn (another L4 slot) takes three more tables. */
        assert_int_equal(npt_map(&c, 1UL << 27, 0x999, NPT_RWX), 0);
        assert_int_equal(p.live, 7);
        assert_int_equal(npt_lookup(&c, 4, &m, &perms), -ENOENT);
        assert_int_equal(npt_map(&c, 5, 0, 0), 0);
        assert_int_equal(npt_lookup(&c, 5, &m, &perms), -ENOENT);
        assert_int_equal(npt_map(&c, 1UL << 36, 1, NPT_R), -EINVAL);
        npt_destroy(&c);
        assert_int_equal(p.live, 0);
    }
}

static void out_of_table_pages_is_enomem(void **state)
{
    (void)state;
    struct pool p;
    struct npt_ctx c = make(&p, HVM_NPT_X86_64);
    p.limit = 2;
    assert_int_equal(npt_init(&c), 0);
    assert_int_equal(npt_map(&c, 0, 1, NPT_RWX), -ENOMEM);
    npt_destroy(&c);
    assert_int_equal(p.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(npt_entries_are_user_long_mode_entries),
        cmocka_unit_test(ept_entries_carry_rwx_and_write_back),
        cmocka_unit_test(map_lookup_unmap_both_formats),
        cmocka_unit_test(out_of_table_pages_is_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
