/* Hypercall counts per domain, by number and, for the hypercalls whose
 * first argument is a command (memory_op, vcpu_op, sched_op, ...), by
 * that sub-op: what a guest asks of Keel, reported when it is destroyed
 * (and what the Linux issue's closing note wants). Multicall entries
 * count as the calls they are. */
#include <keel/hypercall.h>
#include <keel/alloc.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/printf.h>
#include <keel/string.h>

#define SUBOPS  HYPERCALL_SUBOPS
#define BY_SUBOP HYPERCALL_BY_SUBOP

int hypercall_stats_init(struct domain *d)
{
    d->hc_stats = kzalloc(sizeof(*d->hc_stats));
    return d->hc_stats ? 0 : -1;
}

/* "domain N hypercalls: name count, name:sub count, ..." a few per line. */
void hypercall_stats_report(struct domain *d)
{
    if (!d->hc_stats)
        return;
    char line[120];
    size_t len = 0;
    for (unsigned nr = 0; nr < NR_HYPERCALLS; nr++) {
        for (unsigned sub = 0; sub < SUBOPS; sub++) {
            uint32_t n = d->hc_stats->n[nr][sub];
            if (!n)
                continue;
            char item[48];
            const char *name = hypercall_name(nr);
            int l = (BY_SUBOP & (1UL << nr))
                        ? keel_snprintf(item, sizeof(item), "%s:%u %u", name, sub, n)
                        : keel_snprintf(item, sizeof(item), "%s %u", name, n);
            if (len && len + (size_t)l + 2 >= sizeof(line) - 40) {
                log_info("domain %u hypercalls: %s\n", d->id, line);
                len = 0;
            }
            len += (size_t)keel_snprintf(line + len, sizeof(line) - len, "%s%s", len ? ", " : "", item);
        }
    }
    if (len)
        log_info("domain %u hypercalls: %s\n", d->id, line);
    kfree(d->hc_stats);
    d->hc_stats = NULL;
}
