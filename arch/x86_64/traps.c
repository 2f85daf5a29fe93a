/* IDT, exception and interrupt dispatch, and the fatal-exception report:
 * vector, error code, faulting address, all registers and a stack trace
 * with symbol names. Then the machine is stopped cleanly (panic). */
#include <keel/traps.h>
#include <keel/desc.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/power.h>
#include <keel/symbols.h>
#include <keel/x86.h>
#include <keel/vcpu.h>
#include <keel/sched.h>
#include <keel/apic.h>

extern const char trap_entry_table[];
extern const struct ex_entry __start_ex_table[], __stop_ex_table[];

static struct idt_entry idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];

static const char *const exception_names[32] = {
    [VEC_DE] = "divide error (#DE)", [VEC_DB] = "debug (#DB)", [VEC_NMI] = "NMI",
    [VEC_BP] = "breakpoint (#BP)", [VEC_OF] = "overflow (#OF)",
    [VEC_BR] = "bound range (#BR)", [VEC_UD] = "invalid opcode (#UD)",
    [VEC_NM] = "device not available (#NM)", [VEC_DF] = "double fault (#DF)",
    [VEC_TS] = "invalid TSS (#TS)", [VEC_NP] = "segment not present (#NP)",
    [VEC_SS] = "stack fault (#SS)", [VEC_GP] = "general protection (#GP)",
    [VEC_PF] = "page fault (#PF)", [VEC_MF] = "x87 error (#MF)",
    [VEC_AC] = "alignment check (#AC)", [VEC_MC] = "machine check (#MC)",
    [VEC_XM] = "SIMD error (#XM)", [VEC_VE] = "virtualization (#VE)",
    [VEC_CP] = "control protection (#CP)",
};

static void idt_set(unsigned vec, uint64_t handler, unsigned ist)
{
    /* int3 and into may be used by guest code (ring 3); other vectors
     * raised with `int n` from ring 3 arrive as #GP. */
    uint8_t dpl = (vec == VEC_BP || vec == VEC_OF) ? 3 : 0;
    idt[vec] = (struct idt_entry){
        .offset_lo = (uint16_t)handler,
        .selector = HYPERVISOR_CS,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8e | (dpl << 5)),  /* present, interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        unsigned ist = v == VEC_DF ? IST_DF : v == VEC_NMI ? IST_NMI : v == VEC_MC ? IST_MC : IST_NONE;
        idt_set(v, (uint64_t)trap_entry_table + 16 * v, ist);
    }
}

void idt_load(void)
{
    struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ __volatile__("lidt %0" : : "m"(p));
}

void irq_set_handler(unsigned vector, irq_handler_t fn)
{
    irq_handlers[vector] = fn;
}

bool ex_fixup(struct cpu_regs *regs)
{
    for (const struct ex_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
        uint64_t insn = (uint64_t)&e->insn + (int64_t)e->insn;
        if (insn == regs->rip) {
            regs->rip = (uint64_t)&e->fixup + (int64_t)e->fixup;
            return true;
        }
    }
    return false;
}

void show_registers(const struct cpu_regs *r)
{
    log_err("RIP: %04lx:%016lx  RFLAGS: %016lx\n", r->cs, r->rip, r->rflags);
    log_err("RSP: %04lx:%016lx  CR2: %016lx\n", r->ss, r->rsp, read_cr2());
    log_err("RAX: %016lx  RBX: %016lx  RCX: %016lx\n", r->rax, r->rbx, r->rcx);
    log_err("RDX: %016lx  RSI: %016lx  RDI: %016lx\n", r->rdx, r->rsi, r->rdi);
    log_err("RBP: %016lx  R8:  %016lx  R9:  %016lx\n", r->rbp, r->r8, r->r9);
    log_err("R10: %016lx  R11: %016lx  R12: %016lx\n", r->r10, r->r11, r->r12);
    log_err("R13: %016lx  R14: %016lx  R15: %016lx\n", r->r13, r->r14, r->r15);
    log_err("CR0: %016lx  CR3: %016lx  CR4: %016lx\n", read_cr0(), read_cr3(), read_cr4());
}

static void print_frame(uint64_t addr)
{
    uint64_t off, size;
    const char *name = symbol_lookup(addr, &off, &size);
    if (name)
        log_err("   [<%016lx>] %s+0x%lx/0x%lx\n", addr, name, off, size);
    else
        log_err("   [<%016lx>] ?\n", addr);
}

/* Walks the frame-pointer chain; every frame must lie inside the current
 * stack block, so a corrupt chain ends the trace instead of faulting. */
void show_stack_trace(uint64_t rip, uint64_t rbp)
{
    uint64_t sp;
    __asm__ ("mov %%rsp, %0" : "=r"(sp));
    uint64_t lo = sp & ~(STACK_BLOCK_SIZE - 1), hi = lo + STACK_BLOCK_SIZE - CPU_INFO_SIZE;

    log_err("Stack trace:\n");
    print_frame(rip);
    for (int depth = 0; depth < 32; depth++) {
        if (rbp < lo || rbp + 16 > hi || (rbp & 7))
            break;
        uint64_t ret = ((uint64_t *)rbp)[1];
        uint64_t next = ((uint64_t *)rbp)[0];
        if (!ret)
            break;
        print_frame(ret);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

static void fatal_exception(struct cpu_regs *regs)
{
    unsigned v = (unsigned)regs->vector;
    const char *name = v < 32 && exception_names[v] ? exception_names[v] : "reserved exception";

    panic_begin();
    log_err("\n*** FATAL: %s, vector %u, error code 0x%lx, on CPU %u ***\n", name, v,
            regs->error_code, smp_processor_id());
    if (v == VEC_PF)
        log_err("Faulting address: %016lx (%s, %s, %s%s)\n", read_cr2(),
                regs->error_code & 1 ? "protection" : "not present",
                regs->error_code & 2 ? "write" : "read",
                regs->error_code & 4 ? "user" : "supervisor",
                regs->error_code & 16 ? ", instruction fetch" : "");
    else
        log_err("Faulting address: %016lx\n", regs->rip);
    show_registers(regs);
    show_stack_trace(regs->rip, regs->rbp);
    panic_end("fatal exception");
}

void trap_dispatch(struct cpu_regs *regs)
{
    unsigned v = (unsigned)regs->vector;

    if (v >= 32) {
        this_cpu()->irqs++;
        if (irq_handlers[v])
            irq_handlers[v](regs, v);
        else if (v != VEC_SPURIOUS)
            log_warn("irq: unexpected vector 0x%x on CPU %u\n", v, smp_processor_id());
        if (v != VEC_SPURIOUS)
            apic_eoi();
        if ((regs->cs & 3) == 3) {      /* only the top frame is a guest's */
            sched_maybe_switch(regs);
            pv_deliver_pending_upcall(regs);
        }
        return;
    }
    if ((regs->cs & 3) == 3 && v != VEC_NMI && v != VEC_MC && v != VEC_DF) {
        pv_guest_trap(regs);            /* the guest's own exception */
        pv_deliver_pending_upcall(regs);
        return;
    }
    if (v == VEC_DB && pv_debug_trap_in_hypervisor(regs))
        return;                         /* a guest's breakpoint hit by Keel's access */
    if (v == VEC_NMI) {
        if (panic_in_progress() || cpus_stopping)
            panic_stop_this_cpu();
        /* Platform NMIs (watchdogs, I/O check) are not fatal. */
        log_warn("nmi: unexpected NMI on CPU %u, ignored\n", smp_processor_id());
        return;
    }
    if (ex_fixup(regs))
        return;
    fatal_exception(regs);
}
