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
/* GSIs routed for dom0 (hv/pirq.c): how many the IO-APICs serve; whether
 * Keel routed one for itself (its UART); route one to `vector` on the boot
 * CPU (0 or -ENODEV); mask/unmask it; read IO-APIC register `reg` of the
 * IO-APIC at physbase (PHYSDEVOP_apic_read; -EINVAL: no such IO-APIC). */
unsigned ioapic_nr_gsis(void);
bool ioapic_gsi_is_keels(unsigned gsi);
int ioapic_gsi_route(unsigned gsi, unsigned vector, bool level, bool active_low, bool masked);
void ioapic_gsi_mask(unsigned gsi, bool masked);
int ioapic_read_reg(uint64_t physbase, unsigned reg, uint32_t *val);
/* Trigger mode and polarity of a GSI by default (MADT overrides). */
void ioapic_gsi_default_mode(unsigned gsi, bool *level, bool *active_low);

#endif
