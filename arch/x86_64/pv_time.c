/* The per-vCPU time information in vcpu_info (ref/xen-pv-abi.md 6.3):
 * system time = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32
 * (a negative shift shifts right). The version is odd while it changes.
 * Keel's system time is its own now_ns(); the full protocol (periodic
 * refresh, wall clock) comes with the time issue. */
#include <keel/vcpu.h>
#include <keel/timer.h>
#include <keel/x86.h>
#include <public/xen.h>

/* mul and shift with ns = ((tsc << shift) * mul) >> 32 and mul < 2^32. */
static void tsc_scale(uint32_t *mul, int8_t *shift)
{
    int s = 0;
    uint64_t hz = tsc_hz;
    /* 1e9 / hz must be below 2^32 / 2^32 = 1 in 32.32 form after shifting:
     * shift the TSC left while the rate is under 1 GHz. */
    while (hz < 1000000000UL && s < 31) {
        hz <<= 1;
        s++;
    }
    while (hz >= (4000000000UL) && s > -31) {
        hz >>= 1;
        s--;
    }
    *mul = (uint32_t)((1000000000UL << 32) / hz);
    *shift = (int8_t)s;
}

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
    vi->time.system_time = now_ns();
    tsc_scale(&vi->time.tsc_to_system_mul, &vi->time.tsc_shift);
    vi->time.flags = 0;
    barrier();
    WRITE_ONCE(vi->time.version, (ver | 1) + 1);
}
