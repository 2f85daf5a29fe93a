/* The per-vCPU time information in vcpu_info (ref/xen-pv-abi.md 6.3;
 * the wall clock is hv/wallclock.c):
 *   system time = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32
 * It carries a version that is odd while it changes; the guest retries a
 * read that saw an odd or changed version. Keel's own clock uses the scale
 * it publishes (arch/x86_64/time.c), so the two agree to the nanosecond. */
#include <keel/vcpu.h>
#include <keel/timer.h>
#include <keel/x86.h>
#include <public/xen.h>

void pv_time_update(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;
    if (!vi)
        return;
    uint32_t ver = vi->time.version;
    WRITE_ONCE(vi->time.version, ver | 1);      /* odd: being updated */
    barrier();
    uint64_t tsc = rdtsc();
    vi->time.tsc_timestamp = tsc;
    vi->time.system_time = tsc_to_system_time(tsc);
    vi->time.tsc_to_system_mul = tsc_ns_scale.mul;
    vi->time.tsc_shift = tsc_ns_scale.shift;
    vi->time.flags = 0;
    barrier();
    WRITE_ONCE(vi->time.version, (ver | 1) + 1);
}
