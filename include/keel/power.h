/* Machine power control: reboot and power-off. */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H

#include <keel/types.h>
#include <keel/compiler.h>

extern bool opt_noreboot;
/* Set once the machine is going down: an NMI then just stops the CPU. */
extern volatile bool cpus_stopping;

/* Reboot: ACPI reset register, then the keyboard controller, then a triple
 * fault as the last resort. */
void machine_reboot(void) __noreturn;
/* Power off through ACPI S5 (FADT PM1 control, \_S5 sleep type). Halts if
 * that fails. */
void machine_power_off(void) __noreturn;
/* Stop this CPU for good. */
void machine_halt(void) __noreturn;
/* Ask every other CPU to stop (NMI); used by panic and power paths. */
void smp_stop_others(void);

#endif
