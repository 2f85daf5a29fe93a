/* Self-test: guest copies fail safely on unmapped memory and on addresses
 * that are not the guest's. */
#include <keel/selftest.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/log.h>

static int test_guest_access(void)
{
    int failed = 0;
    uint64_t v = 0;
    /* Low memory is not mapped in the hypervisor's own tables. */
    ST_CHECK(copy_from_guest(&v, 0x1000, sizeof(v)) == -EFAULT);
    ST_CHECK(copy_to_guest(0x2000, &v, sizeof(v)) == -EFAULT);
    /* Hypervisor addresses are refused before any access. */
    ST_CHECK(copy_from_guest(&v, (uint64_t)&v, sizeof(v)) == -EFAULT);
    ST_CHECK(copy_from_guest(&v, 0x00007ffffffffffcUL, 8) == -EFAULT);
    ST_CHECK(copy_from_guest(&v, 0xffffffffffffffffUL, 2) == -EFAULT);
    char s[8];
    ST_CHECK(copy_string_from_guest(s, 0x3000, sizeof(s)) == -EFAULT);
    return failed;
}
selftest("guest access faults are contained", test_guest_access);
