/* Guest FPU/SSE/AVX state (arch/x86_64/fpu.c). Where the CPU has XSAVE,
 * Keel enables the state components it switches for guests in XCR0 and
 * keeps an XSAVE area (standard form, Intel SDM vol. 1 ch. 13) per vCPU,
 * sized from CPUID leaf 0xD; without XSAVE, a 512-byte FXSAVE image. Each
 * vCPU has its own XCR0 (XSETBV, emulated for PV guests), loaded while it
 * runs. */
#ifndef KEEL_FPU_H
#define KEEL_FPU_H

#include <keel/types.h>
#include <keel/compiler.h>

/* XCR0 / XSTATE_BV bits (state components). */
#define XSTATE_X87      (1UL << 0)
#define XSTATE_SSE      (1UL << 1)
#define XSTATE_YMM      (1UL << 2)
#define XSTATE_BNDREGS  (1UL << 3)
#define XSTATE_BNDCSR   (1UL << 4)
#define XSTATE_OPMASK   (1UL << 5)
#define XSTATE_ZMM_HI256 (1UL << 6)
#define XSTATE_HI16_ZMM (1UL << 7)
#define XSTATE_AVX512   (XSTATE_OPMASK | XSTATE_ZMM_HI256 | XSTATE_HI16_ZMM)
/* What Keel saves and restores for guests (and so may offer): x87, SSE,
 * AVX. MPX and AVX-512 are not switched (no rig here to test them), PKRU
 * is not offered to PV guests (nor is it by Xen). */
#define XSTATE_KEEL     (XSTATE_X87 | XSTATE_SSE | XSTATE_YMM)

#define FXSAVE_SIZE         512
#define XSAVE_HDR_SIZE      64          /* XSTATE_BV, XCOMP_BV, reserved */
#define XSAVE_LEGACY_SIZE   (FXSAVE_SIZE + XSAVE_HDR_SIZE)

struct vcpu;

struct fpu_state {
    uint64_t xcr0;                      /* the guest's XCR0 (0 without XSAVE) */
    void *alloc;                        /* the heap block this lives in */
    uint8_t area[] __aligned(64);       /* XSAVE area or FXSAVE image */
};

/* Per CPU at boot: CR4.OSXSAVE and XCR0 where the CPU has XSAVE (the first
 * call, on the boot CPU, sizes the area and reports what is used). */
void fpu_cpu_init(void);
/* Components a guest may enable in XCR0; 0 when XSAVE is not used. */
uint64_t fpu_xcr0_max(void);
/* Size of a standard-form XSAVE area holding these components. */
uint32_t fpu_xstate_size(uint64_t xcr0);
/* The vCPU's state area (allocated in reset state) and its release. */
int fpu_alloc(struct vcpu *v);
void fpu_free(struct vcpu *v);
/* x87/SSE state from a 512-byte FXSAVE image (VCPUOP_initialise) into a
 * vCPU that is not running: 0, or -EINVAL for an MXCSR the CPU rejects. */
int fpu_load_legacy_image(struct vcpu *v, const uint8_t image[FXSAVE_SIZE]);
/* XSETBV from the running vCPU v: 0, or -EINVAL (the guest gets #GP). */
int fpu_set_xcr(struct vcpu *v, uint32_t index, uint64_t value);

/* The architectural rules for an XCR0 value, restricted to `max`. */
static inline bool xcr0_valid(uint64_t xcr0, uint64_t max)
{
    if (xcr0 & ~max)
        return false;
    if (!(xcr0 & XSTATE_X87))
        return false;                   /* x87 must always be enabled */
    if ((xcr0 & XSTATE_YMM) && !(xcr0 & XSTATE_SSE))
        return false;                   /* AVX builds on SSE */
    if ((xcr0 & XSTATE_AVX512) &&
        (!(xcr0 & XSTATE_YMM) || (xcr0 & XSTATE_AVX512) != XSTATE_AVX512))
        return false;                   /* AVX-512: all three, with AVX */
    if (!(xcr0 & XSTATE_BNDREGS) != !(xcr0 & XSTATE_BNDCSR))
        return false;                   /* MPX: both or neither */
    return true;
}

#endif
