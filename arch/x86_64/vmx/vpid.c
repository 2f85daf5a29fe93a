/* VPIDs: tag each vCPU's guest TLB entries so VM entries and exits need no
 * TLB flush (SDM vol. 3 29.1). VPID 0 is the host's. INVVPID descriptor
 * and types: SDM vol. 3 31.3 (INVVPID). */
#include <keel/spinlock.h>
#include <keel/log.h>
#include "vmx_internal.h"

#define NR_VPIDS        4096            /* enough: one per vCPU alive */

#define INVVPID_SINGLE  1
#define INVVPID_ALL     2

static uint64_t vpid_map[NR_VPIDS / 64] = { 1 };     /* VPID 0: the host */
static spinlock_t vpid_lock = SPINLOCK_INIT;

uint16_t vpid_alloc(void)
{
    if (!vmx_vpid_usable())
        return 0;
    uint64_t flags = spin_lock_irqsave(&vpid_lock);
    uint16_t vpid = 0;
    for (unsigned w = 0; w < NR_VPIDS / 64 && !vpid; w++) {
        if (vpid_map[w] == ~0UL)
            continue;
        unsigned bit = (unsigned)__builtin_ctzl(~vpid_map[w]);
        vpid_map[w] |= 1UL << bit;
        vpid = (uint16_t)(w * 64 + bit);
    }
    spin_unlock_irqrestore(&vpid_lock, flags);
    if (!vpid)
        log_warn("vmx: out of VPIDs: a vCPU runs untagged (its TLB is flushed on every entry)\n");
    return vpid;
}

/* A VPID handed out again must not find its old owner's translations: it
 * is flushed here, on this CPU, and on the others when it next runs there
 * (vmx_vcpu_run flushes on every move to another CPU). */
void vpid_free(uint16_t vpid)
{
    if (!vpid)
        return;
    vpid_flush(vpid);
    uint64_t flags = spin_lock_irqsave(&vpid_lock);
    vpid_map[vpid / 64] &= ~(1UL << (vpid % 64));
    spin_unlock_irqrestore(&vpid_lock, flags);
}

void vpid_flush(uint16_t vpid)
{
    struct { uint64_t vpid, linear; } desc = { vpid, 0 };
    uint64_t type = (vmx_caps.ept_vpid & VPID_CAP_INVVPID_SINGLE) ? INVVPID_SINGLE : INVVPID_ALL;
    if (!vpid)
        return;
    __asm__ __volatile__("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}
