/* hypercall_version: xen_version (hypercall 17, ref §5.11) sub-ops and the
 * XENFEAT bits a 64-bit PV dom0 sees (ref §10.1), the error codes for bad
 * sub-ops and bad buffers, and -ENOSYS for unused hypercall numbers
 * (ref §4.1). What Xen 4.17 returned is noted at each check. */
#include "guest.h"

GUEST_TEST("hypercall_version");

#define EFAULT 14
#define EINVAL 22
#define ENODATA 61
#define ENOSYS 38

static bool terminated(const char *s, size_t size)
{
    return strnlen(s, size) < size;
}

static void check_strings(void)
{
    static union {
        struct xen_extraversion extra;
        struct xen_capabilities_info caps;
        struct xen_changeset_info cs;
        struct xen_compile_info ci;
        struct xen_commandline_info cmd;
        uint8_t raw[2048];
    } u;
    long rc;

    /* Xen 4.17 (Debian): 0x40011 = 4.17. Linux needs >= 4.2 for dom0. */
    rc = HYPERVISOR_xen_version(XENVER_version, NULL);
    printk("[hypercall_version] version %ld.%ld\n", rc >> 16, rc & 0xffff);
    check(rc >= 0x40002 && (rc >> 16) < 0x100, "XENVER_version = %#lx", rc);
    /* The argument is ignored. */
    check_eq("XENVER_version with a junk pointer", HYPERVISOR_xen_version(XENVER_version, (void *)1), rc);

    memset(&u, 0x55, sizeof(u));
    rc = HYPERVISOR_xen_version(XENVER_extraversion, &u);
    check_eq("XENVER_extraversion", rc, 0);
    check(terminated(u.extra.extraversion, XEN_EXTRAVERSION_LEN), "extraversion not terminated");
    check(u.extra.extraversion[0] == '.' || u.extra.extraversion[0] == '-' || !u.extra.extraversion[0],
          "extraversion \"%.16s\"", u.extra.extraversion);
    check(u.raw[XEN_EXTRAVERSION_LEN] == 0x55, "extraversion wrote past 16 bytes");
    printk("[hypercall_version] extraversion \"%.16s\"\n", u.extra.extraversion);

    /* Xen 4.17: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ". */
    memset(&u, 0x55, sizeof(u));
    check_eq("XENVER_capabilities", HYPERVISOR_xen_version(XENVER_capabilities, &u), 0);
    check(terminated(u.caps.info, XEN_CAPABILITIES_INFO_LEN), "capabilities not terminated");
    check(strstr(u.caps.info, "xen-3.0-x86_64") != NULL, "capabilities \"%.64s\"", u.caps.info);

    memset(&u, 0x55, sizeof(u));
    check_eq("XENVER_changeset", HYPERVISOR_xen_version(XENVER_changeset, &u), 0);
    check(terminated(u.cs.info, XEN_CHANGESET_INFO_LEN), "changeset not terminated");

    memset(&u, 0x55, sizeof(u));
    check_eq("XENVER_compile_info", HYPERVISOR_xen_version(XENVER_compile_info, &u), 0);
    check(terminated(u.ci.compiler, 64) && terminated(u.ci.compile_by, 16) &&
          terminated(u.ci.compile_domain, 32) && terminated(u.ci.compile_date, 32),
          "compile_info strings not terminated");

    /* Dom0 may read the hypervisor command line. */
    memset(&u, 0x55, sizeof(u));
    check_eq("XENVER_commandline (dom0)", HYPERVISOR_xen_version(XENVER_commandline, &u), 0);
    check(terminated(u.cmd.buf, XEN_COMMANDLINE_LEN), "commandline not terminated");
}

static void check_numbers(void)
{
    struct xen_platform_parameters pp = { 0 };
    struct xen_guest_handle_info gh;
    struct { uint32_t len; uint8_t buf[64]; } bid = { 64, { 0 } };
    long rc;

    check_eq("XENVER_pagesize", HYPERVISOR_xen_version(XENVER_pagesize, NULL), 4096);

    check_eq("XENVER_platform_parameters", HYPERVISOR_xen_version(XENVER_platform_parameters, &pp), 0);
    check_eq("platform_parameters.virt_start", pp.virt_start, HYPERVISOR_VIRT_START);

    /* Dom0's handle (UUID) is all zero. */
    memset(&gh, 0x55, sizeof(gh));
    check_eq("XENVER_guest_handle", HYPERVISOR_xen_version(XENVER_guest_handle, &gh), 0);
    for (unsigned i = 0; i < sizeof(gh.uuid); i++)
        check(gh.uuid[i] == 0, "dom0 guest handle byte %u = %#x", i, gh.uuid[i]);

    /* Xen 4.17 returns the id's length (20) and leaves len as given; a
     * hypervisor without a build id answers -ENODATA. */
    rc = HYPERVISOR_xen_version(XENVER_build_id, &bid);
    check(rc == -ENODATA || (rc > 0 && rc <= 64), "XENVER_build_id = %ld", rc);
}

/* Submap 0 only (XENFEAT_NR_SUBMAPS = 1). Xen 4.17 for a 64-bit PV dom0:
 * 0x228e0 = preserve_ad(5) highmem_assist(6) gnttab_map_avail_bits(7)
 * dom0(11) memory_op_vnode_supported(13) direct_mapped(17). */
static void check_features(void)
{
    struct xen_feature_info fi = { .submap_idx = 0, .submap = 0xdead };
    const uint32_t must = (1U << XENFEAT_mmu_pt_update_preserve_ad) | (1U << XENFEAT_dom0);
    const uint32_t never = (1U << XENFEAT_writable_page_tables) |
                           (1U << XENFEAT_writable_descriptor_tables) |
                           (1U << XENFEAT_auto_translated_physmap) |
                           (1U << XENFEAT_supervisor_mode_kernel) |
                           (1U << XENFEAT_hvm_callback_vector) |
                           (1U << XENFEAT_hvm_safe_pvclock) |
                           (1U << XENFEAT_hvm_pirqs) |
                           (1U << XENFEAT_not_direct_mapped);

    check_eq("get_features(0)", HYPERVISOR_xen_version(XENVER_get_features, &fi), 0);
    printk("[hypercall_version] features[0] %#x\n", fi.submap);
    check((fi.submap & must) == must, "features %#x lack %#x", fi.submap, must & ~fi.submap);
    check(!(fi.submap & never), "features %#x include PV-impossible %#x", fi.submap, fi.submap & never);

    for (uint32_t idx = 1; idx <= 2; idx++) {
        fi = (struct xen_feature_info){ .submap_idx = idx, .submap = 0xdead };
        check_eq("get_features(unknown submap)", HYPERVISOR_xen_version(XENVER_get_features, &fi), -EINVAL);
        check_eq("submap after -EINVAL", fi.submap, 0xdead);
    }
}

static void check_errors(void)
{
    void *hv = (void *)HYPERVISOR_VIRT_START;
    void *crossing = (void *)(region_end() - 100);   /* runs off the mapping */

    /* Xen 4.17: unknown sub-ops -ENOSYS (11-14 are 4.18+ additions). */
    check_eq("sub-op 15", HYPERVISOR_xen_version(15, NULL), -ENOSYS);
    check_eq("sub-op 0x7fff", HYPERVISOR_xen_version(0x7fff, NULL), -ENOSYS);
    check_eq("sub-op -1", HYPERVISOR_xen_version(-1, NULL), -ENOSYS);

    check_eq("extraversion to NULL", HYPERVISOR_xen_version(XENVER_extraversion, NULL), -EFAULT);
    check_eq("extraversion to the hypervisor area", HYPERVISOR_xen_version(XENVER_extraversion, hv), -EFAULT);
    check_eq("get_features from NULL", HYPERVISOR_xen_version(XENVER_get_features, NULL), -EFAULT);
    check_eq("capabilities across the region end", HYPERVISOR_xen_version(XENVER_capabilities, crossing), -EFAULT);

    /* Unused / removed hypercall numbers (ref §4.1, §5.1). */
    check_eq("hypercall 11 (unused)", hypercall_raw(11, 0, 0, 0, 0, 0), -ENOSYS);
    check_eq("hypercall 38 (tmem, removed)", hypercall_raw(38, 0, 0, 0, 0, 0), -ENOSYS);
    check_eq("hypercall 100", hypercall_raw(100, 0, 0, 0, 0, 0), -ENOSYS);
    check_eq("hypercall 127", hypercall_raw(127, 0, 0, 0, 0, 0), -ENOSYS);
}

void test_main(void)
{
    check_strings();
    check_numbers();
    check_features();
    check_errors();
}
