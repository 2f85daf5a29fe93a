/* ldt: MMUEXT_SET_LDT (ref §5.4, rules of §3.2). A read-only page of
 * descriptors becomes the guest's LDT; selectors with TI=1 (index << 3 |
 * 4 | 3) then load into %ds/%es/%fs (a code one passes LAR at CPL 3),
 * with DPLs raised to 3; the page cannot be made writable while it is in
 * use; update_descriptor writes it; a selector past nr_ents gives
 * #GP(selector); SET_LDT(0, 0) gives it back, after which an LDT selector
 * gives #GP (the CPU's reset LDTR, base 0 limit 0xffff, must never be
 * left in place: it would read descriptors from the guest's address 0).
 *
 * Where Keel and Xen differ (documented in arch/x86_64/pv_ldt.c): Xen
 * 4.17 checks an LDT page lazily, on the first descriptor load through
 * it, so a bad page (a refused descriptor, a writable mapping) gives
 * SET_LDT = 0 and then a #PF at ldt_base + offset; Keel checks the pages
 * at SET_LDT and refuses with -EINVAL. check_unusable_ldt accepts exactly
 * these two outcomes. */
#include "guest.h"

GUEST_TEST("ldt");

#define EINVAL 22
#define EBUSY  16

static uint8_t ldt_page[4096] __attribute__((aligned(4096)));
static uint8_t bad_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t magic = 0x0123456789abcdefUL;

#define DATA_DPL0   0x00cf92000000ffffUL    /* flat 32-bit data, DPL 0 */
#define DATA_BASE1000 0x00cff2001000ffffUL  /* data, base 0x1000, DPL 3 */
#define CODE64_DPL0 0x00af9a000000ffffUL    /* 64-bit code, DPL 0 */
#define TSS64       0x0000890000000067UL    /* a 64-bit TSS: refused */

#define LDT_SEL(i)  ((uint16_t)((i) << 3 | 4 | 3))

static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{ return _hypercall2(__HYPERVISOR_update_descriptor, maddr, desc); }

static long set_ldt(const void *base, unsigned ents)
{
    struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
    op.arg1.linear_addr = (uint64_t)base;
    op.arg2.nr_ents = ents;
    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static unsigned dpl(uint64_t d) { return (unsigned)((d >> 45) & 3); }

/* Loads sel into %ds, %es and %fs and reads `magic` through each (%fs
 * with base `fs_base`, the descriptor's); all three go back to null.
 * Returns true if nothing trapped (then *got holds what %fs read). */
static bool load_and_read(uint16_t sel, uint64_t fs_base, uint64_t got[3])
{
    uint64_t a = (uint64_t)&magic;
    got[0] = got[1] = got[2] = 0;
    trap_resume_rip = 0;
    __asm__ __volatile__(
        "lea 1f(%%rip), %%rax\n\t"
        "mov %%rax, trap_resume_rip(%%rip)\n\t"
        "mov %w3, %%ds\n\t"
        "mov %%ds:(%4), %0\n\t"
        "mov %w3, %%es\n\t"
        "mov %%es:(%4), %1\n\t"
        "mov %w3, %%fs\n\t"
        "mov %%fs:(%5), %2\n\t"
        "movq $2, trap_resume_rip(%%rip)\n"     /* no trap: mark */
        "1:\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        "mov %%eax, %%es\n\t"
        "mov %%eax, %%fs\n\t"
        : "+&r"(got[0]), "+&r"(got[1]), "+&r"(got[2])
        : "r"((uint32_t)sel), "r"(a), "r"(a - fs_base)
        : "rax", "memory");
    bool ok = trap_resume_rip == 2;
    trap_resume_rip = 0;
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
    return ok;
}

/* Loads sel into %ds (then null again); true if it trapped. */
static bool ds_load_traps(uint16_t sel)
{
    trap_resume_rip = 0;
    __asm__ __volatile__(
        "lea 1f(%%rip), %%rax\n\t"
        "mov %%rax, trap_resume_rip(%%rip)\n\t"
        "mov %w0, %%ds\n\t"
        "movq $2, trap_resume_rip(%%rip)\n"
        "1:\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        : : "r"((uint32_t)sel) : "rax", "memory");
    bool trapped = trap_resume_rip != 2;
    trap_resume_rip = 0;
    return trapped;
}

/* LAR: the access rights of sel's descriptor, or -1 if it is not
 * visible at CPL 3 (not present, out of limit, or DPL below 3). No far
 * transfer: under QEMU TCG with SMAP on, lret/iret/lcall access the
 * stack as supervisor accesses and fault on the guest's user stack. */
static long lar(uint16_t sel)
{
    uint64_t ar = 0;
    uint8_t ok = 0;
    __asm__ __volatile__("lar %q2, %0\n\tsetz %1" : "=r"(ar), "=qm"(ok) : "r"((uint64_t)sel) : "cc");
    return ok ? (long)(ar & 0x00f0ff00) : -1;
}

/* A page that cannot serve as an LDT: Keel refuses SET_LDT (-EINVAL);
 * Xen accepts it (0) and the first load of a selector from it faults
 * with #PF at base + index * 8. */
static void check_unusable_ldt(const char *what, const uint8_t *page, unsigned index)
{
    long rc = set_ldt(page, 512);
    if (rc == 0) {                              /* Xen 4.17: 0 */
        unsigned before = last_trap.count;
        bool trapped = ds_load_traps(LDT_SEL(index));
        check(trapped && last_trap.count == before + 1, "%s: SET_LDT 0, the load did not trap", what);
        check_eq(what, last_trap.vector, 14);   /* Xen 4.17: 14 (#PF) */
        check_eq(what, last_trap.cr2, (uint64_t)page + index * 8);
        printk("ldt: %s: SET_LDT 0, then #PF error %lx cr2 %lx (lazy check, as Xen)\n",
               what, last_trap.error_code, last_trap.cr2);
    } else {
        check_eq(what, rc, -EINVAL);            /* Keel: checked at SET_LDT */
        printk("ldt: %s: SET_LDT %ld (checked at once, as Keel)\n", what, rc);
    }
    check_eq("back to no LDT", set_ldt(NULL, 0), 0);
}

static void argument_checks(void)
{
    check_eq("SET_LDT misaligned base", set_ldt(ldt_page + 8, 1), -EINVAL);     /* Xen: -22 */
    check_eq("SET_LDT 8193 entries", set_ldt(ldt_page, 8193), -EINVAL);         /* Xen: -22 */
    check_eq("SET_LDT in the hypervisor hole", set_ldt((void *)0xffff800000000000UL, 1),
             -EINVAL);                                                          /* Xen: -22 */
    check_eq("SET_LDT 0 entries ignores the base", set_ldt((void *)0xffff800000000123UL, 0),
             0);                                                                /* Xen: 0 */
    check(ds_load_traps(LDT_SEL(1)), "no LDT: an LDT selector loaded");
    check_eq("  #GP", last_trap.vector, 13);                                    /* Xen: 13 */
    check_eq("  error code = selector", last_trap.error_code, LDT_SEL(1) & ~3); /* Xen: 0xc */
}

static void bad_pages(void)
{
    uint64_t *bad = (uint64_t *)bad_page;
    bad[1] = DATA_DPL0;
    /* Still mapped writable: not usable as a descriptor page. */
    check_unusable_ldt("LDT page mapped writable", bad_page, 1);
    check_eq("the page is still writable", set_page_rw(bad_page, true), 0);
    /* Read-only but holding a TSS descriptor: the whole page is refused. */
    bad[5] = TSS64;
    check_eq("make the bad page read-only", set_page_rw(bad_page, false), 0);
    check_unusable_ldt("LDT page with a TSS descriptor", bad_page, 1);
    check_eq("the bad page can be made writable again", set_page_rw(bad_page, true), 0);
}

void test_main(void)
{
    volatile uint64_t *ldt = (volatile uint64_t *)ldt_page;
    uint64_t maddr = va_to_mfn(ldt_page) << 12;
    uint64_t got[3];

    argument_checks();
    bad_pages();

    ldt[1] = DATA_DPL0;
    ldt[2] = CODE64_DPL0;
    ldt[3] = DATA_BASE1000;
    check_eq("make the LDT page read-only", set_page_rw(ldt_page, false), 0);
    check_eq("SET_LDT", set_ldt(ldt_page, 512), 0);                             /* Xen: 0 */

    check(load_and_read(LDT_SEL(1), 0, got), "LDT data selector %#x trapped (vector %lu)",
          LDT_SEL(1), last_trap.vector);
    check(got[0] == magic && got[1] == magic && got[2] == magic,
          "reads through the LDT data selector: %lx %lx %lx", got[0], got[1], got[2]);
    check(load_and_read(LDT_SEL(3), 0x1000, got), "LDT data selector with a base trapped");
    check(got[2] == magic, "%%fs read with the descriptor's base 0x1000: %lx", got[2]);
    /* 64-bit code (L), present, DPL 3 (raised), code type, accessed or not. */
    check_eq("LDT code selector usable at CPL 3 (LAR)", lar(LDT_SEL(2)) & ~0x100L,
             0x00a0fa00);                                               /* Xen: 0xa0fa00 */
    /* In use now (Xen has typed the page on the first load): */
    check_eq("  data DPL raised to 3", dpl(ldt[1]), 3);
    check_eq("  code DPL raised to 3", dpl(ldt[2]), 3);

    /* The page cannot become writable while it is the LDT. */
    check_eq("update_va_mapping RW on the LDT page", set_page_rw(ldt_page, true),
             -EBUSY);                                                           /* Xen: -16 */
    uint64_t pte = *pt_entry((uint64_t)ldt_page, 1);
    check_eq("mmu_update RW on the LDT page",
             mmu_update_one(pt_entry_maddr((uint64_t)ldt_page, 1), pte | PTE_RW),
             -EBUSY);                                                           /* Xen: -16 */

    /* update_descriptor writes it, checked and fixed up. */
    check_eq("update_descriptor in the LDT", HYPERVISOR_update_descriptor(maddr + 4 * 8, DATA_DPL0),
             0);                                                                /* Xen: 0 */
    check_eq("  stored with DPL 3", dpl(ldt[4]), 3);
    check_eq("update_descriptor in the LDT: a TSS",
             HYPERVISOR_update_descriptor(maddr + 5 * 8, TSS64), -EINVAL);      /* Xen: -22 */
    check(load_and_read(LDT_SEL(4), 0, got) && got[0] == magic,
          "the updated LDT entry does not load");

    /* Only nr_ents entries: a selector past the limit gives #GP(selector). */
    check_eq("SET_LDT 4 entries", set_ldt(ldt_page, 4), 0);                     /* Xen: 0 */
    check(!ds_load_traps(LDT_SEL(3)), "entry 3 of 4 did not load");
    check(ds_load_traps(LDT_SEL(4)), "entry 4 of 4 loaded");
    check_eq("  #GP", last_trap.vector, 13);                                    /* Xen: 13 */
    check_eq("  error code = selector", last_trap.error_code, LDT_SEL(4) & ~3); /* Xen: 0x24 */

    /* Back to no LDT: selectors fault, the page is the guest's again. */
    check_eq("SET_LDT(0, 0)", set_ldt(NULL, 0), 0);                             /* Xen: 0 */
    check(ds_load_traps(LDT_SEL(1)), "LDT selector loaded with no LDT");
    check_eq("  #GP", last_trap.vector, 13);                                    /* Xen: 13 */
    check_eq("the page is writable again", set_page_rw(ldt_page, true), 0);     /* Xen: 0 */

    /* Leave an LDT installed: destroying the domain must release it. */
    check_eq("make the LDT page read-only again", set_page_rw(ldt_page, false), 0);
    check_eq("SET_LDT at the end", set_ldt(ldt_page, 8), 0);
    check(load_and_read(LDT_SEL(1), 0, got), "final LDT does not load");
}
