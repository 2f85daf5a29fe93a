/* Secondary CPU start-up and cross-CPU calls. */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include <keel/types.h>

struct acpi_info;

/* Starts every enabled CPU the MADT lists (INIT-SIPI-SIPI). */
void smp_boot_cpus(const struct acpi_info *ai, unsigned max_cpus);
/* Runs fn(data) on `cpu` (from its IPI handler); with `wait`, returns after
 * it ran. Calling for the current CPU runs fn directly. */
int smp_call_on_cpu(unsigned cpu, void (*fn)(void *), void *data, bool wait);
/* Runs fn(data) on every other online CPU; with `wait`, returns after all
 * ran it, else once each has taken the call. */
void smp_call_others(void (*fn)(void *), void *data, bool wait);
/* Runs a cross-CPU call waiting for this CPU (for CPUs that spin with
 * interrupts off, e.g. waiting for a domain lock). */
void smp_serve_calls(void);
void smp_init_ipis(void);

#endif
