/* memory_op sub-ops that change a domain's memory
 * (hypercall/memory_reservation.c), called from memory_op's dispatch. */
#ifndef KEEL_MEMORY_RESERVATION_H
#define KEEL_MEMORY_RESERVATION_H

#include <keel/types.h>
#include <keel/traps.h>

struct vcpu;

/* XENMEM_increase_reservation, decrease_reservation, populate_physmap
 * (op = cmd & MEMOP_CMD_MASK): extents done (may continue the call). */
long memory_reservation_op(struct vcpu *v, struct cpu_regs *regs, unsigned op, uint64_t cmd,
                           uint64_t arg);
/* XENMEM_exchange: 0 or a negative errno; nr_exchanged written back. */
long memory_exchange(struct vcpu *v, struct cpu_regs *regs, uint64_t arg);

#endif
