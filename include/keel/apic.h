/* Local APIC (xAPIC MMIO or x2APIC MSRs) and IO-APIC. */
#ifndef KEEL_APIC_H
#define KEEL_APIC_H

#include <keel/types.h>

extern bool apic_x2apic_mode;

void apic_bsp_init(uint64_t lapic_phys);
void apic_cpu_init(void);               /* on every CPU */
uint32_t apic_read_id(void);
void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, unsigned vector);
void apic_send_nmi_all_but_self(void);
void apic_send_init(uint32_t apic_id);
void apic_send_sipi(uint32_t apic_id, unsigned page);
/* Fire VEC_APIC_TIMER once at TSC value `deadline` (0 = stop). */
void apic_timer_arm(uint64_t deadline_tsc);

/* IO-APIC: route a legacy ISA IRQ (through the MADT overrides) to a vector
 * on the boot CPU; returns the GSI or a negative errno. */
struct acpi_info;
void ioapic_init(const struct acpi_info *ai);
int ioapic_route_isa_irq(unsigned irq, unsigned vector);
void pic_disable(void);

#endif
