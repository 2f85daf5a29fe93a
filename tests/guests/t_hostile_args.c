/* hostile_args: thousands of hypercalls whose pointer arguments all point
 * where the guest has nothing (NULL, unmapped, non-canonical, the
 * hypervisor's area) and whose other arguments are extremes. The guest owns
 * no memory at those addresses, so no call may succeed in writing anything
 * of its own; the hypervisor must refuse each call and keep running. The
 * verdict is that the guest survives to print it (and, on Keel, that no
 * hypercall crashed it). Calls that would legitimately stop or block the
 * vCPU (sched_op, iret) or touch the machine (kexec, platform/sysctl
 * families) are left out. */
#include "guest.h"

GUEST_TEST("hostile_args");

static const uint64_t junk[] = {
    0, 1, ~0UL, 0x7fffffffUL, 0x80000000UL,
    0x0000800000000000UL,               /* first non-canonical address */
    0x00007ffffffff000UL,               /* unmapped user address below the hole */
    0xffff800000000000UL,               /* M2P (hypervisor area) */
    0xffff828000200000UL,               /* hypervisor image */
    0xffff830000000000UL,               /* hypervisor direct map */
    0xffff87fffffffff8UL,               /* last hypervisor bytes */
    0x00000dead0000000UL,               /* unmapped */
};
/* Hypercalls served by Keel plus some it refuses; all with junk pointers. */
static const unsigned calls[] = { 0, 1, 2, 4, 5, 9, 10, 12, 13, 14, 17, 18, 21, 24, 26, 30, 32, 33 };

static uint64_t rng = 0x12345678;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The hypercall page slot is a constant in each call: one case per number. */
#define CASE(n) case n: return _hypercall5(n, a[0], a[1], a[2], a[3], a[4])
static long call(unsigned nr, const uint64_t a[5])
{
    switch (nr) {
    CASE(0); CASE(1); CASE(2); CASE(4); CASE(5); CASE(9); CASE(10); CASE(12); CASE(13);
    CASE(14); CASE(17); CASE(18); CASE(21); CASE(24); CASE(26); CASE(30); CASE(32); CASE(33);
    default: return -38;
    }
}

void test_main(void)
{
    unsigned n = 0, refused = 0;
    for (unsigned i = 0; i < 3000; i++) {
        unsigned nr = calls[next() % (sizeof(calls) / sizeof(calls[0]))];
        uint64_t a[5];
        for (unsigned k = 0; k < 5; k++)
            a[k] = (next() & 1) ? junk[next() % (sizeof(junk) / sizeof(junk[0]))] : next() % 64;
        /* Sub-op numbers stay small so every family's sub-ops are reached;
         * set_trap_table/set_callbacks/set_gdt take pointers first. */
        if (nr == 17 || nr == 12 || nr == 18 || nr == 26 || nr == 30 || nr == 32 || nr == 33 ||
            nr == 21 || nr == 24)
            a[0] = next() % 24;
        if (nr == 18 && a[0] == 0 && a[2] < 64)
            a[2] = 0x00007ffffffff000UL;    /* console_io write: never from our own memory */
        long rc = call(nr, a);
        n++;
        if (rc < 0)
            refused++;
    }
    printk("[hostile_args] %u hypercalls made, %u refused\n", n, refused);
    check(refused > n / 2, "only %u of %u junk hypercalls were refused", refused, n);
}
