/* Nested page faults Keel serves: the vCPU's xAPIC page (vlapic.c), never
 * mapped in the p2m (hvm_p2m_set refuses its gfn; the PVH memory map keeps
 * RAM below it). The faulting instruction comes from the exit (SVM decode
 * assists) or from guest memory at CS:RIP through the guest's own paging
 * (hvm_guest_copy.c), is decoded (mmio_decode.c), and done on the vLAPIC;
 * RIP moves past it and the guest resumes. An instruction Keel does not
 * decode, or bytes it cannot fetch, crash the domain with a log line
 * naming them. This is the path of the NPF benchmark: keep it short. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/mmio_decode.h>
#include <keel/printf.h>
#include <keel/vcpu.h>

#define SEG_L   (1U << 9)               /* struct hvm_seg attr: 64-bit code */
#define SEG_DB  (1U << 10)

/* General register n as ModRM numbers it (rAX, rCX, rDX, rBX, rSP, rBP,
 * rSI, rDI, r8-r15). */
static uint64_t *gpr(struct cpu_regs *r, unsigned n)
{
    switch (n) {
    case 0: return &r->rax;
    case 1: return &r->rcx;
    case 2: return &r->rdx;
    case 3: return &r->rbx;
    case 4: return &r->rsp;
    case 5: return &r->rbp;
    case 6: return &r->rsi;
    case 7: return &r->rdi;
    case 8: return &r->r8;
    case 9: return &r->r9;
    case 10: return &r->r10;
    case 11: return &r->r11;
    case 12: return &r->r12;
    case 13: return &r->r13;
    case 14: return &r->r14;
    default: return &r->r15;
    }
}

/* Up to 15 bytes at CS:RIP, stopping short at a page the guest does not
 * map (the decoder then says whether it needed them). */
static unsigned fetch(struct vcpu *v, const struct cpu_regs *regs, enum mmio_code_mode mode,
                      const struct hvm_seg *cs, uint8_t *buf)
{
    uint64_t va = mode == MMIO_CODE64 ? regs->rip : (uint32_t)(cs->base + (uint32_t)regs->rip);
    unsigned first = MIN((unsigned)MMIO_INSN_MAX, (unsigned)(PAGE_SIZE - (va & (PAGE_SIZE - 1))));
    if (hvm_copy_from_guest(v, buf, va, first))
        return 0;
    if (first < MMIO_INSN_MAX && !hvm_copy_from_guest(v, buf + first, va + first, MMIO_INSN_MAX - first))
        return MMIO_INSN_MAX;
    return first;
}

static void crash_insn(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e,
                       const uint8_t *b, unsigned n, const char *why)
{
    char hex[3 * MMIO_INSN_MAX + 1] = "";
    for (unsigned i = 0; i < n && i < MMIO_INSN_MAX; i++)
        snprintf(hex + 3 * i, 4, "%02x ", b[i]);
    log_err("domain %u vcpu %u: xAPIC access at %#lx: %s: bytes %s(%u)\n", v->d->id, v->id,
            e->npf.gpa, why, n ? hex : "none ", n);
    hvm_crash(v, regs, e, why);
}

bool hvm_mmio_npf(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    uint64_t page = vlapic_mmio_page(v);
    /* Not the LAPIC (outside the domain's memory): another page, a fetch,
     * or guest page tables placed on the LAPIC page. */
    if ((e->npf.gpa & ~(uint64_t)(PAGE_SIZE - 1)) != page || e->npf.exec || e->npf.walk)
        return false;
    struct hvm_seg cs;
    hvm_vendor->get_seg(v, HVM_SEG_CS, &cs);
    enum mmio_code_mode mode = (cs.attr & SEG_L) ? MMIO_CODE64
                             : (cs.attr & SEG_DB) ? MMIO_CODE32 : MMIO_CODE16;
    struct mmio_insn m;
    uint8_t b[MMIO_INSN_MAX];
    unsigned n = hvm_vendor->insn_bytes ? hvm_vendor->insn_bytes(v, b) : 0;
    int rc = n ? mmio_decode(b, n, mode, &m) : MMIO_DECODE_SHORT;
    if (rc == MMIO_DECODE_SHORT) {      /* no bytes from the CPU, or too few */
        n = fetch(v, regs, mode, &cs, b);
        if (!n)
            crash_insn(v, regs, e, b, 0, "instruction fetch at CS:RIP failed");
        rc = mmio_decode(b, n, mode, &m);
    }
    if (rc)
        crash_insn(v, regs, e, b, n, rc == MMIO_DECODE_SHORT ? "instruction fetch failed part-way"
                                     : "instruction not emulated on the xAPIC page");
    if (m.write != e->npf.write)
        crash_insn(v, regs, e, b, m.len, "instruction does not match the access");
    unsigned off = (unsigned)(e->npf.gpa & (PAGE_SIZE - 1));
    if (m.write) {
        uint64_t val = m.has_imm ? m.imm : *gpr(regs, m.reg);
        vlapic_mmio_write(v, off, m.size, (uint32_t)val);
    } else {
        uint64_t val = vlapic_mmio_read(v, off, m.size);
        uint64_t *r = gpr(regs, m.reg);
        /* 32-bit results zero-extend; 16-bit ones keep the rest (SDM 3.4.1.1). */
        *r = m.size == 2 ? (*r & ~0xffffUL) | val : val;
    }
    regs->rip += m.len;
    if (mode != MMIO_CODE64)
        regs->rip = (uint32_t)regs->rip;
    hvm_vendor->set_reg(v, HVM_REG_INTR_SHADOW, 0);
    return true;
}
