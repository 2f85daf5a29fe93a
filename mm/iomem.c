/* I/O memory policy lookup (include/keel/iomem.h): pure code, a handful of
 * ranges, linear search (the lists are short and the answer is needed only
 * when a page-table entry names a frame no domain owns). */
#include <keel/iomem.h>
#include <keel/log.h>

static bool add(struct iomem_range *r, unsigned *nr, unsigned cap, mfn_t first, mfn_t last,
                uint8_t access)
{
    if (*nr >= cap)
        return false;
    /* The entry is complete before the count shows it: ranges are added
     * at run time too (MSI-X tables) while other CPUs look up. */
    r[*nr] = (struct iomem_range){ first, last, access };
    __atomic_store_n(nr, *nr + 1, __ATOMIC_RELEASE);
    return true;
}

void iomem_map_add_ram(struct iomem_map *m, uint64_t base, uint64_t len)
{
    if (!len || base + len < base)
        return;
    /* Any frame holding a byte of RAM is RAM. */
    if (!add(m->ram, &m->nr_ram, IOMEM_MAX_RAM, base >> PAGE_SHIFT,
             (base + len - 1) >> PAGE_SHIFT, IOMEM_RAM)) {
        log_err("iomem: too many RAM ranges: all I/O memory denied\n");
        m->overflow = true;
    }
}

void iomem_map_restrict(struct iomem_map *m, uint64_t base, uint64_t len,
                        enum iomem_access access)
{
    if (!len || base + len < base)
        return;
    if (access != IOMEM_DENY && access != IOMEM_RO)
        access = IOMEM_DENY;
    if (!add(m->hv, &m->nr_hv, IOMEM_MAX_RESERVED, base >> PAGE_SHIFT,
             (base + len - 1) >> PAGE_SHIFT, (uint8_t)access)) {
        log_err("iomem: too many hypervisor ranges: all I/O memory denied\n");
        m->overflow = true;
    }
}

enum iomem_access iomem_map_lookup(const struct iomem_map *m, mfn_t mfn)
{
    enum iomem_access a = IOMEM_RW;

    /* RAM first, from the firmware map alone: the answer for a frame never
     * changes, so the refs taken and dropped for an entry always match. */
    if (mfn >= IOMEM_LOW_FRAMES)
        for (unsigned i = 0; i < m->nr_ram; i++)
            if (mfn >= m->ram[i].first && mfn <= m->ram[i].last)
                return IOMEM_RAM;
    if (m->overflow)
        return IOMEM_DENY;
    unsigned nr_hv = __atomic_load_n(&m->nr_hv, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < nr_hv; i++)
        if (mfn >= m->hv[i].first && mfn <= m->hv[i].last) {
            if (m->hv[i].access == IOMEM_DENY)
                return IOMEM_DENY;
            a = IOMEM_RO;
        }
    return a;
}
