/* xen_version (#17) (ref 5.11, features 10.1). Keel answers as the Xen
 * version whose ABI it serves (4.17), so guests take the same paths. */
#include <keel/hypercall.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/memlayout.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <public/version.h>

#define XENVER_version              0
#define XENVER_extraversion         1
#define XENVER_compile_info         2
#define XENVER_capabilities         3
#define XENVER_changeset            4
#define XENVER_platform_parameters  5
#define XENVER_get_features         6
#define XENVER_pagesize             7
#define XENVER_guest_handle         8
#define XENVER_commandline          9
#define XENVER_build_id             10

#define KEEL_XEN_MAJOR  4
#define KEEL_XEN_MINOR  17

/* Submap 0 for a 64-bit PV guest: mmu_pt_update_preserve_ad (5),
 * highmem_assist (6), gnttab_map_avail_bits (7), memory_op_vnode (13),
 * direct_mapped (17); dom0 (11) for the hardware domain. Only what Keel
 * serves is claimed: bits 18-20 need hypercalls Keel lacks. */
static uint32_t pv_features(const struct domain *d)
{
    uint32_t f = (1U << 5) | (1U << 6) | (1U << 7) | (1U << 13) | (1U << 17);
    if (d->type == DOMAIN_PVH)          /* Xen 4.17 common/kernel.c, a translated HVM domain */
        f = (1U << XENFEAT_writable_page_tables) | (1U << XENFEAT_auto_translated_physmap) |
            (1U << XENFEAT_hvm_callback_vector) | (1U << XENFEAT_hvm_safe_pvclock) |
            (1U << XENFEAT_memory_op_vnode_supported) | (1U << XENFEAT_not_direct_mapped);
    return d->privileged ? f | (1U << 11) : f;
}

static long put_string(uint64_t arg, size_t size, const char *s)
{
    char buf[1024];
    memset(buf, 0, size);
    keel_strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size) ? -EFAULT : 0;
}

DECLARE_HYPERCALL(xen_version)
{
    (void)regs, (void)a3, (void)a4, (void)a5;
    switch ((int)a1) {
    case XENVER_version:
        return (KEEL_XEN_MAJOR << 16) | KEEL_XEN_MINOR;
    case XENVER_extraversion:
        return put_string(a2, 16, ".0-keel");
    case XENVER_compile_info: {
        char info[144];
        memset(info, 0, sizeof(info));
        keel_strlcpy(info, "gcc", 64);
        keel_strlcpy(info + 64, "keel", 16);
        keel_strlcpy(info + 80, "keel", 32);
        keel_strlcpy(info + 112, __DATE__, 32);
        return copy_to_guest(a2, info, sizeof(info)) ? -EFAULT : 0;
    }
    case XENVER_capabilities:
        return put_string(a2, 1024, "xen-3.0-x86_64 ");
    case XENVER_changeset:
        return put_string(a2, 64, "keel");
    case XENVER_platform_parameters: {
        uint64_t virt_start = HV_VIRT_START;
        return copy_to_guest(a2, &virt_start, sizeof(virt_start)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        uint32_t fi[2];
        if (copy_from_guest(fi, a2, sizeof(fi)))
            return -EFAULT;
        if (fi[0] != 0)
            return -EINVAL;             /* one submap (XENFEAT_NR_SUBMAPS = 1) */
        fi[1] = pv_features(v->d);
        return copy_to_guest(a2, fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_pagesize:
        return 4096;
    case XENVER_guest_handle: {
        uint8_t uuid[16] = { 0 };
        return copy_to_guest(a2, uuid, sizeof(uuid)) ? -EFAULT : 0;
    }
    case XENVER_build_id:
        return -ENODATA;                /* Keel images carry no build id */
    case XENVER_commandline:
        if (!v->d->privileged)
            return -EPERM;
        return put_string(a2, 1024, "");
    default:
        return hypercall_unimplemented(v, 17, "xen_version", a1);
    }
}
