/* Guest memory of a PVH vCPU as its hypercalls name it: guest-virtual
 * addresses translated through the guest's own page tables (mm/guest_walk.c,
 * its table frames read through the p2m), then the p2m to machine frames,
 * copied through Keel's direct map. A frame outside the guest's p2m is
 * -EFAULT, never another domain's. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_walk.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/vcpu.h>

static const void *gpa_ptr(const struct domain *d, uint64_t gpa)
{
    mfn_t m = hvm_gfn_to_mfn(d, gpa >> PAGE_SHIFT);
    return m ? (const uint8_t *)mfn_to_virt(m) + (gpa & (PAGE_SIZE - 1)) : NULL;
}

static int read_gpa(void *arg, uint64_t gpa, uint64_t *val, unsigned size)
{
    const void *p = (gpa & (PAGE_SIZE - 1)) + size <= PAGE_SIZE ? gpa_ptr(arg, gpa) : NULL;
    if (!p)
        return -1;
    memcpy(val, p, size);
    return 0;
}

static int translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    const struct hvm_vendor_ops *o = hvm_vendor;
    struct guest_paging p = {
        .cr0 = o->get_reg(v, HVM_REG_CR0), .cr3 = o->get_reg(v, HVM_REG_CR3),
        .cr4 = o->get_reg(v, HVM_REG_CR4), .efer = o->get_reg(v, HVM_REG_EFER),
        .read = read_gpa, .arg = v->d,
    };
    return guest_walk(&p, va, write, gpa);
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
