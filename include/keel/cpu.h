/* Per-CPU processor setup: GDT, TSS with IST stacks, IDT, control
 * registers (NX, WP, SMEP, SMAP, PGE). */
#ifndef KEEL_CPU_H
#define KEEL_CPU_H

#include <keel/percpu.h>

extern bool opt_smep, opt_smap;

/* Early: the BSP's static GDT and the IDT, so faults are reported. */
void cpu_early_init(void);
/* Full setup of the calling CPU, on its own stack block and GDT. */
void cpu_init(struct percpu *pc);
/* Allocate a CPU's stack block (with guard pages), GDT and percpu. */
struct percpu *cpu_alloc(unsigned cpu_id, uint32_t apic_id);

#endif
