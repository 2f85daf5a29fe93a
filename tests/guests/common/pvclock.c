/* System time from a vCPU's vcpu_time_info in shared_info (ref §6.3,
 * public/xen.h struct vcpu_time_info; the same for PVH as for PV). */
#include "family.h"

uint64_t pvclock_of(unsigned id)
{
    volatile struct vcpu_time_info *t = &shared_info->vcpu_info[id].time;
    uint32_t ver;
    uint64_t ns;
    do {
        ver = t->version;
        __asm__ __volatile__("" ::: "memory");
        uint64_t d = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        d = shift >= 0 ? d << shift : d >> -shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
        __asm__ __volatile__("" ::: "memory");
    } while ((ver & 1) || ver != t->version);
    return ns;
}
