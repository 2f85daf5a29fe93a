/* Scheduler parameters and views: the sched= boot option, domain weight
 * and cap, vCPU hard affinity, runstate figures and the debug dump. */
#include <keel/sched.h>
#include <keel/cmdline.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/string.h>
#include <keel/timer.h>
#include <keel/vcpu.h>

#define SCHED_NAME  "credit"

static char opt_sched_bad[24];          /* an unknown sched= name, reported at boot */

/* sched=<name>: "credit" is the only scheduler (Xen's credit and credit2
 * names are accepted for it, as GRUB entries carry them). */
static int parse_sched(const char *v)
{
    if (!strcmp(v, SCHED_NAME) || !strcmp(v, "credit2"))
        return 0;
    keel_strlcpy(opt_sched_bad, v, sizeof(opt_sched_bad));
    return -1;
}
param_custom("sched", parse_sched);

const char *sched_name(void)
{
    return SCHED_NAME;
}

void sched_boot_report(void)
{
    if (opt_sched_bad[0])
        log_err("sched: unknown scheduler '%s' (sched=): using '%s'\n", opt_sched_bad,
                SCHED_NAME);
    log_info("sched: '%s' scheduler (proportional share by weight, caps, %u ms slices)\n",
             SCHED_NAME, (unsigned)(SCHED_SLICE_NS / 1000000));
}

int sched_set_params(struct domain *d, unsigned weight, unsigned cap)
{
    if (weight > SCHED_WEIGHT_MAX || cap > SCHED_CAP_MAX)
        return -EINVAL;
    uint64_t f = spin_lock_irqsave(&d->cap_lock);
    d->sched_weight = weight ? weight : SCHED_WEIGHT_DEFAULT;
    d->sched_cap = cap;
    d->cap_budget = (struct sched_cap){ 0, 0 };
    spin_unlock_irqrestore(&d->cap_lock, f);
    return 0;
}

bool sched_cpu_allowed(const struct vcpu *v, unsigned cpu)
{
    bool any = true;
    for (unsigned i = 0; i < ARRAY_SIZE(v->affinity); i++)
        if (v->affinity[i])
            any = false;
    if (any)
        return cpu < NR_CPUS;
    return cpu < NR_CPUS && ((v->affinity[cpu / 64] >> (cpu % 64)) & 1);
}

int sched_set_affinity(struct vcpu *v, const uint64_t *mask)
{
    struct vcpu probe = { 0 };
    if (mask)
        memcpy(probe.affinity, mask, sizeof(probe.affinity));
    int first = -1;
    for_each_online_cpu(cpu)
        if (sched_cpu_allowed(&probe, cpu)) {
            first = (int)cpu;
            break;
        }
    if (first < 0)
        return -EINVAL;
    if (v->sched_state != VCPU_OFF)
        return -EBUSY;
    memcpy(v->affinity, probe.affinity, sizeof(v->affinity));
    if (!sched_cpu_allowed(v, v->processor))
        __atomic_store_n(&v->processor, (unsigned)first, __ATOMIC_RELEASE);
    return 0;
}

/* Under the lock of v's run queue, so the figures are one consistent set. */
void sched_runstate_get(struct vcpu *v, struct sched_runstate *out)
{
    for (;;) {
        unsigned cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        struct percpu *pc = cpu_percpu[cpu];
        uint64_t f = spin_lock_irqsave(&pc->rq_lock);
        if (__atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) != cpu) {
            spin_unlock_irqrestore(&pc->rq_lock, f);
            continue;
        }
        sched_runstate_snapshot(&v->runstate, now_ns(), out);
        spin_unlock_irqrestore(&pc->rq_lock, f);
        return;
    }
}

static const char *const state_names[4] = { "running", "runnable", "blocked", "offline" };

static void dump_domain(struct domain *d)
{
    log_info("domain %u '%s': weight %u, cap %u%%%s\n", d->id, d->name,
             d->sched_weight ? d->sched_weight : SCHED_WEIGHT_DEFAULT, d->sched_cap,
             d->sched_cap ? "" : " (none)");
    for (unsigned i = 0; i < d->nr_vcpus && i < MAX_VCPUS_PER_DOMAIN; i++) {
        struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        struct sched_runstate r;
        sched_runstate_get(v, &r);
        log_info("  vcpu %u: cpu %u, %s, vtime %lu, ms running %lu runnable %lu blocked %lu "
                 "offline %lu\n", v->id, v->processor, state_names[r.state & 3],
                 v->sched.vtime, r.time[0] / 1000000, r.time[1] / 1000000,
                 r.time[2] / 1000000, r.time[3] / 1000000);
    }
}

static void dump_domain_cb(struct domain *d, void *arg)
{
    (void)arg;
    dump_domain(d);
}

void sched_dump(void)
{
    log_info("scheduler '%s': run queues\n", SCHED_NAME);
    for_each_online_cpu(cpu) {
        struct percpu *pc = cpu_percpu[cpu];
        struct vcpu *c = READ_ONCE(pc->sched_curr);
        log_info("  cpu %u: %u queued, min vtime %lu, running %s (d%u v%u)\n", cpu,
                 READ_ONCE(pc->rq_len), pc->min_vtime, c ? "a vCPU" : "nothing",
                 c ? c->d->id : 0, c ? c->id : 0);
    }
    domain_foreach(dump_domain_cb, NULL);   /* none freed meanwhile */
}
