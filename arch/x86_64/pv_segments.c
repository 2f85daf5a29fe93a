/* A PV vCPU's data segments: the DS/ES/FS/GS selectors and the FS/GS
 * bases, saved when the vCPU leaves its CPU and loaded when it comes back.
 * A selector the guest loaded may no longer be loadable by then (its GDT or
 * LDT entry changed): Keel loads the null selector instead and enters the
 * guest's failsafe callback with the selectors it could not load
 * (ref/xen-pv-abi.md 3.6; Xen's load_segments). While a vCPU runs, the
 * CPU's registers are the truth: the guest may change its bases itself
 * (a segment load, WRFSBASE/WRGSBASE), so they are read back, not assumed. */
#include <keel/vcpu.h>
#include <keel/desc.h>
#include <keel/domain.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/x86.h>

#define RFLAGS_TF       (1UL << 8)
#define RFLAGS_IOPL     (3UL << 12)
#define RFLAGS_NT       (1UL << 14)
#define RFLAGS_RF       (1UL << 16)
#define RFLAGS_VM       (1UL << 17)
#define RFLAGS_AC       (1UL << 18)

/* mov sel, %seg that cannot fault Keel: on #GP/#NP/#TS the fixup skips
 * the instruction and `ok` stays false; the null selector is loaded then. */
#define DEFINE_LOAD_SEL(seg)                                            \
    static bool load_##seg(uint16_t sel)                                \
    {                                                                   \
        bool ok = false;                                                \
        __asm__ __volatile__("1: mov %k1, %%" #seg "\n\t"               \
                             "movb $1, %0\n\t"                          \
                             "2:\n\t"                                   \
                             EX_TABLE_ENTRY(1b, 2b)                     \
                             : "+qm"(ok) : "r"((uint32_t)sel));         \
        if (!ok)                                                        \
            __asm__ __volatile__("mov %k0, %%" #seg : : "r"(0u));       \
        return ok;                                                      \
    }
DEFINE_LOAD_SEL(ds)
DEFINE_LOAD_SEL(es)
DEFINE_LOAD_SEL(fs)
DEFINE_LOAD_SEL(gs)

static inline uint16_t read_sel_ds(void) { uint16_t s; __asm__ __volatile__("mov %%ds, %0" : "=r"(s)); return s; }
static inline uint16_t read_sel_es(void) { uint16_t s; __asm__ __volatile__("mov %%es, %0" : "=r"(s)); return s; }
static inline uint16_t read_sel_fs(void) { uint16_t s; __asm__ __volatile__("mov %%fs, %0" : "=r"(s)); return s; }
static inline uint16_t read_sel_gs(void) { uint16_t s; __asm__ __volatile__("mov %%gs, %0" : "=r"(s)); return s; }

void pv_save_segments(struct vcpu *v)
{
    v->ds = read_sel_ds();
    v->es = read_sel_es();
    v->fs = read_sel_fs();
    v->gs = read_sel_gs();
    v->fs_base = rdmsr(MSR_FS_BASE);
    uint64_t active = rdmsr(MSR_GS_BASE), inactive = rdmsr(MSR_KERNEL_GS_BASE);
    v->gs_base_kernel = v->kernel_mode ? active : inactive;
    v->gs_base_user = v->kernel_mode ? inactive : active;
}

/* The failsafe frame (ref 3.6), lowest address first: RCX, R11, DS, ES,
 * FS, GS, RIP, CS|mask<<32, RFLAGS, RSP, SS; entered in kernel mode. */
static void enter_failsafe(struct vcpu *v, struct cpu_regs *regs, const uint16_t sel[4])
{
    if (!v->failsafe_callback) {
        domain_crash(v->d, "a data segment selector could not be reloaded "
                     "(ds %x es %x fs %x gs %x) and no failsafe callback is registered",
                     sel[0], sel[1], sel[2], sel[3]);
        pv_leave_to_idle();
    }
    uint64_t sp = (v->kernel_mode ? regs->rsp : v->kernel_sp) & ~15UL;
    bool masked = pv_events_masked(v);
    uint64_t rflags = (regs->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) | (masked ? 0 : RFLAGS_IF);
    if (v->kernel_mode)
        regs->cs &= ~3UL;               /* interrupted kernel context */
    else
        pv_toggle_guest_mode(v);
    uint64_t frame[11] = {
        regs->rcx, regs->r11, sel[0], sel[1], sel[2], sel[3], regs->rip,
        regs->cs | ((uint64_t)masked << 32), rflags, regs->rsp, regs->ss,
    };
    sp -= sizeof(frame);
    if (copy_to_guest(sp, frame, sizeof(frame))) {
        domain_crash(v->d, "cannot write a failsafe callback frame at %lx", sp);
        pv_leave_to_idle();
    }
    if (v->failsafe_masks_events)
        pv_set_events_masked(v, true);
    regs->rflags &= ~(RFLAGS_AC | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT | RFLAGS_IOPL | RFLAGS_TF);
    regs->rflags |= RFLAGS_IF;
    regs->ss = FLAT_RING3_DS;
    regs->rsp = sp;
    regs->cs = FLAT_RING3_CS64;
    regs->rip = v->failsafe_callback;
}

/* After v's GDT and LDT are in place. A null selector already in the
 * register needs no load (a non-null one does even if equal: its
 * descriptor may come from another vCPU's tables). */
void pv_load_segments(struct vcpu *v, struct cpu_regs *regs)
{
    bool ok = true;
    if (v->ds || read_sel_ds())
        ok &= load_ds(v->ds);
    if (v->es || read_sel_es())
        ok &= load_es(v->es);
    if (v->fs || read_sel_fs())
        ok &= load_fs(v->fs);
    if (v->gs || read_sel_gs())
        ok &= load_gs(v->gs);
    /* Selector loads set bases of their own: the saved ones win. */
    wrmsr(MSR_FS_BASE, v->fs_base);
    wrmsr(MSR_GS_BASE, v->kernel_mode ? v->gs_base_kernel : v->gs_base_user);
    wrmsr(MSR_KERNEL_GS_BASE, v->kernel_mode ? v->gs_base_user : v->gs_base_kernel);
    if (!ok) {
        const uint16_t sel[4] = { v->ds, v->es, v->fs, v->gs };
        v->ds = read_sel_ds(), v->es = read_sel_es();
        v->fs = read_sel_fs(), v->gs = read_sel_gs();
        log_debug("domain %u vCPU %u: segment reload failed, failsafe callback\n", v->d->id, v->id);
        enter_failsafe(v, regs, sel);
    }
}

/* set_segment_base(SEGBASE_GS_USER_SEL, sel) from guest kernel mode: the
 * user GS selector is loaded with the user GS base active (SWAPGS around
 * the load, as Keel itself never uses GS); the base the load gives becomes
 * the user GS base. A selector that does not load leaves null (Xen too). */
void pv_load_user_gs_selector(struct vcpu *v, uint16_t sel)
{
    __asm__ __volatile__("swapgs" ::: "memory");
    load_gs(sel);
    v->gs_base_user = rdmsr(MSR_GS_BASE);
    __asm__ __volatile__("swapgs" ::: "memory");
}
