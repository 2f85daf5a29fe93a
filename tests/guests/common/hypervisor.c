/* Which hypervisor the test kernel runs on, for the few checks where Keel
 * deliberately differs from Xen (each says why where it asks). */
#include "family.h"

/* Keel's XENVER_extraversion contains "keel". */
bool on_keel(void)
{
    char extra[16] = { 0 };
    if (HYPERVISOR_xen_version(XENVER_extraversion, extra))
        return false;
    for (unsigned i = 0; i + 4 <= sizeof(extra); i++)
        if (!memcmp(extra + i, "keel", 4))
            return true;
    return false;
}
