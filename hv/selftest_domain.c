/* Self-test: domains take frames and give every one back on destruction. */
#include <keel/selftest.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>

static int test_domain_memory(void)
{
    int failed = 0;
    kmem_trim();
    uint64_t free0 = mm_free_frames();
    struct domain *a = domain_create(-1, "selftest-a", false, 1024);
    struct domain *b = domain_create(-1, "selftest-b", false, 64);
    ST_CHECK(a && b && a->id != b->id);
    if (!a || !b)
        return failed;
    mfn_t m;
    for (unsigned order = 0; order <= 9; order++)
        ST_CHECK(domain_alloc_frames(a, order, &m) == 0 && frame_table[m].owner == a->id);
    ST_CHECK(a->tot_pages == (1U << 10) - 1);
    ST_CHECK(domain_alloc_frames(a, 1, &m) == -ENOMEM);     /* over max_pages */
    for (unsigned i = 0; i < 64; i++)
        ST_CHECK(domain_alloc_frames(b, 0, &m) == 0);
    ST_CHECK(domain_alloc_frames(b, 0, &m) != 0);
    struct domain *ref = domain_get(a->id);
    ST_CHECK(ref == a);
    domain_put(ref);
    uint16_t ida = a->id;
    domain_destroy(a);
    domain_destroy(b);
    ST_CHECK(domain_get(ida) == NULL);
    kmem_trim();
    ST_CHECK(mm_free_frames() == free0);
    return failed;
}
selftest("domain memory returned", test_domain_memory);
