/* Port I/O of a PVH guest. It has no emulated devices: as on Xen, a read
 * of a port nothing emulates gives all ones and a write is dropped. One
 * port is served: 0xe9, Xen's HVM debug console (xen/arch/x86/hvm/hvm.c
 * hvm_print_line), whose bytes become the domain's console lines. The
 * PIT counters (0x40-0x42) read 0 rather than all ones: Linux's
 * quick_pit_calibrate runs before it has read the ACPI tables that say
 * there is no PIC (tsc_early_init precedes acpi_boot_table_init in 6.1
 * setup_arch), and a counter stuck at 0xff makes it poll port 0x42
 * 100,000 times (1.4 s of exits under QEMU TCG) before giving up; a 0
 * ends it at the first read. Xen gives ~0 there and pays the exits. String
 * I/O (INS/OUTS, REP or not) goes through the same ports element by
 * element, to and from the guest's memory as its page tables map it. */
#include <keel/hvm.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/traps.h>
#include <keel/vcpu.h>

#define PORT_DEBUG_CONSOLE  0xe9

struct hvm_port {
    uint16_t port;
    void (*out)(struct vcpu *v, uint32_t val, unsigned size);
    uint32_t (*in)(struct vcpu *v, unsigned size);
};

static void debug_console_out(struct vcpu *v, uint32_t val, unsigned size)
{
    (void)size;
    domain_console_put(v->d, (char)val);
}

static uint32_t pit_counter_in(struct vcpu *v, unsigned size)
{
    (void)v, (void)size;
    return 0;
}

static const struct hvm_port ports[] = {
    { PORT_DEBUG_CONSOLE, debug_console_out, NULL },
    { 0x40, NULL, pit_counter_in },
    { 0x41, NULL, pit_counter_in },
    { 0x42, NULL, pit_counter_in },
};

#define STRING_IO_BATCH     1024        /* elements per exit: the exit path stays short */
#define RFLAGS_DF_          (1UL << 10)
#define EFER_LMA_           (1UL << 10)

/* The linear address of a string operand: in long mode only FS and GS
 * have a base; elsewhere the segment's base applies. */
static uint64_t string_linear(struct vcpu *v, enum hvm_seg_id seg, uint64_t offset, bool long_mode)
{
    if (long_mode && seg != HVM_SEG_FS && seg != HVM_SEG_GS)
        return offset;
    struct hvm_seg s;
    hvm_vendor->get_seg(v, seg, &s);
    return long_mode ? s.base + offset : (uint32_t)(s.base + offset);
}

/* INS/OUTS: at most STRING_IO_BATCH elements per exit. RIP stays on the
 * instruction until a REP's count is done, so the guest re-executes it
 * for the rest (interruptible in between, as on hardware). A fault on the
 * guest's memory is a #PF for the guest at that address. */
static bool hvm_io_string(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e,
                          const struct hvm_port *p, uint32_t mask)
{
    unsigned size = e->io.size;
    bool long_mode = hvm_vendor->get_reg(v, HVM_REG_EFER) & EFER_LMA_;
    unsigned asz = e->io.addr_size ? e->io.addr_size : long_mode ? 8 : 4;
    uint64_t amask = asz == 8 ? ~0UL : (1UL << (8 * asz)) - 1;
    uint64_t count = e->io.rep ? regs->rcx & amask : 1;
    uint64_t step = (regs->rflags & RFLAGS_DF_) ? -(uint64_t)size : size;
    uint64_t *index = e->io.in ? &regs->rdi : &regs->rsi;
    enum hvm_seg_id seg = e->io.in ? HVM_SEG_ES : e->io.seg ? (enum hvm_seg_id)(e->io.seg - 1) : HVM_SEG_DS;
    uint64_t n = MIN(count, (uint64_t)STRING_IO_BATCH);

    for (uint64_t i = 0; i < n; i++) {
        uint64_t va = string_linear(v, seg, *index & amask, long_mode);
        uint32_t val = mask;
        int rc;
        if (e->io.in) {
            if (p && p->in)
                val = p->in(v, size) & mask;
            rc = hvm_copy_to_guest(v, va, &val, size);
        } else {
            val = 0;
            rc = hvm_copy_from_guest(v, &val, va, size);
            if (!rc && p && p->out)
                p->out(v, val & mask, size);
        }
        if (rc) {
            hvm_vendor->set_reg(v, HVM_REG_CR2, va);
            hvm_inject_exception(v, VEC_PF, true, e->io.in ? 2 : 0);   /* W for INS */
            return true;
        }
        *index = (*index & ~amask) | ((*index + step) & amask);
        count--;
    }
    if (e->io.rep)
        regs->rcx = (regs->rcx & ~amask) | (count & amask);
    if (!count)
        hvm_skip_insn(regs, e, 1);
    return true;
}

bool hvm_io(struct vcpu *v, struct cpu_regs *regs, const struct hvm_exit *e)
{
    unsigned size = e->io.size;
    uint32_t mask = size == 4 ? 0xffffffffU : (1U << (8 * size)) - 1;
    const struct hvm_port *p = NULL;
    for (unsigned i = 0; i < ARRAY_SIZE(ports); i++)
        if (ports[i].port == e->io.port)
            p = &ports[i];
    if (e->io.string)
        return hvm_io_string(v, regs, e, p, mask);
    if (e->io.in) {
        uint32_t val = p && p->in ? p->in(v, size) & mask : mask;
        regs->rax = (regs->rax & ~(uint64_t)mask) | val;
    } else if (p && p->out) {
        p->out(v, (uint32_t)regs->rax & mask, size);
    }
    hvm_skip_insn(regs, e, 1);          /* in/out with DX: one byte (no prefix) */
    return true;
}
