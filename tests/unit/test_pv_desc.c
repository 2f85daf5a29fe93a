/* Unit tests for mm/pv_desc.c: PV GDT/LDT descriptor rules (ref 3.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <keel/pv_desc.h>
#include <keel/errno.h>

#define P       PV_DESC_P
#define S       PV_DESC_S
#define L       PV_DESC_L
#define DB      PV_DESC_DB
#define DPL(n)  ((uint64_t)(n) << PV_DESC_DPL_SHIFT)
#define TYPE(t) ((uint64_t)(t) << PV_DESC_TYPE_SHIFT)

/* A 64-bit call gate's lower half. */
static uint64_t call_gate(uint16_t sel, uint32_t offset_lo32, unsigned dpl)
{
    return (offset_lo32 & 0xffffULL) | ((uint64_t)sel << 16) | TYPE(0xc) | DPL(dpl) | P |
           ((uint64_t)(offset_lo32 >> 16) << 48);
}

static uint64_t accepted(uint64_t d)
{
    uint64_t out = 0xdeadbeefULL;
    assert_int_equal(pv_desc_check(d, &out), 0);
    return out;
}

static void refused(uint64_t d)
{
    uint64_t out = 0x1234;
    assert_int_equal(pv_desc_check(d, &out), -EINVAL);
    assert_true(out == 0x1234);     /* not written on failure */
}

static void not_present_kept_as_is(void **state)
{
    (void)state;
    assert_true(accepted(0) == 0);
    /* Anything goes without P, even a TSS or L+D. */
    assert_true(accepted(0x00cf89000000ffffULL & ~P) == (0x00cf89000000ffffULL & ~P));
    assert_true(accepted(L | DB | S) == (L | DB | S));
    assert_true(accepted(~P) == ~P);
    /* A gate's upper half: offset bits 63..32, the rest 0. */
    assert_true(accepted(0x00000000ffffffffULL) == 0x00000000ffffffffULL);
}

/* Linux 6.1's GDT entries (DPL 0 kernel, DPL 3 user) and their stored form. */
static void linux_gdt_code_data_raised_to_dpl3(void **state)
{
    (void)state;
    assert_true(accepted(0x00cf9b000000ffffULL) == 0x00cffb000000ffffULL); /* KERNEL32_CS */
    assert_true(accepted(0x00af9b000000ffffULL) == 0x00affb000000ffffULL); /* KERNEL_CS */
    assert_true(accepted(0x00cf93000000ffffULL) == 0x00cff3000000ffffULL); /* KERNEL_DS */
    assert_true(accepted(0x00cffb000000ffffULL) == 0x00cffb000000ffffULL); /* USER32_CS */
    assert_true(accepted(0x00cff3000000ffffULL) == 0x00cff3000000ffffULL); /* USER_DS */
    assert_true(accepted(0x00affb000000ffffULL) == 0x00affb000000ffffULL); /* USER_CS */
    /* Every code/data type and DPL: only the DPL changes. */
    for (unsigned t = 0; t < 16; t++)
        for (unsigned dpl = 0; dpl < 4; dpl++) {
            uint64_t d = 0x12345678abcdULL | TYPE(t) | S | P | DPL(dpl);
            assert_true(accepted(d) == (d | DPL(3)));
        }
}

static void code_data_with_l_and_d_refused(void **state)
{
    (void)state;
    refused(0x00ef9b000000ffffULL);         /* 64-bit code with D set */
    refused(0x00eff3000000ffffULL);         /* data with L and B */
    refused(S | P | L | DB);
    /* L alone (64-bit code) and D alone (32-bit) are fine. */
    assert_true(accepted(S | P | L | TYPE(0xa)) == (S | P | L | TYPE(0xa) | DPL(3)));
    assert_true(accepted(S | P | DB | TYPE(0xa)) == (S | P | DB | TYPE(0xa) | DPL(3)));
}

static void system_type0_kept_as_is(void **state)
{
    (void)state;
    assert_true(accepted(P) == P);
    assert_true(accepted(P | DPL(2) | 0xffffffffULL) == (P | DPL(2) | 0xffffffffULL));
    assert_true(accepted(P | L | DB | 0xff00000000000000ULL) ==
                (P | L | DB | 0xff00000000000000ULL));
}

static void other_system_types_refused(void **state)
{
    (void)state;
    for (unsigned t = 1; t < 16; t++) {
        if (t == 0xc)
            continue;
        for (unsigned dpl = 0; dpl < 4; dpl++) {
            refused(TYPE(t) | P | DPL(dpl));
            refused((0x0000890000000067ULL & ~PV_DESC_TYPE_MASK) | TYPE(t) | DPL(dpl));
        }
    }
    refused(0x00008b0000000067ULL);         /* busy 64-bit TSS */
    refused(0x00008e0000100000ULL);         /* interrupt gate */
    refused(0x0000ef0000100000ULL);         /* trap gate, DPL 3 */
    refused(0x0000820000000fffULL);         /* LDT */
}

static void call_gate_to_guest_selector_stored_with_dpl0(void **state)
{
    (void)state;
    /* DPL 3 gate to Linux's KERNEL_CS 0x10: stored DPL 0, target RPL 3. */
    assert_true(call_gate(0x0010, 0x81000000, 3) == 0x8100ec0000100000ULL);
    assert_true(accepted(0x8100ec0000100000ULL) == 0x81008c0000130000ULL);
    /* DPL 0 gate: the DPL is raised to 3 first, so the RPL is 3 too. */
    assert_true(accepted(call_gate(0x0010, 0x81000000, 0)) == call_gate(0x0013, 0x81000000, 0));
    assert_true(accepted(call_gate(0x0011, 0x1234, 1)) == call_gate(0x0013, 0x1234, 0));
    /* Last guest GDT entry, any RPL. */
    assert_true(accepted(call_gate(0xdff8, 0, 2)) == call_gate(0xdffb, 0, 0));
    /* LDT selectors, whatever the index (the LDT is all guest). */
    assert_true(accepted(call_gate(0x0007, 0, 3)) == call_gate(0x0007, 0, 0));
    assert_true(accepted(call_gate(0xe00c, 0, 3)) == call_gate(0xe00f, 0, 0));
    assert_true(accepted(call_gate(0xfffc, 0, 3)) == call_gate(0xffff, 0, 0));
    /* FLAT_KERNEL_CS 0xe033, any RPL. */
    assert_true(accepted(call_gate(0xe033, 0xbeef, 3)) == call_gate(0xe033, 0xbeef, 0));
    assert_true(accepted(call_gate(0xe030, 0xbeef, 0)) == call_gate(0xe033, 0xbeef, 0));
}

static void call_gate_to_hypervisor_selector_refused(void **state)
{
    (void)state;
    refused(call_gate(0xe008, 0x1000, 3));  /* __HYPERVISOR_CS */
    refused(call_gate(0xe00b, 0x1000, 0));
    refused(call_gate(0xe000, 0, 3));       /* first reserved entry */
    refused(call_gate(0xe023, 0, 3));       /* FLAT_RING3_CS32: not allowed */
    refused(call_gate(0xe02b, 0, 3));
    refused(call_gate(0xe040, 0, 3));       /* TSS */
    refused(call_gate(0xfff8, 0, 3));
    /* Reserved bits 32..39 of a 64-bit gate. */
    refused(call_gate(0x0010, 0, 3) | (1ULL << 32));
    refused(call_gate(0x0010, 0, 3) | (0x80ULL << 32));
}

static void stored_values_are_fixed_points(void **state)
{
    const uint64_t samples[] = {
        0x00cf9b000000ffffULL, 0x00af93000000ffffULL, call_gate(0x10, 0, 0),
        call_gate(0xe030, 5, 3), call_gate(0x4, 9, 1), P, 0, 0xffffffffULL,
    };
    (void)state;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        uint64_t once = accepted(samples[i]);
        assert_true(accepted(once) == once);
    }
}

static void page_all_zero_accepted(void **state)
{
    static uint64_t page[PV_DESC_PAGE_ENTRIES];
    (void)state;
    memset(page, 0, sizeof(page));
    assert_int_equal(pv_desc_page_check(page), 0);
    assert_int_equal(pv_desc_page_validate(page), 0);
    for (unsigned i = 0; i < PV_DESC_PAGE_ENTRIES; i++)
        assert_true(page[i] == 0);
}

static void fill_linux_like_page(uint64_t *page)
{
    memset(page, 0, PV_DESC_PAGE_ENTRIES * sizeof(*page));
    page[1] = 0x00cf9b000000ffffULL;
    page[2] = 0x00af9b000000ffffULL;
    page[3] = 0x00cf93000000ffffULL;
    page[4] = 0x00cffb000000ffffULL;
    page[5] = 0x00cff3000000ffffULL;
    page[6] = 0x00affb000000ffffULL;
    page[20] = call_gate(0x0010, 0x81000000, 3);
    page[21] = 0x00000000ffffffffULL;           /* its upper half */
    page[511] = 0x00cf93000000ffffULL;          /* last slot needs a fixup too */
}

static void page_fixup_rewrites_dpls(void **state)
{
    static uint64_t page[PV_DESC_PAGE_ENTRIES];
    (void)state;
    fill_linux_like_page(page);
    assert_int_equal(pv_desc_page_check(page), 0);
    assert_true(page[1] == 0x00cf9b000000ffffULL);  /* check alone writes nothing */
    pv_desc_page_fixup(page);
    assert_true(page[1] == 0x00cffb000000ffffULL);
    assert_true(page[2] == 0x00affb000000ffffULL);
    assert_true(page[3] == 0x00cff3000000ffffULL);
    assert_true(page[6] == 0x00affb000000ffffULL);
    assert_true(page[20] == 0x81008c0000130000ULL);
    assert_true(page[21] == 0x00000000ffffffffULL);
    assert_true(page[511] == 0x00cff3000000ffffULL);
    assert_true(page[0] == 0 && page[510] == 0);
    /* A second fixup (another set_gdt of the same frame) changes nothing. */
    static uint64_t copy[PV_DESC_PAGE_ENTRIES];
    memcpy(copy, page, sizeof(copy));
    pv_desc_page_fixup(page);
    assert_memory_equal(copy, page, sizeof(copy));
}

static void page_with_bad_last_entry_refused_unchanged(void **state)
{
    static uint64_t page[PV_DESC_PAGE_ENTRIES], copy[PV_DESC_PAGE_ENTRIES];
    (void)state;
    fill_linux_like_page(page);
    page[511] = 0x00008e0000100000ULL;          /* interrupt gate */
    memcpy(copy, page, sizeof(copy));
    assert_int_equal(pv_desc_page_check(page), -EINVAL);
    assert_int_equal(pv_desc_page_validate(page), -EINVAL);
    assert_memory_equal(copy, page, sizeof(copy));

    page[511] = call_gate(0xe008, 0, 3);        /* gate into the hypervisor */
    memcpy(copy, page, sizeof(copy));
    assert_int_equal(pv_desc_page_validate(page), -EINVAL);
    assert_memory_equal(copy, page, sizeof(copy));

    page[511] = 0;
    assert_int_equal(pv_desc_page_validate(page), 0);
    assert_true(page[1] == 0x00cffb000000ffffULL);
}

/* ---- invariant checker over random descriptors ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Random values, half of them shaped into present call gates or present
 * system descriptors so that the rare classes are well covered. */
static uint64_t random_desc(void)
{
    uint64_t d = xorshift64();
    switch (xorshift64() & 7) {
    case 0:                                     /* present call gate */
        return (d & ~(PV_DESC_TYPE_MASK | S | PV_DESC_GATE_RSVD)) | P | TYPE(0xc);
    case 1:                                     /* ... to a low selector */
        return (d & ~(PV_DESC_TYPE_MASK | S | PV_DESC_GATE_RSVD | (0xe000ULL << 16))) | P |
               TYPE(0xc);
    case 2:                                     /* ... with FLAT_KERNEL_CS */
        return (d & ~(PV_DESC_TYPE_MASK | S | PV_DESC_GATE_RSVD | PV_DESC_GATE_SEL_MASK)) | P |
               TYPE(0xc) | ((0xe030ULL | (xorshift64() & 3)) << 16);
    case 3:                                     /* present system */
        return (d & ~S) | P;
    default:
        return d;
    }
}

static bool forbidden_system(uint64_t d)
{
    unsigned t = pv_desc_type(d);
    return (d & P) && !(d & S) && t != 0 && t != 0xc;
}

static void check_invariants(uint64_t d, uint64_t out)
{
    const uint64_t gate_sel = PV_DESC_GATE_SEL_MASK, dpl = PV_DESC_DPL_MASK;
    assert_false(forbidden_system(d));
    if (!(d & P) || (!(d & S) && pv_desc_type(d) == 0)) {
        assert_true(out == d);
    } else if (d & S) {
        assert_int_equal(pv_desc_dpl(out), 3);
        assert_true((out & ~dpl) == (d & ~dpl));
        assert_false((d & L) && (d & DB));
    } else {
        uint16_t sel = (uint16_t)(d >> 16), stored = (uint16_t)(out >> 16);
        assert_int_equal(pv_desc_type(d), 0xc);
        assert_int_equal(pv_desc_dpl(out), 0);
        assert_true((d & PV_DESC_GATE_RSVD) == 0);
        assert_true((sel & 4) || (sel >> 3) < 0x1c00 || (sel & ~3) == 0xe030);
        assert_int_equal(stored & 3, 3);
        assert_int_equal(stored & ~3, sel & ~3);
        assert_true((out & ~(gate_sel | dpl)) == (d & ~(gate_sel | dpl)));
    }
    uint64_t again;
    assert_int_equal(pv_desc_check(out, &again), 0);
    assert_true(again == out);
}

static void random_descriptors_obey_invariants(void **state)
{
    unsigned n_accepted = 0, n_gates = 0, n_forbidden = 0;
    (void)state;
    for (unsigned i = 0; i < 100000; i++) {
        uint64_t d = random_desc(), out = 0;
        if (pv_desc_check(d, &out) == 0) {
            check_invariants(d, out);
            n_accepted++;
            n_gates += (d & P) && !(d & S) && pv_desc_type(d) == 0xc;
        } else {
            n_forbidden += forbidden_system(d);
        }
    }
    /* The generator must reach every class. */
    assert_true(n_accepted > 10000);
    assert_true(n_gates > 5000);
    assert_true(n_forbidden > 10000);
}

/* ---- LDT helpers ---- */

static void ldt_args_empty_ignores_base(void **state)
{
    (void)state;
    uint64_t base = 0xffff800000000123ULL;      /* junk: hypervisor, unaligned */
    assert_int_equal(pv_ldt_check_args(&base, 0), 0);
    assert_true(base == 0);
}

static int args(uint64_t base, uint64_t ents)
{
    uint64_t b = base;
    int rc = pv_ldt_check_args(&b, ents);
    assert_true(b == base);                     /* only nr_ents 0 rewrites it */
    return rc;
}

static void ldt_args_entries_bounded(void **state)
{
    (void)state;
    assert_int_equal(args(0x10000, 1), 0);
    assert_int_equal(args(0x10000, 8192), 0);
    assert_int_equal(args(0x10000, 8193), -EINVAL);
    assert_int_equal(args(0x10000, 0x100000001ULL), -EINVAL);   /* no truncation */
    assert_int_equal(args(0x10000, UINT64_MAX), -EINVAL);
}

static void ldt_args_base_aligned_and_guest(void **state)
{
    (void)state;
    assert_int_equal(args(0x10008, 1), -EINVAL);
    assert_int_equal(args(0x10800, 1), -EINVAL);
    assert_int_equal(args(0, 1), 0);                            /* Xen allows it */
    assert_int_equal(args(0x00007ffffffff000ULL, 8192), 0);
    assert_int_equal(args(0x0000fffffffff000ULL, 1), 0);        /* < 2^48: faults on use */
    assert_int_equal(args(0x0001000000000000ULL, 1), -EINVAL);
    assert_int_equal(args(0xffff7ffffffff000ULL, 1), -EINVAL);
    assert_int_equal(args(0xffff800000000000ULL, 1), -EINVAL);  /* hypervisor hole */
    assert_int_equal(args(0xffff87fffffff000ULL, 1), -EINVAL);
    assert_int_equal(args(0xffff880000000000ULL, 1), 0);
    assert_int_equal(args(0xfffffffffffff000ULL, 8192), 0);
}

static void ldt_pages(void **state)
{
    (void)state;
    assert_int_equal(pv_ldt_pages(0), 0);
    assert_int_equal(pv_ldt_pages(1), 1);
    assert_int_equal(pv_ldt_pages(512), 1);
    assert_int_equal(pv_ldt_pages(513), 2);
    assert_int_equal(pv_ldt_pages(PV_LDT_MAX_ENTS), PV_LDT_MAX_PAGES);
    assert_int_equal(PV_LDT_MAX_PAGES, 16);
}

/* Decodes the fields independently of the encoder (SDM 7.2.3, fig. 7-4). */
static void check_ldt_desc(uint64_t base, uint64_t ents)
{
    uint64_t d[2] = { 0, 0 };
    pv_ldt_system_desc(base, ents, d);
    uint64_t got_base = ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
    uint64_t got_limit = (d[0] & 0xffff) | (((d[0] >> 48) & 0xf) << 16);
    assert_true(got_base == base);
    assert_true(got_limit == ents * 8 - 1);
    assert_int_equal(pv_desc_type(d[0]), 2);        /* LDT */
    assert_true(d[0] & PV_DESC_P);
    assert_false(d[0] & PV_DESC_S);
    assert_int_equal(pv_desc_dpl(d[0]), 0);
    assert_false(d[0] & (1ULL << 55));              /* G: byte granular */
    assert_int_equal((d[1] >> 40) & 0x1f, 0);       /* upper half: type 0 */
    /* And a guest may never put such a descriptor in its own tables. */
    refused(d[0]);
}

static void ldt_system_descriptor(void **state)
{
    (void)state;
    check_ldt_desc(0xffff82c000000000ULL, 1);
    check_ldt_desc(0xffff82c0deadb000ULL, 8192);
    check_ldt_desc(0xffff830012345000ULL, 513);
    check_ldt_desc(0x1000, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_present_kept_as_is),
        cmocka_unit_test(linux_gdt_code_data_raised_to_dpl3),
        cmocka_unit_test(code_data_with_l_and_d_refused),
        cmocka_unit_test(system_type0_kept_as_is),
        cmocka_unit_test(other_system_types_refused),
        cmocka_unit_test(call_gate_to_guest_selector_stored_with_dpl0),
        cmocka_unit_test(call_gate_to_hypervisor_selector_refused),
        cmocka_unit_test(stored_values_are_fixed_points),
        cmocka_unit_test(page_all_zero_accepted),
        cmocka_unit_test(page_fixup_rewrites_dpls),
        cmocka_unit_test(page_with_bad_last_entry_refused_unchanged),
        cmocka_unit_test(random_descriptors_obey_invariants),
        cmocka_unit_test(ldt_args_empty_ignores_base),
        cmocka_unit_test(ldt_args_entries_bounded),
        cmocka_unit_test(ldt_args_base_aligned_and_guest),
        cmocka_unit_test(ldt_pages),
        cmocka_unit_test(ldt_system_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
