/* Xen PV guest ABI: platform_op (hypercall 7, dom0 only). Only the commands
 * and structures listed in shared/ref/xen-pv-abi.md §5.20. */
#ifndef KEEL_PUBLIC_PLATFORM_H
#define KEEL_PUBLIC_PLATFORM_H

#include <public/xen.h>

#define XENPF_INTERFACE_VERSION     0x03000001

#define XENPF_settime32             17
#define XENPF_add_memtype           31
#define XENPF_del_memtype           32
#define XENPF_read_memtype          33
#define XENPF_microcode_update      35
#define XENPF_platform_quirk        39
#define XENPF_get_cpu_version       48
#define XENPF_efi_runtime_call      49
#define XENPF_firmware_info         50
#define XENPF_enter_acpi_sleep      51
#define XENPF_change_freq           52
#define XENPF_getidletime           53
#define XENPF_set_processor_pminfo  54
#define XENPF_get_cpuinfo           55
#define XENPF_cpu_online            56
#define XENPF_cpu_offline           57
#define XENPF_cpu_hotadd            58
#define XENPF_mem_hotadd            59
#define XENPF_core_parking          60
#define XENPF_resource_op           61
#define XENPF_settime64             62
#define XENPF_get_symbol            63
#define XENPF_get_dom0_console      64
#define XENPF_get_ucode_revision    65
#define XENPF_microcode_update2     66

/* firmware_info.type */
#define XEN_FW_DISK_INFO            1
#define XEN_FW_DISK_MBR_SIGNATURE   2
#define XEN_FW_VBEDDC_INFO          3
#define XEN_FW_EFI_INFO             4
#define XEN_FW_KBD_SHIFT_FLAGS      5

/* get_cpuinfo.flags */
#define XEN_PCPU_FLAGS_ONLINE       1
#define XEN_PCPU_FLAGS_INVALID      2

#ifndef __ASSEMBLY__
struct xenpf_firmware_info {
    uint32_t type;              /* XEN_FW_* */
    uint32_t index;
    uint8_t  u[32];             /* per-type payload */
};
_Static_assert(sizeof(struct xenpf_firmware_info) == 40, "firmware_info size");

struct xenpf_pcpuinfo {
    uint32_t xen_cpuid;         /* in */
    uint32_t max_present;       /* out */
    uint32_t flags;             /* out: XEN_PCPU_FLAGS_* */
    uint32_t apic_id;
    uint32_t acpi_id;
};
_Static_assert(sizeof(struct xenpf_pcpuinfo) == 20, "pcpuinfo size");

struct xenpf_pcpu_version {
    uint32_t xen_cpuid;
    uint32_t max_present;
    char     vendor_id[12];
    uint32_t family;
    uint32_t model;
    uint32_t stepping;
};
_Static_assert(offsetof(struct xenpf_pcpu_version, vendor_id) == 8, "pcpu_version.vendor_id");
_Static_assert(offsetof(struct xenpf_pcpu_version, family) == 20, "pcpu_version.family");

struct xenpf_settime64 {
    uint64_t secs;
    uint32_t nsecs;
    uint32_t mbz;
    uint64_t system_time;
};
_Static_assert(sizeof(struct xenpf_settime64) == 24, "settime64 size");
_Static_assert(offsetof(struct xenpf_settime64, system_time) == 16, "settime64.system_time");

struct xenpf_settime32 {
    uint32_t secs;
    uint32_t nsecs;
    uint64_t system_time;
};
_Static_assert(sizeof(struct xenpf_settime32) == 16, "settime32 size");

struct xen_platform_op {
    uint32_t cmd;               /* XENPF_* */
    uint32_t interface_version; /* XENPF_INTERFACE_VERSION */
    union {
        struct xenpf_firmware_info firmware_info;
        struct xenpf_pcpuinfo pcpu_info;
        struct xenpf_pcpu_version pcpu_version;
        struct xenpf_settime64 settime64;
        struct xenpf_settime32 settime32;
        struct dom0_vga_console_info dom0_console;
        uint8_t pad[128];
    } u;
};
_Static_assert(sizeof(struct xen_platform_op) == 136, "xen_platform_op size");
_Static_assert(offsetof(struct xen_platform_op, u) == 8, "xen_platform_op.u");
#endif

#endif
