/* Guest FPU/SSE/AVX state. With XSAVE: each vCPU has a standard-form XSAVE
 * area and its own XCR0. Switching in loads XCR0 = every component Keel
 * enables, XRSTORs the whole area (components absent from its XSTATE_BV
 * get their init state), then loads the vCPU's XCR0; so no register state
 * of another vCPU survives a switch, even in components this vCPU has not
 * enabled yet (it may enable them later with XSETBV, which changes only
 * XCR0). Switching out XSAVEs what the vCPU's XCR0 covers; anything else
 * in the registers is still what its own area held. Without XSAVE:
 * FXSAVE/FXRSTOR. The virtual CR0.TS a guest sets with fpu_taskswitch is
 * the real CR0.TS while it runs, so its own lazy FPU switching sees #NM as
 * on hardware. */
#include <keel/fpu.h>
#include <keel/cpufeature.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

#define FCW_RESET       0x037f          /* all exceptions masked, 64-bit precision */
#define MXCSR_RESET     0x1f80          /* all masked, round to nearest */
#define FCW_OFFSET      0
#define MXCSR_OFFSET    24
#define XSTATE_BV_OFFSET FXSAVE_SIZE

static uint64_t xcr0_max;               /* 0: XSAVE not used */
static uint32_t area_size = FXSAVE_SIZE;

uint64_t fpu_xcr0_max(void)
{
    return xcr0_max;
}

uint32_t fpu_xstate_size(uint64_t xcr0)
{
    uint32_t size = XSAVE_LEGACY_SIZE;
    for (unsigned i = 2; i < 63; i++) {
        if (!(xcr0 & (1UL << i)))
            continue;
        uint32_t a, b, c, d;            /* a: size, b: offset in the standard form */
        cpuid_count(0xd, i, &a, &b, &c, &d);
        if (b + a > size)
            size = b + a;
    }
    return size;
}

static void fpu_report(void)
{
    if (!xcr0_max) {
        log_info("fpu: FXSAVE (no XSAVE), guest state %u bytes\n", area_size);
        return;
    }
    log_info("fpu: XSAVE, XCR0 %#lx (x87 SSE%s), guest state %u bytes\n", xcr0_max,
             xcr0_max & XSTATE_YMM ? " AVX" : "", area_size);
}

void fpu_cpu_init(void)
{
    static bool sized;
    if (!sized) {
        sized = true;
        if (boot_cpu.xsave) {
            uint32_t a, b, c, d;
            cpuid_count(0xd, 0, &a, &b, &c, &d);
            uint64_t host = ((uint64_t)d << 32) | a;
            uint64_t want = host & XSTATE_KEEL;
            if (xcr0_valid(want, host) && (want & XSTATE_SSE)) {
                xcr0_max = want;
                area_size = fpu_xstate_size(want);
            }
        }
        fpu_report();
    }
    if (!xcr0_max)
        return;
    write_cr4(read_cr4() | CR4_OSXSAVE);
    xsetbv(0, xcr0_max);
}

static void reset_state(struct fpu_state *f)
{
    uint16_t fcw = FCW_RESET;
    uint32_t mxcsr = MXCSR_RESET;
    memset(f->area, 0, area_size);
    memcpy(&f->area[FCW_OFFSET], &fcw, sizeof(fcw));
    memcpy(&f->area[MXCSR_OFFSET], &mxcsr, sizeof(mxcsr));
    f->xcr0 = 0;
    if (xcr0_max) {
        /* x87 and SSE as stored; XCOMP_BV 0 (standard form). */
        uint64_t bv = XSTATE_X87 | XSTATE_SSE;
        memcpy(&f->area[XSTATE_BV_OFFSET], &bv, sizeof(bv));
        f->xcr0 = XSTATE_X87 | XSTATE_SSE;     /* what Xen loads for a new vCPU */
    }
}

void fpu_init_state(struct vcpu *v)
{
    reset_state(v->fpu);
}

int fpu_alloc(struct vcpu *v)
{
    /* The heap aligns to 16: take enough to align the area to 64. */
    size_t bytes = sizeof(struct fpu_state) + area_size + 64;
    void *raw = kmalloc(bytes);
    if (!raw)
        return -ENOMEM;
    struct fpu_state *f = (struct fpu_state *)ALIGN_UP((uintptr_t)raw, 64);
    f->alloc = raw;
    v->fpu = f;
    reset_state(f);
    return 0;
}

void fpu_free(struct vcpu *v)
{
    if (v->fpu)
        kfree(v->fpu->alloc);
    v->fpu = NULL;
}

/* MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK; 0 there means the
 * architectural default 0xffbf, SDM vol. 1 11.6.6). */
static uint32_t mxcsr_mask(void)
{
    static uint8_t img[FXSAVE_SIZE] __aligned(16);
    uint32_t mask;
    __asm__ __volatile__("fxsave64 %0" : "=m"(img));
    memcpy(&mask, &img[MXCSR_OFFSET + 4], sizeof(mask));
    return mask ? mask : 0xffbf;
}

int fpu_load_legacy_image(struct vcpu *v, const uint8_t image[FXSAVE_SIZE])
{
    uint32_t mxcsr;
    memcpy(&mxcsr, &image[MXCSR_OFFSET], sizeof(mxcsr));
    if (mxcsr & ~mxcsr_mask())
        return -EINVAL;                 /* FXRSTOR/XRSTOR would fault on it */
    struct fpu_state *f = v->fpu;
    memcpy(f->area, image, FXSAVE_SIZE);
    if (xcr0_max) {
        uint64_t bv = XSTATE_X87 | XSTATE_SSE;
        memset(&f->area[FXSAVE_SIZE], 0, XSAVE_HDR_SIZE);
        memcpy(&f->area[XSTATE_BV_OFFSET], &bv, sizeof(bv));
    }
    return 0;
}

int fpu_set_xcr(struct vcpu *v, uint32_t index, uint64_t value)
{
    if (!xcr0_max || index != 0 || !xcr0_valid(value, xcr0_max))
        return -EINVAL;
    v->fpu->xcr0 = value;
    xsetbv(0, value);                   /* v is running: its state is live */
    return 0;
}

void fpu_save(struct vcpu *v)
{
    uint8_t *area = v->fpu->area;
    __asm__ __volatile__("clts" ::: "memory");
    /* Only the components the area has room for: a PVH guest on a CPU
     * that does not intercept XSETBV (QEMU TCG) may have set more. */
    if (xcr0_max)
        __asm__ __volatile__("xsave64 (%0)" : : "r"(area), "a"((uint32_t)xcr0_max),
                             "d"((uint32_t)(xcr0_max >> 32)) : "memory");
    else
        __asm__ __volatile__("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(struct vcpu *v)
{
    const struct fpu_state *f = v->fpu;
    __asm__ __volatile__("clts" ::: "memory");
    if (xcr0_max) {
        if (xgetbv(0) != xcr0_max)
            xsetbv(0, xcr0_max);
        __asm__ __volatile__("xrstor64 (%0)" : : "r"(f->area), "a"(~0U), "d"(~0U) : "memory");
        if (f->xcr0 != xcr0_max)
            xsetbv(0, f->xcr0);
    } else {
        __asm__ __volatile__("fxrstor64 (%0)" : : "r"(f->area) : "memory");
    }
    if (v->fpu_ts)
        write_cr0(read_cr0() | CR0_TS);
}
