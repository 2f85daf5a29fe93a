/* A guest's own page-table walk (keel/guest_walk.h). */
#include <keel/guest_walk.h>
#include <keel/errno.h>

#define CR0_PG      (1UL << 31)
#define CR4_PSE     (1UL << 4)
#define CR4_PAE     (1UL << 5)
#define CR4_LA57    (1UL << 12)
#define EFER_LMA    (1UL << 10)
#define PTE_P       1UL
#define PTE_W       2UL
#define PTE_PS      (1UL << 7)
#define ADDR_52     0x000ffffffffff000UL

/* Reads one entry; false when it is unreadable, not present, or read-only
 * for a write. */
static bool entry(const struct guest_paging *p, uint64_t gpa, unsigned size, bool write,
                  uint64_t *e)
{
    *e = 0;
    if (p->read(p->arg, gpa, e, size))
        return false;
    return (*e & PTE_P) && (!write || (*e & PTE_W));
}

static int walk_long(const struct guest_paging *p, uint64_t va, bool write, uint64_t *gpa)
{
    uint64_t table = p->cr3 & ADDR_52, e;
    for (int level = 4; level >= 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        if (!entry(p, table + idx * 8, 8, write, &e))
            return -EFAULT;
        if ((level == 3 || level == 2) && (e & PTE_PS)) {
            uint64_t size = 1UL << (12 + 9 * (level - 1));
            *gpa = ((e & ADDR_52) & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        table = e & ADDR_52;
    }
    *gpa = table | (va & 0xfff);
    return 0;
}

static int walk_32(const struct guest_paging *p, uint32_t va, bool write, uint64_t *gpa)
{
    uint64_t e;
    if (!entry(p, (p->cr3 & 0xfffff000) + (va >> 22) * 4, 4, write, &e))
        return -EFAULT;
    if ((p->cr4 & CR4_PSE) && (e & PTE_PS)) {
        *gpa = (e & 0xffc00000) | (va & 0x3fffff);
        return 0;
    }
    if (!entry(p, (e & 0xfffff000) + ((va >> 12) & 1023) * 4, 4, write, &e))
        return -EFAULT;
    *gpa = (e & 0xfffff000) | (va & 0xfff);
    return 0;
}

int guest_walk(const struct guest_paging *p, uint64_t va, bool write, uint64_t *gpa)
{
    if (!(p->cr0 & CR0_PG)) {
        *gpa = va & 0xffffffffUL;
        return 0;
    }
    if (p->efer & EFER_LMA)
        return (p->cr4 & CR4_LA57) ? -EFAULT : walk_long(p, va, write, gpa);
    if (p->cr4 & CR4_PAE)
        return -EFAULT;
    return walk_32(p, (uint32_t)va, write, gpa);
}
