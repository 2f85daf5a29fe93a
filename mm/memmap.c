/* Memory map sanitising (pure; host-tested). Works in place with no scratch
 * memory: firmware maps are at most a few hundred entries, so simple
 * quadratic passes are fast enough and easy to check. */
#include <keel/memmap.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

/* Higher wins where ranges overlap. */
static unsigned strength(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:   return 0;
    case MEM_ACPI:     return 1;
    case MEM_NVS:      return 2;
    case MEM_FIRMWARE: return 3;
    case MEM_BAD:      return 5;
    default:           return 4;  /* MEM_RESERVED and anything unknown */
    }
}

static uint64_t range_end(const struct mem_range *r)
{
    return r->base + r->len;    /* callers made sure this does not wrap */
}

static void remove_at(struct mem_range *r, unsigned *nr, unsigned i)
{
    memmove(&r[i], &r[i + 1], (*nr - i - 1) * sizeof(*r));
    (*nr)--;
}

/* Clips wrapping ranges, maps unknown types to RESERVED, drops empty ones. */
static void normalise(struct mem_range *r, unsigned *nr)
{
    for (unsigned i = 0; i < *nr; ) {
        if (r[i].len > UINT64_MAX - r[i].base)
            r[i].len = UINT64_MAX - r[i].base;
        if (strength(r[i].type) == 4)
            r[i].type = MEM_RESERVED;
        if (!r[i].len)
            remove_at(r, nr, i);
        else
            i++;
    }
}

static bool sorts_before(const struct mem_range *a, const struct mem_range *b)
{
    return a->base < b->base ||
           (a->base == b->base && strength(a->type) < strength(b->type));
}

static void sort_by_base(struct mem_range *r, unsigned nr)
{
    for (unsigned i = 1; i < nr; i++) {
        struct mem_range x = r[i];
        unsigned j = i;
        for (; j > 0 && sorts_before(&x, &r[j - 1]); j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* On a list sorted by base: unites overlapping or touching ranges of the
 * same type. Afterwards ranges of one type are disjoint and never touch. */
static void merge_same_type(struct mem_range *r, unsigned *nr)
{
    for (unsigned i = 0; i < *nr; i++) {
        for (unsigned j = i + 1; j < *nr && r[j].base <= range_end(&r[i]); ) {
            if (r[j].type != r[i].type) {
                j++;
                continue;
            }
            uint64_t end = MAX(range_end(&r[i]), range_end(&r[j]));
            r[i].len = end - r[i].base;
            remove_at(r, nr, j);
        }
    }
}

/* Index of the lowest-based range stronger than `type` that overlaps
 * [from, to), or -1. */
static int first_stronger(const struct mem_range *r, unsigned nr, uint32_t type,
                          uint64_t from, uint64_t to)
{
    int best = -1;

    for (unsigned k = 0; k < nr; k++) {
        if (strength(r[k].type) <= strength(type))
            continue;
        if (r[k].base >= to || range_end(&r[k]) <= from)
            continue;
        if (best < 0 || r[k].base < r[best].base)
            best = (int)k;
    }
    return best;
}

/* Replaces r[i] by what is left of it where no stronger range lies: the
 * first piece stays in slot i, more are appended. Returns 0 when slot i is
 * done, 1 when r[i] vanished and slot i now holds another range to do, or
 * -ENOSPC. The set covered by each strength and above never changes, so
 * the order ranges are processed in does not matter. */
static int carve_stronger(struct mem_range *r, unsigned *nr, unsigned cap, unsigned i)
{
    const struct mem_range a = r[i];
    uint64_t cur = a.base, end = range_end(&a);
    bool placed = false;

    while (cur < end) {
        int k = first_stronger(r, *nr, a.type, cur, end);
        uint64_t piece_end = k < 0 ? end : MAX(cur, r[k].base);
        if (piece_end > cur) {
            struct mem_range piece = { cur, piece_end - cur, a.type };
            if (!placed) {
                r[i] = piece;
                placed = true;
            } else if (*nr == cap) {
                return -ENOSPC;
            } else {
                r[(*nr)++] = piece;
            }
        }
        if (k < 0)
            break;
        cur = range_end(&r[k]);
    }
    if (placed)
        return 0;
    r[i] = r[*nr - 1];
    (*nr)--;
    return 1;
}

int memmap_sanitize(struct mem_range *r, unsigned *nr, unsigned cap)
{
    unsigned n = *nr;

    if (n > cap)
        return -EINVAL;
    normalise(r, &n);
    sort_by_base(r, n);
    /* Uniting same-type ranges first means no piece made below is ever
     * removed again, so the list never grows past its final size. */
    merge_same_type(r, &n);
    for (unsigned i = 0; i < n; ) {
        int rc = carve_stronger(r, &n, cap, i);
        if (rc < 0) {
            *nr = n;
            return rc;
        }
        if (rc == 0)
            i++;
    }
    sort_by_base(r, n);
    merge_same_type(r, &n);
    *nr = n;
    return 0;
}

void memmap_remove(struct mem_range *r, unsigned *nr, unsigned cap,
                   uint64_t base, uint64_t len)
{
    len = MIN(len, UINT64_MAX - base);
    uint64_t end = base + len;

    for (unsigned i = 0; i < *nr && len; i++) {
        uint64_t s = r[i].base, e = range_end(&r[i]);
        if (r[i].type != MEM_USABLE || e <= base || s >= end)
            continue;
        if (s >= base && e <= end) {
            remove_at(r, nr, i--);
        } else if (s < base && e > end) {
            if (*nr < cap) {
                memmove(&r[i + 2], &r[i + 1], (*nr - i - 1) * sizeof(*r));
                (*nr)++;
                r[i + 1] = (struct mem_range){ end, e - end, MEM_USABLE };
                r[i].len = base - s;
                i++;
            } else {
                log_warn("memmap: no slot to split 0x%lx-0x%lx around 0x%lx-0x%lx: giving up the smaller side\n",
                         s, e, base, end);
                if (base - s >= e - end)
                    r[i].len = base - s;
                else
                    r[i] = (struct mem_range){ end, e - end, MEM_USABLE };
            }
        } else if (s < base) {
            r[i].len = base - s;
        } else {
            r[i] = (struct mem_range){ end, e - end, MEM_USABLE };
        }
    }
}

uint64_t memmap_total(const struct mem_range *r, unsigned nr, uint32_t type)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < nr; i++) {
        if (r[i].type != type)
            continue;
        total = r[i].len > UINT64_MAX - total ? UINT64_MAX : total + r[i].len;
    }
    return total;
}
