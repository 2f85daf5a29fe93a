/* segment_bases: set_segment_base (#25, ref §5.7) and the emulated base
 * MSRs (ref §8.2). The FS base and the kernel GS base take effect at once
 * (%fs:0 and %gs:0 read through them); the user GS base is kept for user
 * mode and does not disturb the kernel's; the MSR views agree; a
 * non-canonical base is refused. */
#include "guest.h"

GUEST_TEST("segment_bases");

#define EINVAL 22

static uint64_t fs_page[512] __attribute__((aligned(4096)));
static uint64_t gs_page[512] __attribute__((aligned(4096)));
static uint64_t ugs_page[512] __attribute__((aligned(4096)));

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

void test_main(void)
{
    fs_page[0] = 0x1111111111111111UL;
    gs_page[0] = 0x2222222222222222UL;
    ugs_page[0] = 0x3333333333333333UL;
    uint64_t v;

    check_eq("SEGBASE_FS", HYPERVISOR_set_segment_base(SEGBASE_FS, (uint64_t)fs_page), 0);
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(v));
    check_eq("%fs:0 reads through the new base", v, fs_page[0]);
    check_eq("SEGBASE_GS_KERNEL", HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (uint64_t)gs_page), 0);
    __asm__ __volatile__("movq %%gs:0, %0" : "=r"(v));
    check_eq("%gs:0 reads through the kernel GS base", v, gs_page[0]);
    check_eq("SEGBASE_GS_USER", HYPERVISOR_set_segment_base(SEGBASE_GS_USER, (uint64_t)ugs_page), 0);
    __asm__ __volatile__("movq %%gs:0, %0" : "=r"(v));
    check_eq("the user GS base leaves the kernel's alone", v, gs_page[0]);

    check_eq("rdmsr FS_BASE", rdmsr(0xc0000100), (uint64_t)fs_page);
    check_eq("rdmsr GS_BASE (kernel's while in kernel mode)", rdmsr(0xc0000101), (uint64_t)gs_page);
    check_eq("rdmsr KERNEL_GS_BASE (the inactive, user one)", rdmsr(0xc0000102), (uint64_t)ugs_page);

    check_eq("non-canonical FS base", HYPERVISOR_set_segment_base(SEGBASE_FS, 0x0000800000000000UL), -EINVAL);
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(v));
    check_eq("FS base unchanged after the refusal", v, fs_page[0]);
}
