/* Emulation of privileged instructions from a PV guest (ref/xen-pv-abi.md
 * 8.1-8.5). The instruction is fetched from the guest with the fault-safe
 * accessor; anything not recognised is left to the caller, which reflects
 * the fault to the guest's own handler. */
#include <keel/pv_emulate.h>
#include <keel/pci.h>
#include <keel/domain.h>
#include <keel/fpu.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/uart.h>
#include <keel/vcpu.h>
#include <keel/x86.h>

#define MSR_TSC             0x10
#define MSR_MISC_ENABLE     0x1a0
#define MSR_TSC_AUX         0xc0000103
#define CR4_GUEST_VISIBLE   (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (1UL << 6) /* MCE */)
#define CR4_GUEST_SETTABLE  ((1UL << 2) /* TSD */ | (1UL << 3) /* DE */)

struct insn {
    uint8_t b[16];
    unsigned len;           /* bytes fetched */
    unsigned pos;           /* after prefixes */
    bool opsize16, rex_w, rex_r, rex_b;
};

static bool fetch(struct cpu_regs *regs, struct insn *in)
{
    memset(in, 0, sizeof(*in));
    for (in->len = 0; in->len < sizeof(in->b); in->len++)
        if (copy_from_guest(&in->b[in->len], regs->rip + in->len, 1))
            break;
    for (; in->pos < in->len; in->pos++) {
        uint8_t p = in->b[in->pos];
        if (p == 0x66)
            in->opsize16 = true;
        else if (p == 0x2e || p == 0x3e || p == 0x26 || p == 0x36 || p == 0x64 || p == 0x65 || p == 0x67)
            continue;
        else if ((p & 0xf0) == 0x40) {
            in->rex_w = p & 8, in->rex_r = p & 4, in->rex_b = p & 1;
            in->pos++;                  /* REX must be last */
            break;
        } else
            break;
    }
    return in->pos < in->len;
}

static uint64_t *gpr(struct cpu_regs *r, unsigned n)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                          &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[n & 15];
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* ---- MSRs (ref 8.2) ---- */

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_FS_BASE:        *val = v->fs_base; return true;
    case MSR_GS_BASE:        *val = v->kernel_mode ? v->gs_base_kernel : v->gs_base_user; return true;
    case MSR_KERNEL_GS_BASE: *val = v->kernel_mode ? v->gs_base_user : v->gs_base_kernel; return true;
    case MSR_APIC_BASE:      *val = 0xfee00000UL | (1UL << 11) | (v->id == 0 ? 1UL << 8 : 0); return true;
    case MSR_EFER:           *val = rdmsr(MSR_EFER) & ~(1UL << 12); return true;   /* no SVME */
    case MSR_PAT:            *val = PV_ABI_PAT; return true;
    case MSR_TSC:            *val = rdtsc(); return true;
    case MSR_MISC_ENABLE:
        if (rdmsr_safe(msr, val))
            *val = 0;
        *val &= ~((1UL << 7) | (1UL << 18));                /* no perfmon, no MONITOR */
        *val |= (1UL << 11) | (1UL << 12) | (1UL << 23);    /* no BTS/PEBS, xTPR off */
        return true;
    default:
        return pv_vmce_rdmsr(v, msr, val) > 0;
    }
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_FS_BASE:
        if (!canonical(val))
            return false;
        v->fs_base = val;
        wrmsr(MSR_FS_BASE, val);
        return true;
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE: {
        if (!canonical(val))
            return false;
        bool active = (msr == MSR_GS_BASE);
        /* The active GS base is the kernel one in kernel mode. */
        if (active == v->kernel_mode)
            v->gs_base_kernel = val;
        else
            v->gs_base_user = val;
        wrmsr(msr, val);
        return true;
    }
    case MSR_EFER:
        return val == (rdmsr(MSR_EFER) & ~(1UL << 12));    /* no change accepted */
    case MSR_PAT:
        return val == PV_ABI_PAT;
    default:
        return pv_vmce_wrmsr(v, msr, val) > 0;
    }
}

static bool emulate_msr(struct vcpu *v, struct cpu_regs *regs, bool write)
{
    uint32_t msr = (uint32_t)regs->rcx;
    uint64_t val;
    if (!v->kernel_mode)
        return false;
    if (write) {
        val = ((regs->rdx & 0xffffffffUL) << 32) | (regs->rax & 0xffffffffUL);
        if (!msr_write(v, msr, val)) {
            if (v->traps[VEC_GP].address)
                return false;           /* the guest handles its #GP */
            log_warn("domain %u: wrmsr %x <- %lx ignored\n", v->d->id, msr, val);
        }
        return true;
    }
    if (!msr_read(v, msr, &val)) {
        /* Xen's rule: before the guest has a #GP handler, a readable MSR
         * reads as 0 instead of killing it. */
        if (v->traps[VEC_GP].address || rdmsr_safe(msr, &val))
            return false;
        val = 0;
    }
    regs->rax = (uint32_t)val;
    regs->rdx = val >> 32;
    return true;
}

/* ---- control registers (ref 8.3) ---- */

static bool emulate_mov_cr(struct vcpu *v, struct cpu_regs *regs, struct insn *in, bool to_cr)
{
    uint8_t modrm = in->b[in->pos + 2];
    unsigned cr = ((modrm >> 3) & 7) | (in->rex_r ? 8 : 0);
    uint64_t *reg = gpr(regs, (modrm & 7) | (in->rex_b ? 8 : 0));
    if ((modrm >> 6) != 3 || !v->kernel_mode)
        return false;
    if (!to_cr) {
        switch (cr) {
        case 0: *reg = (read_cr0() & ~CR0_TS) | (v->fpu_ts ? CR0_TS : 0); return true;
        case 2: *reg = v->cr2; return true;
        case 3:                         /* the L4's machine frame, as Xen gives it */
            *reg = (v->kernel_mode ? v->cr3_kernel : v->cr3_user) << PAGE_SHIFT;
            return true;
        case 4: *reg = v->cr4; return true;
        default: return false;
        }
    }
    switch (cr) {
    case 0:
        if ((*reg & ~CR0_TS) != (read_cr0() & ~CR0_TS))
            return false;               /* only TS may change */
        v->fpu_ts = *reg & CR0_TS;
        write_cr0(v->fpu_ts ? read_cr0() | CR0_TS : read_cr0() & ~CR0_TS);
        return true;
    case 4: {
        /* OSXSAVE only where XSAVE is offered; it gates XSETBV and the
         * OSXSAVE CPUID bit (the real CR4.OSXSAVE stays set). */
        uint64_t settable = CR4_GUEST_SETTABLE | (fpu_xcr0_max() ? CR4_OSXSAVE : 0);
        v->cr4 = CR4_GUEST_VISIBLE | (*reg & settable);
        return true;
    }
    default:
        return false;
    }
}

/* ---- XSETBV (0f 01 d1), privileged: as Xen, #UD while the guest's
 * virtual CR4.OSXSAVE is clear, #GP(0) from guest user mode, for an XCR
 * other than 0 or a value the CPU or Keel's policy refuses. ---- */

static bool emulate_xsetbv(struct vcpu *v, struct cpu_regs *regs, struct insn *in)
{
    if (in->opsize16)
        return false;
    if (!(v->cr4 & CR4_OSXSAVE)) {
        regs->vector = VEC_UD;          /* bounced (or fatal) like a real #UD */
        regs->error_code = 0;
        pv_guest_trap(regs);
        return true;
    }
    uint64_t val = ((regs->rdx & 0xffffffffUL) << 32) | (regs->rax & 0xffffffffUL);
    if (!v->kernel_mode || fpu_set_xcr(v, (uint32_t)regs->rcx, val))
        return false;                   /* the #GP(0) goes to the guest */
    regs->rip += in->pos + 3;
    return true;
}

/* ---- port I/O (ref 8.4): a domU reads all-ones and writes nothing; a
 * privileged domain reaches the ports, except the ones Keel drives. ---- */

/* Ports Keel keeps from dom0, as Xen 4.17's dom0_setup_permissions: its
 * UART, the 8259 PICs (Keel masked them; unmasked they would raise
 * interrupts Keel never routed), the PIT and the speaker/PIT-gate port
 * (Keel calibrates its clock with them). Reads of them give all ones. */
static bool port_is_keels(uint16_t port, unsigned size)
{
    static const struct { uint16_t first, last; } kept[] = {
        { 0x20, 0x21 }, { 0xa0, 0xa1 },         /* PICs */
        { 0x40, 0x43 }, { 0x61, 0x61 },         /* PIT, PIT channel 2 gate */
    };
    uint16_t uart = uart_config()->io_base;
    unsigned end = port + size;                 /* one past the last byte */
    if (end > uart && port < uart + 8)
        return true;
    for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (end > kept[i].first && port <= kept[i].last)
            return true;
    return false;
}

/* Virtual IOPL (PHYSDEVOP_set_iopl): the guest kernel counts as CPL 1,
 * user space as CPL 3 (ref 8.4). */
static bool io_allowed(const struct vcpu *v)
{
    return v->iopl >= (v->kernel_mode ? 1U : 3U);
}

static bool emulate_io(struct vcpu *v, struct cpu_regs *regs, struct insn *in)
{
    uint8_t op = in->b[in->pos];
    unsigned size = (op & 1) ? (in->opsize16 ? 2 : 4) : 1;
    bool imm = op < 0xe8;
    uint16_t port = imm ? in->b[in->pos + 1] : (uint16_t)regs->rdx;
    bool out = op & 2;
    bool real = v->d->privileged && !port_is_keels(port, size);
    if (!io_allowed(v))
        return false;
    if (out) {
        if (real && pci_guest_port_out(v->d, port, size, (uint32_t)regs->rax))
            ;                           /* config space, under Keel's PCI lock */
        else if (real) {
            if (size == 1) outb(port, (uint8_t)regs->rax);
            else if (size == 2) outw(port, (uint16_t)regs->rax);
            else outl(port, (uint32_t)regs->rax);
        }
    } else {
        uint32_t val = 0xffffffff;
        if (real && pci_guest_port_in(v->d, port, size, &val))
            ;
        else if (real)
            val = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
        if (size == 4)
            regs->rax = val;            /* 32-bit results zero-extend */
        else if (size == 2)
            regs->rax = (regs->rax & ~0xffffUL) | (val & 0xffff);
        else
            regs->rax = (regs->rax & ~0xffUL) | (val & 0xff);
    }
    regs->rip += in->pos + (imm ? 2 : 1);
    return true;
}

/* `int n` from ring 3 arrives as #GP with error code (n << 3) | 2: it is the
 * guest's software interrupt if its trap table lets this mode raise it. */
static bool soft_interrupt(struct vcpu *v, struct cpu_regs *regs, struct insn *in)
{
    uint8_t n = in->b[in->pos + 1];
    const struct pv_trap *t = &v->traps[n];
    unsigned dpl = t->flags & 3, cpl = v->kernel_mode ? 1 : 3;
    if (regs->error_code != ((uint64_t)n << 3 | 2) || !t->address || dpl < cpl)
        return false;
    regs->rip += in->pos + 2;
    pv_bounce_to(v, regs, t->address, false, 0, t->flags & 4);
    return true;
}

bool pv_emulate_gp(struct vcpu *v, struct cpu_regs *regs)
{
    struct insn in;
    if (!fetch(regs, &in))
        return false;
    uint8_t op = in.b[in.pos];
    uint8_t op2 = in.pos + 1 < in.len ? in.b[in.pos + 1] : 0;
    bool done = false;
    if (op == 0x0f) {
        switch (op2) {
        case 0x32: done = emulate_msr(v, regs, false); break;
        case 0x30: done = emulate_msr(v, regs, true); break;
        case 0x20: return emulate_mov_cr(v, regs, &in, false) && (regs->rip += in.pos + 3, true);
        case 0x22: return emulate_mov_cr(v, regs, &in, true) && (regs->rip += in.pos + 3, true);
        case 0x09: done = v->kernel_mode; break;                    /* wbinvd: ignored */
        case 0x01:
            if (in.pos + 2 < in.len && in.b[in.pos + 2] == 0xd1)
                return emulate_xsetbv(v, regs, &in);
            return false;
        default: return false;
        }
        if (done)
            regs->rip += in.pos + 2;
        return done;
    }
    switch (op) {
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
    case 0xec: case 0xed: case 0xee: case 0xef:
        return emulate_io(v, regs, &in);
    case 0xfa: case 0xfb:               /* cli/sti: no-ops when IOPL allows */
        if (!io_allowed(v))
            return false;
        regs->rip += in.pos + 1;
        return true;
    case 0xcd:
        return soft_interrupt(v, regs, &in);
    default:
        return false;
    }
}

/* ud2 "xen" cpuid: the forced-emulation prefix (ref 8.1). */
bool pv_emulate_ud(struct vcpu *v, struct cpu_regs *regs)
{
    static const uint8_t sig[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    uint8_t b[7];
    if (copy_from_guest(b, regs->rip, sizeof(b)) || memcmp(b, sig, sizeof(sig)))
        return false;
    uint32_t r[4];
    pv_cpuid(v, (uint32_t)regs->rax, (uint32_t)regs->rcx, r);
    regs->rax = r[0], regs->rbx = r[1], regs->rcx = r[2], regs->rdx = r[3];
    regs->rip += sizeof(sig);
    return true;
}
