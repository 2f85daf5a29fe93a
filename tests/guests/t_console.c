/* console: console_io (hypercall 18, ref §5.12) as dom0 uses it. Writes of
 * buffers that are NULL, unmapped, non-canonical, wrap around, lie in the
 * hypervisor area (even the M2P, which the guest may read directly) or run
 * off the end of the mapped region fail with -EFAULT and print nothing
 * (Xen copies in chunks and gives up at the first bad chunk); count 0 is a
 * successful no-op whatever the pointer; unknown commands are -ENOSYS.
 * All codes below are what Xen 4.17 returned. */
#include "guest.h"

GUEST_TEST("console");

#define EFAULT 14
#define ENOSYS 38

static long cwrite(unsigned count, uint64_t buf)
{
    return HYPERVISOR_console_io(CONSOLEIO_write, count, (const void *)buf);
}

static void check_writes(void)
{
    uint64_t end = region_end();
    static char big[5000];

    /* The last 16 mapped bytes: a valid buffer right at the edge. */
    memcpy((char *)end - 16, "[console] edge: ", 16);
    check_eq("write of the last 16 mapped bytes", cwrite(16, end - 16), 0);
    printk("ok\n");

    check_eq("count 0, NULL", cwrite(0, 0), 0);
    check_eq("count 0, valid", cwrite(0, (uint64_t)"x"), 0);
    check_eq("count 0, hypervisor area", cwrite(0, HYPERVISOR_VIRT_START), 0);

    check_eq("NULL", cwrite(10, 0), -EFAULT);
    check_eq("unmapped low page", cwrite(16, 0x1000), -EFAULT);
    check_eq("17 bytes crossing the region end", cwrite(17, end - 16), -EFAULT);
    check_eq("200 bytes crossing the region end", cwrite(200, end - 16), -EFAULT);
    check_eq("huge count (0xffffffff)", cwrite(0xffffffffU, end - 16), -EFAULT);
    check_eq("wrapping past 2^64", cwrite(0x100, 0xfffffffffffffff0UL), -EFAULT);
    check_eq("into the non-canonical hole", cwrite(16, 0x00007ffffffffff8UL), -EFAULT);
    check_eq("non-canonical", cwrite(16, 0x0000800000000000UL), -EFAULT);
    check_eq("M2P (hypervisor area)", cwrite(16, MACH2PHYS_VIRT_START), -EFAULT);
    check_eq("hypervisor direct map", cwrite(16, 0xffff830000000000UL), -EFAULT);
    check_eq("hypervisor area end", cwrite(16, HYPERVISOR_VIRT_END - 8), -EFAULT);

    /* A long write (Xen preempts and continues it transparently). */
    for (unsigned i = 0; i < sizeof(big); i++)
        big[i] = (i % 100 == 99) ? '\n' : (char)('a' + (i / 100) % 26);
    check_eq("5000-byte write", cwrite(sizeof(big), (uint64_t)big), 0);
}

static void check_reads_and_commands(void)
{
    char buf[64];
    long rc;

    check_eq("read, count 0", HYPERVISOR_console_io(CONSOLEIO_read, 0, buf), 0);
    rc = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf);
    check(rc >= 0 && rc <= (long)sizeof(buf), "read of 64 bytes = %ld", rc);
    /* Nothing is copied when no input is buffered (Xen: 0); with input a
     * NULL buffer is -EFAULT. */
    rc = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), NULL);
    check(rc == 0 || rc == -EFAULT, "read to NULL = %ld", rc);

    check_eq("command 2", HYPERVISOR_console_io(2, 16, "abc"), -ENOSYS);
    check_eq("command 0xffffffff", HYPERVISOR_console_io(0xffffffffU, 16, "abc"), -ENOSYS);
}

void test_main(void)
{
    check_writes();
    check_reads_and_commands();
}
