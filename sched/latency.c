/* Timer and wake-up latency of a domain's vCPUs, logged when it goes: how
 * late its singleshot timers fired (Keel's timer interrupt against the
 * deadline) and how long a woken vCPU waited for a CPU. With the guest's
 * own view (say, `sleep 2` measured in the guest) this tells a late wake-up
 * caused by Keel from one caused elsewhere (under QEMU TCG: the host not
 * running QEMU's threads shows as a late timer interrupt). */
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/vcpu.h>

void sched_latency_report(const struct domain *d)
{
    struct vcpu_latency all = { 0 };
    for (unsigned i = 0; i < d->nr_vcpus && i < MAX_VCPUS_PER_DOMAIN; i++) {
        const struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        all.timer_late_sum += v->lat.timer_late_sum;
        all.timer_late_max = MAX(all.timer_late_max, v->lat.timer_late_max);
        all.timer_n += v->lat.timer_n;
        all.wake_wait_sum += v->lat.wake_wait_sum;
        all.wake_wait_max = MAX(all.wake_wait_max, v->lat.wake_wait_max);
        all.wake_n += v->lat.wake_n;
    }
    if (!all.timer_n && !all.wake_n)
        return;
    log_info("domain %u latency: singleshot timers %u, late %lu us on average, at most %lu us; "
             "wake-ups %u, waited %lu us on average for a CPU, at most %lu us\n", d->id,
             all.timer_n, all.timer_n ? all.timer_late_sum / all.timer_n / 1000 : 0,
             all.timer_late_max / 1000, all.wake_n,
             all.wake_n ? all.wake_wait_sum / all.wake_n / 1000 : 0, all.wake_wait_max / 1000);
}
