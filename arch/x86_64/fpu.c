/* Guest FPU/SSE state (FXSAVE format; Intel SDM vol. 1, 10.5.1). The
 * virtual CR0.TS a guest sets with fpu_taskswitch is the real CR0.TS while
 * it runs, so its own lazy FPU switching sees #NM as on hardware. State
 * beyond SSE (AVX, XSAVE) is not offered to PV guests yet (pv_cpuid.c). */
#include <keel/vcpu.h>
#include <keel/string.h>
#include <keel/x86.h>

void fpu_init_state(struct vcpu *v)
{
    memset(v->fpu, 0, sizeof(v->fpu));
    uint16_t fcw = 0x037f;
    uint32_t mxcsr = 0x1f80;
    memcpy(&v->fpu[0], &fcw, sizeof(fcw));      /* FCW: all exceptions masked */
    memcpy(&v->fpu[24], &mxcsr, sizeof(mxcsr)); /* MXCSR: all masked, round nearest */
}

void fpu_save(struct vcpu *v)
{
    __asm__ __volatile__("clts; fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu));
}

void fpu_restore(struct vcpu *v)
{
    __asm__ __volatile__("clts; fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])v->fpu));
    if (v->fpu_ts)
        write_cr0(read_cr0() | CR0_TS);
}
