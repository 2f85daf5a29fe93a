/* Fault-safe copies to and from guest memory (include/keel/guest_access.h).
 * `rep movsb` with an exception-table entry: a fault leaves RCX = bytes
 * not copied, and the fixup resumes after the copy. STAC/CLAC open SMAP for
 * exactly this instruction (guest pages are user pages: PV guests run in
 * ring 3). Under QEMU TCG see DESIGN.md's note on SMAP. A PVH vCPU's
 * addresses are its own guest-virtual ones: arch/x86_64/hvm/hvm_guest_copy.c. */
#include <keel/guest_access.h>
#include <keel/cpufeature.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/hvm.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

static bool smap_on(void)
{
    return boot_cpu.smap && opt_smap;
}

/* Quadwords first, then the odd bytes: a string instruction runs one
 * iteration at a time under TCG (and counts as that many under -icount),
 * and every exception frame and hypercall argument passes here. A fault
 * leaves RCX = the units not copied; the result only needs to be non-zero
 * then (it is at least the bytes not copied). */
size_t raw_copy_guest(void *dst, const void *src, size_t len)
{
    size_t quads = len / 8, rest = len % 8;
    if (smap_on())
        __asm__ __volatile__("stac" ::: "memory");
    __asm__ __volatile__("1: rep movsq\n\t"
                         "2:\n\t"
                         EX_TABLE_ENTRY(1b, 2b)
                         : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
    if (!quads)
        __asm__ __volatile__("3: rep movsb\n\t"
                             "4:\n\t"
                             EX_TABLE_ENTRY(3b, 4b)
                             : "+D"(dst), "+S"(src), "+c"(rest) : : "memory");
    if (smap_on())
        __asm__ __volatile__("clac" ::: "memory");
    return quads * 8 + rest;
}

int copy_from_guest(void *dst, uint64_t guest_va, size_t len)
{
    struct vcpu *v = current_vcpu();
    if (v && is_hvm_vcpu(v))
        return hvm_copy_from_guest(v, dst, guest_va, len);
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return raw_copy_guest(dst, (const void *)guest_va, len) ? -EFAULT : 0;
}

int copy_to_guest(uint64_t guest_va, const void *src, size_t len)
{
    struct vcpu *v = current_vcpu();
    if (v && is_hvm_vcpu(v))
        return hvm_copy_to_guest(v, guest_va, src, len);
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return raw_copy_guest((void *)guest_va, src, len) ? -EFAULT : 0;
}

int copy_string_from_guest(char *dst, uint64_t guest_va, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (copy_from_guest(&dst[i], guest_va + i, 1))
            return -EFAULT;
        if (!dst[i])
            return 0;
    }
    dst[size ? size - 1 : 0] = '\0';
    return -ENAMETOOLONG;
}
