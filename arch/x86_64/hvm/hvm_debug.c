/* Debug key 'v': the exit counters of every PVH vCPU, per reason (the
 * numbers a crash log also prints), for finding what a guest exits on. */
#include <keel/hvm.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/printf.h>
#include <keel/vcpu.h>

static void show_exits(struct domain *d, void *arg)
{
    (void)arg;
    if (d->type != DOMAIN_PVH)
        return;
    for (unsigned i = 0; i < d->nr_vcpus && i < MAX_VCPUS_PER_DOMAIN; i++) {
        const struct vcpu *v = d->vcpu[i];
        if (!v || !v->hvm)
            continue;
        char line[256];
        int n = snprintf(line, sizeof(line), "domain %u vcpu %u exits:", d->id, v->id);
        for (unsigned r = 1; r < HVM_EXIT_NR && n > 0 && (size_t)n < sizeof(line); r++)
            if (v->hvm->exit_counts[r])
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %lu", hvm_exit_name(r),
                              v->hvm->exit_counts[r]);
        log_info("%s\n", line);
    }
}

static void debug_key_hvm_exits(char key)
{
    (void)key;
    log_info("hvm: %s; exits of PVH vCPUs:\n", hvm_vendor ? hvm_vendor->name : "none");
    domain_foreach(show_exits, NULL);
}
debug_key('v', "exit counters of PVH vCPUs", debug_key_hvm_exits);
