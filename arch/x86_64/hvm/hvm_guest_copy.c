/* Guest memory of a PVH vCPU as its hypercalls name it: guest-virtual
 * addresses translated through the guest's own page tables (read from its
 * frames through the p2m), then the p2m to machine frames, copied through
 * Keel's direct map. Paging modes: off (linear = physical), 32-bit
 * (2 levels, 4 MiB pages) and long mode (4 levels, 1 GiB / 2 MiB pages);
 * PAE without long mode and 5-level paging are refused (-EFAULT). Writes
 * need every level writable (CR0.WP semantics: ring 0 with WP set). A
 * frame outside the guest's p2m is -EFAULT, never another domain's. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/vcpu.h>

#define CR0_PG_     (1UL << 31)
#define CR4_PSE_    (1UL << 4)
#define CR4_PAE_    (1UL << 5)
#define CR4_LA57_   (1UL << 12)
#define EFER_LMA_   (1UL << 10)
#define PTE_P_      1UL
#define PTE_W_      2UL
#define PTE_PS_     (1UL << 7)
#define ADDR_52     0x000ffffffffff000UL

static const void *gpa_ptr(const struct domain *d, uint64_t gpa)
{
    mfn_t m = hvm_gfn_to_mfn(d, gpa >> PAGE_SHIFT);
    return m ? (const uint8_t *)mfn_to_virt(m) + (gpa & (PAGE_SIZE - 1)) : NULL;
}

static int read_entry(const struct domain *d, uint64_t gpa, uint64_t *e, unsigned size)
{
    const void *p = gpa_ptr(d, gpa);
    if (!p)
        return -EFAULT;
    *e = 0;
    memcpy(e, p, size);
    return 0;
}

static int walk_long(const struct domain *d, uint64_t cr3, uint64_t va, bool write, uint64_t *gpa)
{
    uint64_t table = cr3 & ADDR_52, e;
    for (int level = 4; level >= 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        if (read_entry(d, table + idx * 8, &e, 8) || !(e & PTE_P_) || (write && !(e & PTE_W_)))
            return -EFAULT;
        if ((level == 3 || level == 2) && (e & PTE_PS_)) {
            uint64_t size = 1UL << (12 + 9 * (level - 1));
            *gpa = ((e & ADDR_52) & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        table = e & ADDR_52;
    }
    *gpa = table | (va & (PAGE_SIZE - 1));
    return 0;
}

static int walk_32(const struct domain *d, uint64_t cr3, uint32_t va, bool pse, bool write,
                   uint64_t *gpa)
{
    uint64_t e;
    if (read_entry(d, (cr3 & 0xfffff000) + (va >> 22) * 4, &e, 4) || !(e & PTE_P_) ||
        (write && !(e & PTE_W_)))
        return -EFAULT;
    if (pse && (e & PTE_PS_)) {
        *gpa = (e & 0xffc00000) | (va & 0x3fffff);
        return 0;
    }
    if (read_entry(d, (e & 0xfffff000) + ((va >> 12) & 1023) * 4, &e, 4) || !(e & PTE_P_) ||
        (write && !(e & PTE_W_)))
        return -EFAULT;
    *gpa = (e & 0xfffff000) | (va & 0xfff);
    return 0;
}

static int translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    uint64_t cr0 = hvm_vendor->get_reg(v, HVM_REG_CR0);
    uint64_t cr4 = hvm_vendor->get_reg(v, HVM_REG_CR4);
    uint64_t cr3 = hvm_vendor->get_reg(v, HVM_REG_CR3);
    if (!(cr0 & CR0_PG_)) {
        *gpa = va & 0xffffffffUL;
        return 0;
    }
    if (hvm_vendor->get_reg(v, HVM_REG_EFER) & EFER_LMA_)
        return (cr4 & CR4_LA57_) ? -EFAULT : walk_long(v->d, cr3, va, write, gpa);
    if (cr4 & CR4_PAE_)
        return -EFAULT;
    return walk_32(v->d, cr3, (uint32_t)va, cr4 & CR4_PSE_, write, gpa);
}

static int copy_pages(struct vcpu *v, uint64_t va, void *buf, size_t len, bool to_guest)
{
    uint8_t *b = buf;
    while (len) {
        uint64_t gpa;
        size_t n = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (translate(v, va, to_guest, &gpa))
            return -EFAULT;
        uint8_t *p = (uint8_t *)gpa_ptr(v->d, gpa);
        if (!p)
            return -EFAULT;
        if (to_guest)
            memcpy(p, b, n);
        else
            memcpy(b, p, n);
        va += n, b += n, len -= n;
    }
    return 0;
}

int hvm_copy_from_guest(struct vcpu *v, void *dst, uint64_t va, size_t len)
{
    return copy_pages(v, va, dst, len, false);
}

int hvm_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    return copy_pages(v, va, (void *)src, len, true);
}

int hvm_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *s = src;
    while (len) {
        size_t n = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        uint8_t *p = (uint8_t *)gpa_ptr(d, gpa);
        if (!p)
            return -EFAULT;
        if (s)
            memcpy(p, s, n);
        else
            memset(p, 0, n);
        gpa += n, len -= n;
        if (s)
            s += n;
    }
    return 0;
}
