/* Physical interrupts of the privileged domain (hv/pirq.c): GSIs of the
 * IO-APICs mapped to pirqs (pirq = GSI, as Xen does for dom0), delivered
 * through event channels (EVTCHNOP_bind_pirq), acknowledged by the guest
 * for level-triggered ones (PHYSDEVOP_eoi). Facts: ref/xen-pv-abi.md 5.19,
 * Xen 4.17's physdev.c / irq.c (ACKTYPE_UNMASK for level IO-APIC pins:
 * mask and EOI at once, unmask on the guest's EOI; edge: nothing to ack).
 *
 * Locking: one pirq lock (interrupts off). An interrupt holds it while it
 * raises the event (pirq lock, then the domain's event-channel lock); the
 * event-channel code never calls in here with its own lock held. */
#ifndef KEEL_PIRQ_H
#define KEEL_PIRQ_H

#include <keel/types.h>

struct domain;

/* PHYSDEVOP_map_pirq, type GSI: *pirq in -1 (any) or the GSI; out the
 * pirq, always the GSI (Linux asks for pirq = GSI; for -1 Xen 4.17 would
 * allocate a free pirq from 16 up instead). -EINVAL: no such GSI, or another pirq number asked; -EPERM: a GSI
 * Keel keeps (its UART, GSI 0) or the domain is not privileged; -EEXIST:
 * another domain holds it. Mapping twice is fine. */
int pirq_map_gsi(struct domain *d, int gsi, int *pirq);
/* PHYSDEVOP_unmap_pirq: the pin masked, any binding forgotten. */
int pirq_unmap(struct domain *d, int pirq);
/* PHYSDEVOP_setup_gsi: trigger mode and polarity (pin stays masked until
 * bound). -EINVAL: no such GSI; -EPERM: Keel's. */
int pirq_setup_gsi(struct domain *d, int gsi, bool level, bool active_low);
/* PHYSDEVOP_irq_status_query: XENIRQSTAT_* flags (-EINVAL: out of range). */
int pirq_status(struct domain *d, uint32_t pirq, uint32_t *flags);
/* PHYSDEVOP_eoi: unmasks a level pin the interrupt masked. -EINVAL: not
 * the domain's pirq. */
int pirq_eoi(struct domain *d, uint32_t pirq);

/* EVTCHNOP_bind_pirq, in two steps around the port allocation: check
 * (-EPERM not mapped by d, as Xen; -EEXIST already bound), then attach the port
 * and unmask the pin. */
int pirq_bind_check(struct domain *d, uint32_t pirq);
int pirq_bind_port(struct domain *d, uint32_t pirq, uint32_t port);
/* The port was closed: the pin is masked again. */
void pirq_unbind_port(struct domain *d, uint32_t pirq, uint32_t port);
/* Every pirq of d released, its pins masked (before d's event channels
 * and memory go). */
void pirq_domain_destroy(struct domain *d);

/* ---- MSI and MSI-X (hv/pirq_msi.c): pirqs PIRQ_MSI_FIRST up, above
 * the GSIs, each with its own vector on the boot CPU. ---- */
#define PIRQ_MSI_FIRST  64
#define PIRQ_MSI_COUNT  112             /* VEC_MSI_BASE..VEC_MSI_LAST */
/* PHYSDEVOP_map_pirq, type MSI / MSI_SEG: *pirq -1 (any: the highest
 * free, as Xen) or one reserved by get_free_pirq; errors as msi_hw_setup
 * (include/keel/msi.h), -EEXIST for a pirq or entry taken, -EBUSY for
 * MSI while MSI-X is in use on the function or the other way round,
 * -ENOSPC when no slot is left. */
int pirq_map_msi(struct domain *d, unsigned seg, unsigned bus, unsigned devfn, bool msix,
                 unsigned entry, int *pirq);
/* PHYSDEVOP_get_free_pirq: reserves one MSI pirq (-ENOSPC: none). */
int pirq_msi_reserve(struct domain *d);
/* The same steps as for GSIs, for a pirq in the MSI range. */
int pirq_msi_unmap(struct domain *d, uint32_t pirq);
bool pirq_msi_mapped(struct domain *d, uint32_t pirq);
int pirq_msi_bind_check(struct domain *d, uint32_t pirq);
int pirq_msi_bind_port(struct domain *d, uint32_t pirq, uint32_t port);
void pirq_msi_unbind_port(struct domain *d, uint32_t pirq, uint32_t port);
void pirq_msi_domain_destroy(struct domain *d);

static inline bool pirq_is_msi(int64_t pirq)
{
    return pirq >= PIRQ_MSI_FIRST && pirq < PIRQ_MSI_FIRST + PIRQ_MSI_COUNT;
}

#endif
