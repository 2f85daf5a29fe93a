/* iomem: I/O memory a privileged domain may map (include/keel/iomem.h,
 * Xen's dom_io and iomem permissions): the BIOS area (read: the reset
 * vector's far jump), the PCI hole, ACPI-era low memory; never the local
 * APIC nor the MSI window (-EPERM); the IO-APIC read-only on Keel. As a
 * domU (pair with exceptions) every I/O frame is refused with -EPERM.
 * guest-run: smp=2 */
#include "guest.h"

GUEST_TEST("iomem");

#define EPERM 1

#define PF_RO (PTE_P | PTE_A)
#define PF_RW (PTE_P | PTE_RW | PTE_A | PTE_D)

static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint64_t s0, s0_pte;

static long map_at_s0(uint64_t mfn, uint64_t flags)
{
    return HYPERVISOR_update_va_mapping(s0, (mfn << 12) | flags, UVMF_INVLPG);
}

void test_main(void)
{
    s0 = (uint64_t)scratch;
    s0_pte = *pt_entry(s0, 1);
    bool dom0 = start_info->flags & SIF_PRIVILEGED;
    long ok = dom0 ? 0 : -EPERM;

    /* The BIOS: frame 0xff holds the reset vector (SeaBIOS: a far jmp,
     * opcode 0xea, at 0xffff0). */
    check_eq("BIOS frame read-only", map_at_s0(0xff, PF_RO), ok);
    if (dom0)
        check_eq("reset vector opcode", ((volatile uint8_t *)s0)[0xff0], 0xea);
    check_eq("BIOS frame read/write", map_at_s0(0xf0, PF_RW), ok);
    check_eq("VGA window 0xa0", map_at_s0(0xa0, PF_RW), ok);
    check_eq("PCI hole 0xfd000", map_at_s0(0xfd000, PF_RW), ok);
    /* The hypervisor's devices: local APIC and the MSI window. */
    check_eq("local APIC", map_at_s0(0xfee00, PF_RO), -EPERM);                 /* Xen: -EPERM */
    check_eq("MSI window", map_at_s0(0xfee10, PF_RW), -EPERM);                 /* Xen: -EPERM */
    check_eq("IO-APIC read-only", map_at_s0(0xfec00, PF_RO), ok);
    if (on_keel())                  /* Xen makes such a mapping read-only instead */
        check_eq("IO-APIC read/write", map_at_s0(0xfec00, PF_RW), -EPERM);
    check_eq("restore scratch mapping", HYPERVISOR_update_va_mapping(s0, s0_pte, UVMF_INVLPG), 0);
}
