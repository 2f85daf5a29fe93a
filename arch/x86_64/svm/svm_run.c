/* SVM: one entry into the guest and the exit turned into the vendor-neutral
 * struct hvm_exit (keel/hvm_vendor.h). Exit codes and EXITINFO meanings:
 * AMD APM vol. 2, 15.7-15.13 and appendix C. */
#include "vmcb.h"
#include <keel/hvm_vendor.h>
#include <keel/string.h>
#include <keel/traps.h>
#include <keel/x86.h>

static inline void clgi(void) { __asm__ __volatile__("clgi" ::: "memory"); }
static inline void stgi(void) { __asm__ __volatile__("stgi" ::: "memory"); }

/* Length of the exiting instruction: from NRIP where the CPU saves it. */
static unsigned nrip_len(const struct vmcb *vm, uint64_t rip)
{
    if (!svm_has_nrips || vm->nrip <= rip || vm->nrip - rip > 15)
        return 0;
    return (unsigned)(vm->nrip - rip);
}

static void decode_io(const struct vmcb *vm, struct hvm_exit *e, uint64_t rip)
{
    uint64_t i = vm->exitinfo1;
    e->reason = HVM_EXIT_IO;
    e->io.port = (uint16_t)(i >> 16);
    e->io.size = (i & (1U << 4)) ? 1 : (i & (1U << 5)) ? 2 : 4;
    e->io.in = i & 1;
    e->io.string = i & (1U << 2);
    e->io.rep = i & (1U << 3);
    /* AMD APM vol. 2 15.10.2: A16/A32/A64 in bits 7-9, the segment of OUTS
     * in bits 10-12 (ES CS SS DS FS GS, as enum hvm_seg_id). */
    e->io.addr_size = (i & (1U << 9)) ? 8 : (i & (1U << 8)) ? 4 : (i & (1U << 7)) ? 2 : 0;
    e->io.seg = (uint8_t)(((i >> 10) & 7) + 1);
    /* EXITINFO2 is the next RIP for IOIO even without NRIP save. */
    if (vm->exitinfo2 > rip && vm->exitinfo2 - rip <= 15)
        e->insn_len = (unsigned)(vm->exitinfo2 - rip);
}

static enum hvm_exit_reason reason_of(uint64_t code)
{
    switch (code) {
    case SVM_EXIT_INTR: case SVM_EXIT_SMI: return HVM_EXIT_INTR;
    case SVM_EXIT_NMI: return HVM_EXIT_NMI;
    case SVM_EXIT_VINTR: return HVM_EXIT_INTR_WINDOW;
    case SVM_EXIT_CPUID: return HVM_EXIT_CPUID;
    case SVM_EXIT_HLT: return HVM_EXIT_HLT;
    case SVM_EXIT_VMMCALL: return HVM_EXIT_HYPERCALL;
    case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE: case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT: case SVM_EXIT_INVLPGA: case SVM_EXIT_MONITOR:
    case SVM_EXIT_MWAIT: case SVM_EXIT_MWAIT_COND:
        return HVM_EXIT_VIRT_INSN;
    case SVM_EXIT_XSETBV: return HVM_EXIT_XSETBV;
    case SVM_EXIT_PAUSE: return HVM_EXIT_PAUSE;
    case SVM_EXIT_INVD: return HVM_EXIT_INVD;
    case SVM_EXIT_SHUTDOWN: return HVM_EXIT_SHUTDOWN;
    case SVM_EXIT_INVALID: return HVM_EXIT_INVALID;
    default: return HVM_EXIT_OTHER;
    }
}

static void decode_exit(const struct vmcb *vm, struct cpu_regs *regs, struct hvm_exit *e,
                        uint64_t rip)
{
    memset(e, 0, sizeof(*e));
    e->raw = vm->exitcode;
    e->info1 = vm->exitinfo1;
    e->info2 = vm->exitinfo2;
    e->reason = reason_of(vm->exitcode);
    switch (vm->exitcode) {
    case SVM_EXIT_IOIO:
        decode_io(vm, e, rip);
        return;
    case SVM_EXIT_MSR:
        e->reason = vm->exitinfo1 ? HVM_EXIT_MSR_WRITE : HVM_EXIT_MSR_READ;
        e->msr.index = (uint32_t)regs->rcx;
        break;
    case SVM_EXIT_NPF:
        e->reason = HVM_EXIT_NPF;
        e->npf.gpa = vm->exitinfo2;
        e->npf.present = vm->exitinfo1 & 1;
        e->npf.write = vm->exitinfo1 & 2;
        e->npf.exec = vm->exitinfo1 & 16;
        e->npf.read = !e->npf.write && !e->npf.exec;
        e->npf.walk = vm->exitinfo1 & (1UL << 33);  /* in the guest's table walk (APM 15.25.6) */
        break;
    default:
        if (vm->exitcode >= SVM_EXIT_EXC_BASE && vm->exitcode < SVM_EXIT_EXC_BASE + 32) {
            e->reason = HVM_EXIT_EXCEPTION;
            e->exception.vector = (uint8_t)(vm->exitcode - SVM_EXIT_EXC_BASE);
            e->exception.error = (uint32_t)vm->exitinfo1;
        }
        break;
    }
    e->insn_len = nrip_len(vm, rip);
}

void svm_run(struct vcpu *v, struct cpu_regs *regs, struct hvm_exit *exit)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *vm = s->vmcb;
    /* RIP, RSP, RFLAGS, RAX and EVENTINJ are never cached (no clean bit). */
    vm->rip = regs->rip;
    vm->rsp = regs->rsp;
    vm->rflags = regs->rflags;
    vm->rax = regs->rax;
    svm_asid_for_entry(s);
    /* Last: the ASID may just have changed. Without clean bits (and the
     * check) the field stays 0, at the cost of one test. */
    if (svm_has_clean_bits || svm_clean_check)
        vm->clean = svm_clean_for_entry(s);
    /* With GIF clear nothing is delivered to the host; IF set means that
     * physical interrupts arriving in the guest exit (V_INTR_MASKING). */
    clgi();
    irq_enable();
    svm_enter(s->vmcb_pa, regs, svm_host_area());
    irq_disable();
    stgi();
    if (svm_clean_check)
        svm_clean_check_exit(s);
    regs->rip = vm->rip;
    regs->rsp = vm->rsp;
    regs->rflags = vm->rflags;
    regs->rax = vm->rax;
    vm->eventinj = 0;
    /* An event whose delivery the exit interrupted is delivered again. */
    if (vm->exitintinfo & SVM_EVT_VALID)
        vm->eventinj = vm->exitintinfo;
    decode_exit(vm, regs, exit, vm->rip);
}

/* Decode assists: the VMCB holds the bytes fetched at the #NPF, their
 * number in bits 3:0 of the byte before them (APM vol. 2 §15.33.5). */
unsigned svm_insn_bytes(struct vcpu *v, uint8_t *buf)
{
    const struct vmcb *vm = svm_of(v)->vmcb;
    unsigned n = svm_has_decode_assists ? vm->insn_len & 0xf : 0;
    memcpy(buf, vm->insn_bytes, n);
    return n;
}
