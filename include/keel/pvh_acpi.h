/* ACPI tables Keel builds for a PVH domain (hv/build/pvh_acpi.c, pure code:
 * it also compiles into the host unit test tests/unit/test_pvh_acpi.c).
 *
 * What a PVH Linux needs (notes: linux-pvh-needs.md §6): an RSDP (revision
 * 2, found through start_info.rsdp_paddr), an XSDT, a MADT with one enabled
 * local APIC entry per vCPU (ACPI processor id = vCPU id, APIC id = the
 * vCPU's LAPIC id) and no IO-APIC, without PCAT_COMPAT (Linux then uses its
 * NULL legacy PIC and skips the PIT calibration), a FADT (hardware-reduced,
 * IAPC_BOOT_ARCH NO_VGA | NO_CMOS_RTC, no 8042: no legacy probing) and an
 * empty DSDT (no \_S5: poweroff becomes a halt of every vCPU, as on Xen).
 * Layouts: ACPI 6.5 §5.2.5 (RSDP), 5.2.8 (XSDT), 5.2.9 (FADT rev 5, 268
 * bytes), 5.2.12 (MADT, type 0 entries). */
#ifndef KEEL_PVH_ACPI_H
#define KEEL_PVH_ACPI_H

#include <keel/types.h>

#define PVH_LAPIC_ADDR          0xfee00000u
#define PVH_ACPI_MAX_VCPUS      128

/* The LAPIC id of vCPU n: Xen's choice (2n, libxl_x86_acpi.c acpi_lapic_id),
 * also what CPUID and the vLAPIC's ID register say. */
static inline uint32_t pvh_lapic_id(unsigned vcpu)
{
    return 2 * vcpu;
}

/* Builds the tables into buf (len bytes, zeroed here), which the guest
 * will see at guest-physical `gpa`. Returns the bytes used (the RSDP is at
 * offset 0), or 0 if they do not fit or nr_vcpus is 0 or too many. */
size_t pvh_acpi_build(void *buf, size_t len, uint64_t gpa, unsigned nr_vcpus);

#endif
