/* VMX control values from the capability MSRs: pure logic, unit-tested on
 * the host (tests/unit/test_vmx_controls.c). SDM vol. 3 A.3-A.5, A.7-A.8. */
#include <keel/vmx_caps.h>

int vmx_ctl_compute(uint64_t cap_msr, uint32_t required, uint32_t optional, uint32_t *out)
{
    uint32_t must1 = (uint32_t)cap_msr, may1 = (uint32_t)(cap_msr >> 32);

    if (required & ~may1)
        return -1;
    *out = (must1 | required | (optional & may1)) & may1;
    return 0;
}

bool vmx_ctl_valid(uint64_t cap_msr, uint32_t value)
{
    uint32_t must1 = (uint32_t)cap_msr, may1 = (uint32_t)(cap_msr >> 32);
    return (value & must1) == must1 && !(value & ~may1);
}

uint64_t vmx_cr_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value | fixed0) & fixed1;
}
