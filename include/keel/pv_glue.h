/* The PV memory safety core bound to real domains (mm/pv_glue.c). */
#ifndef KEEL_PV_GLUE_H
#define KEEL_PV_GLUE_H

#include <keel/pv_mm.h>

struct domain;
struct vcpu;

void pv_mm_ctx_init(struct pv_mm_ctx *ctx, struct domain *d);
/* Takes an L4 type reference on new_l4 (0: none) for the vCPU's kernel or
 * user base, dropping the old one; validates the tree on first use. */
int pv_vcpu_set_base(struct vcpu *v, mfn_t new_l4, bool user);
void pv_mm_relinquish(struct domain *d);
void flush_tlb_local_all(void);
void flush_tlb_all_cpus(void);
/* Flush (all, or va) on the CPUs that may cache d's translations, limited
 * to the vCPUs in the bitmap `vcpus` unless it is NULL. */
void pv_flush_domain_tlbs(struct domain *d, const uint64_t *vcpus, bool all, vaddr_t va);

#endif
