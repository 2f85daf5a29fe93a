/* platform_op (#7, the privileged domain only) (ref/xen-pv-abi.md 5.20,
 * Xen 4.17's xen/arch/x86/platform_hypercall.c for the error codes): what
 * Linux's dom0 asks of the platform at boot. Firmware facts Keel did not
 * collect (EDD disks, EDID, EFI when booted by BIOS) answer as Xen does
 * when it has none. Any other command: -ENOSYS, logged once. */
#include <keel/hypercall.h>
#include <keel/acpi.h>
#include <keel/cpufeature.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/wallclock.h>
#include <public/platform.h>

#define BDA_KBD_SHIFT_FLAGS 0x417       /* BIOS data area: keyboard shift state */

static long firmware_info(struct xenpf_firmware_info *fi)
{
    switch (fi->type) {
    case XEN_FW_DISK_INFO:              /* no EDD data collected: no such disk */
    case XEN_FW_DISK_MBR_SIGNATURE:
    case XEN_FW_VBEDDC_INFO:            /* no EDID */
        return -ESRCH;
    case XEN_FW_EFI_INFO:               /* Keel makes no EFI runtime calls for dom0 */
        return -ENOSYS;
    case XEN_FW_KBD_SHIFT_FLAGS:
        if (fi->index != 0)
            return -ESRCH;
        fi->u[0] = *(const uint8_t *)phys_to_virt(BDA_KBD_SHIFT_FLAGS);
        return 0;
    default:
        return -EINVAL;
    }
}

static unsigned max_present_cpu(void)
{
    unsigned last = 0;
    for (unsigned c = 0; c < NR_CPUS; c++)
        if (cpu_percpu[c])
            last = c;
    return last;
}

static uint32_t acpi_uid_of(uint32_t apic_id)
{
    for (unsigned i = 0; i < acpi_info.nr_cpus; i++)
        if (acpi_info.cpu[i].apic_id == apic_id)
            return acpi_info.cpu[i].acpi_uid;
    return apic_id;
}

static void cpu_info(struct xenpf_pcpuinfo *p)
{
    unsigned c = p->xen_cpuid;
    if (c >= NR_CPUS || !cpu_percpu[c]) {
        p->flags = XEN_PCPU_FLAGS_INVALID;
    } else {
        p->apic_id = cpu_percpu[c]->apic_id;
        p->acpi_id = acpi_uid_of(p->apic_id);
        p->flags = cpu_online(c) ? XEN_PCPU_FLAGS_ONLINE : 0;
    }
    p->max_present = max_present_cpu();
}

static void cpu_version(struct xenpf_pcpu_version *p)
{
    unsigned c = p->xen_cpuid;
    p->max_present = max_present_cpu();
    if (c >= NR_CPUS || !cpu_percpu[c]) {
        memset(p->vendor_id, 0, sizeof(p->vendor_id));
        p->family = p->model = p->stepping = 0;
        return;
    }
    /* Keel runs on one kind of CPU: the boot CPU's identity. */
    memcpy(p->vendor_id, boot_cpu.vendor, sizeof(p->vendor_id));
    p->family = boot_cpu.family;
    p->model = boot_cpu.model;
    p->stepping = boot_cpu.stepping;
}

DECLARE_HYPERCALL(platform_op)
{
    (void)regs, (void)a2, (void)a3, (void)a4, (void)a5;
    struct xen_platform_op op;
    long rc;

    if (copy_from_guest(&op, a1, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XENPF_INTERFACE_VERSION)
        return -EACCES;
    switch (op.cmd) {
    case XENPF_firmware_info:
        rc = firmware_info(&op.u.firmware_info);
        break;
    case XENPF_get_cpuinfo:
        cpu_info(&op.u.pcpu_info);
        rc = 0;
        break;
    case XENPF_get_cpu_version:
        cpu_version(&op.u.pcpu_version);
        rc = 0;
        break;
    case XENPF_settime64:
        if (op.u.settime64.mbz)
            return -EINVAL;
        wallclock_set(op.u.settime64.secs, op.u.settime64.nsecs, op.u.settime64.system_time);
        return 0;
    case XENPF_settime32:
        wallclock_set(op.u.settime32.secs, op.u.settime32.nsecs, op.u.settime32.system_time);
        return 0;
    default:
        return hypercall_unimplemented(v, __HYPERVISOR_platform_op, "platform_op", op.cmd);
    }
    if (!rc && copy_to_guest(a1, &op, sizeof(op)))
        rc = -EFAULT;
    return rc;
}
