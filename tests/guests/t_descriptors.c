/* descriptors: set_gdt (#2) and update_descriptor (#10) (ref §3.2, §5.6).
 * A page becomes the guest's GDT only while nothing maps it writable; its
 * entries are checked (code/data DPL raised to 3, system descriptors such
 * as a TSS refused) and a selector from it can then be loaded. */
#include "guest.h"

GUEST_TEST("descriptors");

#define EINVAL 22

static uint8_t gdt_page[4096] __attribute__((aligned(4096)));

static inline long HYPERVISOR_set_gdt(uint64_t *frames, unsigned entries)
{ return _hypercall2(__HYPERVISOR_set_gdt, frames, entries); }
static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{ return _hypercall2(__HYPERVISOR_update_descriptor, maddr, desc); }

#define DATA_DPL0   0x00cf92000000ffffUL    /* 32-bit flat data, DPL 0 */
#define CODE64_DPL0 0x00af9a000000ffffUL    /* 64-bit code, DPL 0 */
#define TSS64       0x0000890000000067UL    /* an available 64-bit TSS (system) */

static unsigned dpl(uint64_t d) { return (unsigned)((d >> 45) & 3); }


void test_main(void)
{
    uint64_t mfn = va_to_mfn(gdt_page);
    uint64_t maddr = mfn << 12;
    volatile uint64_t *gdt = (volatile uint64_t *)gdt_page;

    /* Mapped writable: not a descriptor page yet. */
    check_eq("set_gdt of a writable page", HYPERVISOR_set_gdt(&mfn, 512), -EINVAL);
    /* update_descriptor on a plain writable page is allowed (and checked). */
    check_eq("update_descriptor on a writable page", HYPERVISOR_update_descriptor(maddr + 8, DATA_DPL0), 0);
    check_eq("  stored with DPL 3", dpl(gdt[1]), 3);
    check_eq("update_descriptor: a TSS", HYPERVISOR_update_descriptor(maddr + 16, TSS64), -EINVAL);
    check_eq("update_descriptor: misaligned", HYPERVISOR_update_descriptor(maddr + 4, DATA_DPL0), -EINVAL);

    check_eq("make the page read-only", set_page_rw(gdt_page, false), 0);
    check_eq("set_gdt", HYPERVISOR_set_gdt(&mfn, 512), 0);
    check_eq("too many entries", HYPERVISOR_set_gdt(&mfn, 7169), -EINVAL);
    check_eq("the page can no longer be made writable", set_page_rw(gdt_page, true) != 0, 1);
    check_eq("update_descriptor in the GDT", HYPERVISOR_update_descriptor(maddr + 24, CODE64_DPL0), 0);
    check_eq("  stored with DPL 3", dpl(gdt[3]), 3);
    check_eq("update_descriptor in the GDT: a TSS", HYPERVISOR_update_descriptor(maddr + 32, TSS64), -EINVAL);

    /* The GDT is live: selector 0x0b (entry 1, RPL 3) loads into %ds. */
    uint16_t sel = 0x0b, back = 0;
    __asm__ __volatile__("mov %1, %%ds; mov %%ds, %0; xor %%eax, %%eax; mov %%eax, %%ds"
                         : "=r"(back) : "r"(sel) : "eax", "memory");
    check_eq("loaded %ds from the guest GDT", back, 0x0b);

    /* Give it back: an empty GDT releases the page, which may be RW again. */
    check_eq("set_gdt(0 entries)", HYPERVISOR_set_gdt(&mfn, 0), 0);
    check_eq("the page is writable again", set_page_rw(gdt_page, true), 0);
}
