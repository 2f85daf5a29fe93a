/* platform_op: the privileged domain's platform hypercall (#7, ref 5.20):
 * interface version, bad pointers, unknown commands, get_cpuinfo and
 * get_cpu_version for present and absent CPUs, firmware_info without
 * firmware data, settime64's must-be-zero field. As a domU (pair with
 * exceptions), every command is refused with -EPERM. What Xen 4.17
 * returned is noted at each check.
 * guest-run: smp=2 */
#include "guest.h"
#include <public/platform.h>

GUEST_TEST("platform_op");

#define EPERM 1
#define ESRCH 3
#define EFAULT 14
#define EACCES 13
#define EINVAL 22
#define ENOSYS 38

static long platform_op(struct xen_platform_op *op)
{
    return _hypercall1(__HYPERVISOR_platform_op, op);
}

static struct xen_platform_op op;

static void prepare(uint32_t cmd)
{
    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.interface_version = XENPF_INTERFACE_VERSION;
}

static void as_domu(void)
{
    prepare(XENPF_get_cpuinfo);
    check_eq("domU: get_cpuinfo", platform_op(&op), -EPERM);
    prepare(XENPF_settime64);
    check_eq("domU: settime64", platform_op(&op), -EPERM);
}

void test_main(void)
{
    if (!(start_info->flags & SIF_PRIVILEGED)) {
        as_domu();
        return;
    }
    prepare(XENPF_get_cpuinfo);
    op.interface_version = 0x03000000;
    check_eq("old interface version", platform_op(&op), -EACCES);          /* Xen: -EACCES */
    check_eq("bad pointer", _hypercall1(__HYPERVISOR_platform_op, 0x1000), -EFAULT);
    prepare(1000);
    check_eq("unknown command", platform_op(&op), -ENOSYS);                /* Xen: -ENOSYS */

    prepare(XENPF_get_cpuinfo);
    check_eq("get_cpuinfo cpu 0", platform_op(&op), 0);
    check_eq("cpu 0 online", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
    check_eq("max_present (smp=2)", op.u.pcpu_info.max_present, 1);
    uint32_t apic0 = op.u.pcpu_info.apic_id;
    prepare(XENPF_get_cpuinfo);
    op.u.pcpu_info.xen_cpuid = 1;
    check_eq("get_cpuinfo cpu 1", platform_op(&op), 0);
    check_eq("cpu 1 online", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
    check(op.u.pcpu_info.apic_id != apic0, "cpu 1 has APIC ID %u like cpu 0", op.u.pcpu_info.apic_id);
    prepare(XENPF_get_cpuinfo);
    op.u.pcpu_info.xen_cpuid = 4095;
    check_eq("get_cpuinfo cpu 4095", platform_op(&op), 0);                 /* Xen: 0 ... */
    check_eq("cpu 4095 invalid", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID); /* ... INVALID */
    prepare(XENPF_get_cpuinfo);
    op.u.pcpu_info.xen_cpuid = 0xffffffff;
    check_eq("get_cpuinfo cpu ~0", platform_op(&op), 0);
    check_eq("cpu ~0 invalid", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID);

    prepare(XENPF_get_cpu_version);
    check_eq("get_cpu_version cpu 0", platform_op(&op), 0);
    check(op.u.pcpu_version.family != 0, "family 0");
    uint32_t r[4];
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0), "c"(0));
    check(!memcmp(op.u.pcpu_version.vendor_id, &r[1], 4) &&
          !memcmp(op.u.pcpu_version.vendor_id + 4, &r[3], 4) &&
          !memcmp(op.u.pcpu_version.vendor_id + 8, &r[2], 4), "vendor id differs from CPUID's");

    prepare(XENPF_firmware_info);
    op.u.firmware_info.type = XEN_FW_KBD_SHIFT_FLAGS;
    check_eq("firmware_info KBD_SHIFT_FLAGS", platform_op(&op), 0);        /* Xen: 0 */
    op.u.firmware_info.index = 1;
    check_eq("KBD_SHIFT_FLAGS index 1", platform_op(&op), -ESRCH);         /* Xen: -ESRCH */
    prepare(XENPF_firmware_info);
    op.u.firmware_info.type = 77;
    check_eq("firmware_info unknown type", platform_op(&op), -EINVAL);     /* Xen: -EINVAL */
    prepare(XENPF_firmware_info);
    op.u.firmware_info.type = XEN_FW_DISK_MBR_SIGNATURE;
    op.u.firmware_info.index = 1000;
    check_eq("MBR signature of disk 1000", platform_op(&op), -ESRCH);      /* Xen: -ESRCH */

    prepare(XENPF_settime64);
    op.u.settime64.mbz = 1;
    check_eq("settime64 mbz != 0", platform_op(&op), -EINVAL);             /* Xen: -EINVAL */
}
