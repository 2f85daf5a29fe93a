/* Self-tests of memory management on the real machine: the frame
 * allocator, the heap, and the page-table invariants (W^X, guard pages). */
#include <keel/selftest.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/string.h>

static int test_frames(void)
{
    int failed = 0;
    uint64_t free0 = mm_free_frames();
    mfn_t got[FRAME_ORDER_MAX + 1];

    for (unsigned order = 0; order <= 10; order++) {
        ST_CHECK(alloc_frames(order, &got[order]) == 0);
        ST_CHECK(IS_ALIGNED(got[order], 1UL << order));
        uint64_t *p = mfn_to_virt(got[order]);
        for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i += 512)
            p[i] = got[order] ^ i;                      /* the frames are real memory */
        for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i += 512)
            ST_CHECK(p[i] == (got[order] ^ i));
    }
    ST_CHECK(mm_free_frames() == free0 - ((1UL << 11) - 1));
    for (unsigned order = 0; order <= 10; order++)
        free_frames(got[order], order);
    ST_CHECK(mm_free_frames() == free0);

    mfn_t low;
    ST_CHECK(alloc_frames_below(0, 1UL << 20, &low) == 0 && low < (1UL << 20));
    free_frames(low, 0);
    ST_CHECK(mm_free_frames() == free0);
    return failed;
}
selftest("frame allocator", test_frames);

static int test_heap(void)
{
    int failed = 0;
    void *p[64];
    for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
        p[i] = kmalloc(8 + i * 97);
        ST_CHECK(p[i] && IS_ALIGNED((uint64_t)p[i], 16));
        if (p[i])
            memset(p[i], (int)i, 8 + i * 97);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
        ST_CHECK(!p[i] || ((uint8_t *)p[i])[7 + i * 97] == (uint8_t)i);
    for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
        kfree(p[i]);
    uint8_t *z = kzalloc(100000);
    ST_CHECK(z && z[0] == 0 && z[99999] == 0);
    kfree(z);
    ST_CHECK(kmalloc(0) == NULL);
    return failed;
}
selftest("heap", test_heap);

/* No page of the hypervisor is both writable and executable. */
static int count_wx(const pte_t *t, unsigned level, vaddr_t va, uint64_t *leaves)
{
    int bad = 0;
    for (unsigned i = 0; i < 512; i++) {
        pte_t e = t[i];
        vaddr_t v = va + ((uint64_t)i << (12 + 9 * (level - 1)));
        if (!(e & PTE_P))
            continue;
        if (level == 1 || (e & PTE_PS)) {
            (*leaves)++;
            if ((e & PTE_W) && !(e & PTE_NX)) {
                if (bad < 3)
                    log_err("selftest: W+X mapping at %lx\n", v);
                bad++;
            }
        } else {
            bad += count_wx(phys_to_virt(e & PTE_ADDR), level - 1, v, leaves);
        }
    }
    return bad;
}

static int test_wx(void)
{
    int failed = 0;
    uint64_t leaves = 0;
    int bad = 0;
    for (unsigned s = L4_SLOT(HV_VIRT_START); s < L4_SLOT(HV_VIRT_START) + 16; s++)
        if (hv_l4[s] & PTE_P)
            bad += count_wx(phys_to_virt(hv_l4[s] & PTE_ADDR), 3,
                            0xffff000000000000UL | ((uint64_t)s << 39), &leaves);
    ST_CHECK(bad == 0);
    ST_CHECK(leaves > 0);
    /* The image's text is not writable; its data is not executable. */
    extern char __text_start[], __data_start[];
    pte_t t = lookup_pte((vaddr_t)__text_start, NULL), d = lookup_pte((vaddr_t)__data_start, NULL);
    ST_CHECK(t && !(t & PTE_W));
    ST_CHECK(d && (d & PTE_W) && (d & PTE_NX));
    /* Stack guard pages are unmapped. */
    vaddr_t block = this_cpu()->stack_block;
    ST_CHECK(lookup_pte(block, NULL) == 0);
    ST_CHECK(lookup_pte(block + 7 * PAGE_SIZE, NULL) == 0);
    ST_CHECK(lookup_pte(block + 8 * PAGE_SIZE, NULL) != 0);
    return failed;
}
selftest("page tables W^X and guard pages", test_wx);
