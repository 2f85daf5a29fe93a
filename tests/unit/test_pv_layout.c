/* Unit tests for the PV start-of-day layout (hv/build/pv_layout.c) on the
 * real Debian kernels' ranges, checked against expectations computed here
 * another way (brute-force page-table counts, the rules of ref §2.1 stated
 * directly) and a few hand-computed addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/decompress.h>
#include <keel/pv_image.h>
#include <keel/pv_layout.h>
#include "host_log.h"
#include "pv_kernels.h"

/* The layout test reads the vmlinux unpacked by the host tool. */
__attribute__((weak)) decompress_fn decompress_pick(const uint8_t *in, size_t n, const char **name)
{
    (void)in; (void)n;
    *name = "unknown";
    return NULL;
}

#define VIRT_BASE   0xffffffff80000000UL
#define PG          4096UL

static struct pv_image cloud_img, generic_img;

static int parse_kernels(void **state)
{
    struct pv_kernel k;
    struct pv_image_opts dom0 = { .privileged = true };
    (void)state;
    if (pvk_load("cloud", &k) || pv_image_parse(k.elf, k.elf_len, &cloud_img, NULL))
        return -1;
    pvk_free(&k);
    if (pvk_load("generic", &k) || pv_image_parse(k.elf, k.elf_len, &generic_img, &dom0))
        return -1;
    pvk_free(&k);
    /* The parsed images point into freed buffers; only their numbers are used. */
    cloud_img.elf = generic_img.elf = NULL;
    return 0;
}

static struct pv_layout_in input(const struct pv_image *im, uint64_t mem, uint64_t initrd,
                                 unsigned vcpus, bool dom0)
{
    struct pv_layout_in in;
    memset(&in, 0, sizeof(in));
    pv_layout_in_from_image(im, &in);
    in.nr_pages = mem / PG;
    in.initrd_len = initrd;
    in.nr_vcpus = vcpus;
    in.dom0 = dom0;
    return in;
}

/* Distinct tables of one level over every 4 KiB page of [s, e). */
static unsigned brute_tables(uint64_t s, uint64_t e, unsigned shift)
{
    unsigned n = 0;
    uint64_t last = UINT64_MAX;
    for (uint64_t va = s; va < e; va += PG)
        if (va >> shift != last) {
            last = va >> shift;
            n++;
        }
    return n;
}

static void expect_next(const struct pv_range *r, uint64_t *pfn, const struct pv_layout *l)
{
    assert_int_equal(r->pfn, *pfn);
    assert_int_equal(r->va, l->v_start + r->pfn * PG);
    *pfn += r->pages;
}

/* Ref §2.1 and §2.6/§2.7, restated as checks. */
static void check_rules(const struct pv_layout_in *in, const struct pv_layout *l)
{
    uint64_t pfn;

    assert_int_equal(l->v_start, in->virt_base);
    assert_int_equal(l->v_end % (4UL << 20), 0);                      /* rule 2 */
    assert_int_equal(l->region_pages, (l->v_end - l->v_start) / PG);   /* rule 5 */
    /* Packed in order (rules 3, 4). */
    assert_int_equal(l->kernel.va, in->virt_kstart & ~(PG - 1));
    pfn = l->kernel.pfn + l->kernel.pages;
    assert_int_equal(l->kernel.va + l->kernel.pages * PG, (in->virt_kend + PG - 1) & ~(PG - 1));
    if (l->initrd_mapped)
        expect_next(&l->initrd, &pfn, l);
    if (!l->p2m_at_init_p2m)
        expect_next(&l->p2m, &pfn, l);
    expect_next(&l->start_info, &pfn, l);
    if (!in->dom0) {
        expect_next(&l->xenstore, &pfn, l);
        expect_next(&l->console, &pfn, l);
    } else {
        assert_int_equal(l->xenstore.pages + l->console.pages, 0);
    }
    expect_next(&l->pt, &pfn, l);
    expect_next(&l->stack, &pfn, l);
    assert_int_equal(l->start_info.pages, 1);
    assert_int_equal(l->stack.pages, 1);
    /* Rule 7: >= 512 KiB after the stack, and no more 4 MiB steps than needed. */
    uint64_t stack_end = l->stack.va + PG;
    assert_true(l->v_end - stack_end >= 512 * 1024);
    assert_true(l->v_end - (4UL << 20) < stack_end + 512 * 1024);
    assert_int_equal(l->stack_top, stack_end);
    /* Page tables: exactly enough to map the whole region, themselves included. */
    unsigned l3 = brute_tables(l->v_start, l->v_end, 39);
    unsigned l2 = brute_tables(l->v_start, l->v_end, 30);
    unsigned l1 = brute_tables(l->v_start, l->v_end, 21);
    assert_int_equal(l->nr_l4, 1);
    assert_int_equal(l->nr_l3, l3);
    assert_int_equal(l->nr_l2, l2);
    assert_int_equal(l->nr_l1, l1);
    assert_int_equal(l->pt.pages, 1 + l3 + l2 + l1);
    assert_int_equal(l->nr_pt_frames, l->pt.pages);
    assert_int_equal(l->pt_base, l->pt.va);
    /* Rule 6: read-only exactly the page tables, which lie inside the region. */
    assert_int_equal(l->ro_start, l->pt.va);
    assert_int_equal(l->ro_end, l->pt.va + l->pt.pages * PG);
    assert_true(l->ro_end <= l->v_end);
    assert_true(l->v_end - l->v_start <= (1UL << 30));                /* §2.2 */

    /* After the region: unmapped initrd, then p2m + its tables. */
    pfn = l->region_pages;
    if (in->initrd_len && !l->initrd_mapped) {
        assert_int_equal(l->initrd.pfn, pfn);
        assert_int_equal(l->initrd.va, 0);
        assert_int_equal(l->mod_start, pfn);
        pfn += l->initrd.pages;
    }
    if (in->initrd_len)
        assert_int_equal(l->initrd.pages, (in->initrd_len + PG - 1) / PG);
    else
        assert_int_equal(l->mod_start | l->mod_len | l->initrd.pages, 0);
    assert_int_equal(l->p2m.pages, (in->nr_pages + 511) / 512);
    if (l->p2m_at_init_p2m) {
        uint64_t end = in->init_p2m + l->p2m.pages * PG;
        assert_int_equal(l->p2m.pfn, pfn);
        assert_int_equal(l->mfn_list, in->init_p2m);
        assert_int_equal(l->p2m_nr_l3, brute_tables(in->init_p2m, end, 39));
        assert_int_equal(l->p2m_nr_l2, brute_tables(in->init_p2m, end, 30));
        assert_int_equal(l->p2m_nr_l1, brute_tables(in->init_p2m, end, 21));
        assert_int_equal(l->p2m_pt.pfn, pfn + l->p2m.pages);
        assert_int_equal(l->first_p2m_pfn, pfn);
        assert_int_equal(l->nr_p2m_frames, l->p2m.pages + l->p2m_pt.pages);
        pfn += l->nr_p2m_frames;
    } else {
        assert_int_equal(l->mfn_list, l->p2m.va);
        assert_int_equal(l->nr_p2m_frames, 0);
    }
    assert_int_equal(l->pages_used, pfn);
    assert_true(l->pages_used <= in->nr_pages);                       /* all in the domain */
}

static void layout_ok(const struct pv_layout_in *in, struct pv_layout *l)
{
    host_log_clear();
    int rc = pv_layout_compute(in, l);
    if (rc)
        fprintf(stderr, "log: %s\n", host_log_text());
    assert_int_equal(rc, 0);
    check_rules(in, l);
}

/* 1 and 4 vCPUs give the same layout (only vCPU 0 gets a boot stack). */
static void both_vcpu_counts(const struct pv_image *im, uint64_t mem, uint64_t initrd, bool dom0,
                             struct pv_layout *l)
{
    struct pv_layout l4;
    struct pv_layout_in in1 = input(im, mem, initrd, 1, dom0);
    struct pv_layout_in in4 = input(im, mem, initrd, 4, dom0);
    layout_ok(&in1, l);
    layout_ok(&in4, &l4);
    assert_memory_equal(l, &l4, sizeof(l4));
}

/* Cloud kernel: [0xffffffff81000000, 0xffffffff83e00000) in 6.1.0-56; the
 * hand-computed values below follow from kend. */
static void test_cloud_domu(void **state)
{
    struct pv_layout l;
    (void)state;
    for (int m = 0; m < 2; m++) {
        uint64_t mem = m ? (2UL << 30) : (256UL << 20);
        both_vcpu_counts(&cloud_img, mem, 10 << 20, false, &l);
        assert_false(l.initrd_mapped);
        assert_true(l.p2m_at_init_p2m);
        assert_int_equal(l.mod_len, 10 << 20);
        if (cloud_img.virt_kend != 0xffffffff83e00000UL)
            continue;   /* a newer Debian build: the rules above still held */
        assert_int_equal(l.start_info.pfn, 0x3e00);
        assert_int_equal(l.xenstore.pfn, 0x3e01);
        assert_int_equal(l.console.pfn, 0x3e02);
        assert_int_equal(l.pt_base, VIRT_BASE + 0x3e03 * PG);
        assert_int_equal(l.nr_pt_frames, 35);          /* L4 + L3 + L2 + 32 L1 */
        assert_int_equal(l.stack_top, VIRT_BASE + 0x3e27 * PG);
        assert_int_equal(l.v_end, VIRT_BASE + (64UL << 20));
        assert_int_equal(l.mod_start, 0x4000);          /* initrd PFN after the region */
        assert_int_equal(l.first_p2m_pfn, 0x4000 + 2560);
        assert_int_equal(l.p2m.pages, m ? 1024 : 128);
        assert_int_equal(l.p2m_pt.pages, m ? 1 + 1 + 2 : 1 + 1 + 1);
    }
}

/* Generic kernel as dom0: [0xffffffff81000000, 0xffffffff84a00000). */
static void test_generic_dom0(void **state)
{
    struct pv_layout l;
    (void)state;
    for (int m = 0; m < 2; m++) {
        uint64_t mem = m ? (2UL << 30) : (256UL << 20);
        both_vcpu_counts(&generic_img, mem, 3000, true, &l);
        assert_int_equal(l.mod_len, 3000);              /* dom0: the exact length */
        assert_int_equal(l.initrd.pages, 1);
        if (generic_img.virt_kend != 0xffffffff84a00000UL)
            continue;
        assert_int_equal(l.start_info.pfn, 0x4a00);
        assert_int_equal(l.pt.pfn, 0x4a01);
        assert_int_equal(l.nr_pt_frames, 41);          /* L4 + L3 + L2 + 38 L1 */
        assert_int_equal(l.stack.pfn, 0x4a2a);
        assert_int_equal(l.v_end, VIRT_BASE + (76UL << 20));
    }
}

/* A kernel without INIT_P2M / MOD_START_PFN: initrd and p2m in the region. */
static void test_mapped_initrd_and_p2m(void **state)
{
    struct pv_layout l;
    (void)state;
    for (int dom0 = 0; dom0 < 2; dom0++)
        for (int m = 0; m < 2; m++) {
            struct pv_layout_in in = input(&generic_img, m ? (2UL << 30) : (256UL << 20),
                                           (20 << 20) + 5, 1 + 3 * m, dom0);
            in.has_init_p2m = false;
            in.mod_start_pfn = false;
            layout_ok(&in, &l);
            assert_true(l.initrd_mapped);
            assert_int_equal(l.mod_start, l.initrd.va);
            assert_int_equal(l.initrd.pfn, 0x4a00);
            assert_int_equal(l.p2m.pfn, 0x4a00 + 5121);
            assert_int_equal(l.mfn_list, VIRT_BASE + l.p2m.pfn * PG);
            assert_int_equal(l.pages_used, l.region_pages);
            assert_int_equal(l.mod_len, dom0 ? (20 << 20) + 5 : (20 << 20) + PG);
        }
}

static void test_too_small(void **state)
{
    struct pv_layout l;
    (void)state;
    struct pv_layout_in in = input(&cloud_img, 256UL << 20, 10 << 20, 1, false);
    layout_ok(&in, &l);
    in.nr_pages = l.pages_used;       /* exactly enough: p2m shrinks, still fits */
    layout_ok(&in, &l);
    in.nr_pages = l.pages_used - l.p2m.pages - l.p2m_pt.pages - 1;
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), -ENOMEM);
    assert_true(host_log_contains("domain memory too small"));
    assert_true(host_log_contains("KiB) needed"));
    in = input(&cloud_img, 32UL << 20, 0, 1, false);
    assert_int_equal(pv_layout_compute(&in, &l), -ENOMEM);
    in = input(&cloud_img, 256UL << 20, 300UL << 20, 1, false);    /* initrd > memory */
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), -ENOMEM);
    assert_true(host_log_contains("too small"));
}

static void test_bad_input(void **state)
{
    struct pv_layout l;
    (void)state;
    struct pv_layout_in in = input(&cloud_img, 256UL << 20, 0, 0, false);
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);              /* no vCPU */
    in = input(&cloud_img, 0, 0, 1, false);
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);              /* no memory */
    in = input(&cloud_img, 256UL << 20, 0, 1, false);
    in.virt_base += 0x10;
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    in = input(&cloud_img, 256UL << 20, 0, 1, false);
    in.virt_kend = in.virt_kstart;
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    /* Hostile sizes: no overflow, a clean refusal. */
    in = input(&cloud_img, 256UL << 20, UINT64_MAX, 1, false);
    assert_int_equal(pv_layout_compute(&in, &l), -ENOMEM);
    in.initrd_len = 0;
    in.nr_pages = UINT64_MAX;
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    in = input(&cloud_img, 1UL << 40, 1UL << 39, 1, false);
    in.mod_start_pfn = false;             /* 512 GiB initrd cannot be mapped above VIRT_BASE */
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    assert_true(host_log_contains("does not fit above VIRT_BASE"));
    in = input(&cloud_img, 256UL << 20, 0, 1, false);
    in.virt_kend = UINT64_MAX - 100;
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
}

/* Ref §3.3: the p2m mapping must avoid the hypervisor's range and the
 * region's own L4 slot. */
static void test_init_p2m_placement(void **state)
{
    struct pv_layout l;
    (void)state;
    struct pv_layout_in in = input(&cloud_img, 2UL << 30, 0, 1, false);
    in.init_p2m = 0xffff800000000000UL;
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    assert_true(host_log_contains("hypervisor range"));
    in.init_p2m = 0x00007ffffffff000UL;     /* runs into the non-canonical hole */
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    in.init_p2m = 0xffffff0000000000UL;     /* L4 slot 510... */
    layout_ok(&in, &l);
    in.init_p2m = 0xffffffc000000000UL;     /* ...slot 511 is the region's */
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);
    assert_true(host_log_contains("shares an L4 slot"));
    in.init_p2m = 0x8000000800UL;
    assert_int_equal(pv_layout_compute(&in, &l), -EINVAL);             /* unaligned */
}

/* A region over 1 GiB is built but Linux cannot use it (§2.2): warned. */
static void test_big_region_warns(void **state)
{
    struct pv_layout l;
    (void)state;
    struct pv_layout_in in = input(&cloud_img, 4UL << 30, 1200UL << 20, 1, true);
    in.mod_start_pfn = false;
    host_log_clear();
    assert_int_equal(pv_layout_compute(&in, &l), 0);
    assert_true(host_log_contains("exceeds the 1 GiB"));
    assert_int_equal(l.v_end % (4UL << 20), 0);
    assert_int_equal(l.nr_l2, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloud_domu),
        cmocka_unit_test(test_generic_dom0),
        cmocka_unit_test(test_mapped_initrd_and_p2m),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_init_p2m_placement),
        cmocka_unit_test(test_big_region_warns),
    };
    return cmocka_run_group_tests(tests, parse_kernels, NULL);
}
