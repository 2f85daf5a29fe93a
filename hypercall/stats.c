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

#define SUBOPS  64                      /* sub-ops 0..62; 63 counts the rest */

struct hypercall_stats {
    uint32_t n[NR_HYPERCALLS][SUBOPS];
};

/* Numbers whose first argument is the sub-op (Xen's public headers):
 * platform_op 7 and the compat event-channel op 16 carry it in a struct. */
#define BY_SUBOP ((1UL << 12) | (1UL << 17) | (1UL << 18) | (1UL << 20) | (1UL << 24) | \
                  (1UL << 29) | (1UL << 30) | (1UL << 32) | (1UL << 33) | (1UL << 34) | \
                  (1UL << 40))
#define MEMOP_CMD_MASK  0x3f            /* memory_op: the rest of a1 is a start extent */

int hypercall_stats_init(struct domain *d)
{
    d->hc_stats = kzalloc(sizeof(*d->hc_stats));
    return d->hc_stats ? 0 : -1;
}

void hypercall_count(struct domain *d, uint64_t nr, uint64_t a1)
{
    if (!d->hc_stats || nr >= NR_HYPERCALLS)
        return;
    uint64_t sub = 0;
    if (BY_SUBOP & (1UL << nr))
        sub = nr == 12 ? (a1 & MEMOP_CMD_MASK) : MIN(a1, (uint64_t)SUBOPS - 1);
    __atomic_fetch_add(&d->hc_stats->n[nr][sub], 1, __ATOMIC_RELAXED);
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
