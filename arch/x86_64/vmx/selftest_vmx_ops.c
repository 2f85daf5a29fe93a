/* Self-test of the VMX backend through keel/hvm_vendor.h, as the generic
 * HVM layer drives it: create, state set while the vCPU is loaded nowhere
 * (its VMCS borrowed), load, run with interrupts off taking host interrupts
 * between exits, the exits in vendor-neutral form, put (Keel's syscall MSRs
 * back), destroy. Same guest as selftest_vmx.c. Skipped unless VMX is the
 * active backend. */
#include <keel/domain.h>
#include <keel/hvm_vendor.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/selftest.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include "vmx_internal.h"
#include "vmcs.h"
#include "selftest_guest.h"

#define GUEST_LSTAR     0xffffffff81000000UL

static const enum hvm_exit_reason expected[] = {
    HVM_EXIT_CPUID, HVM_EXIT_IO, HVM_EXIT_HYPERCALL, HVM_EXIT_NPF,
};

static int check(const struct hvm_exit *e, struct cpu_regs *regs, unsigned n)
{
    int failed = 0;
    ST_CHECK(e->reason == expected[n]);
    if (e->reason != expected[n]) {
        log_err("selftest: vmx ops: exit %u was %u (raw %#lx)\n", n, e->reason, e->raw);
        return failed;
    }
    switch (e->reason) {
    case HVM_EXIT_CPUID:
        regs->rax = CPUID_EAX;
        break;
    case HVM_EXIT_IO:
        ST_CHECK(e->io.port == 0x80 && e->io.size == 1 && !e->io.in && !e->io.string);
        break;
    case HVM_EXIT_HYPERCALL:
        ST_CHECK(regs->rax == CPUID_EAX && regs->rip == CODE_VMCALL);
        break;
    case HVM_EXIT_NPF:
        ST_CHECK(e->npf.gpa == OUTSIDE_GPA && e->npf.read && !e->npf.write && !e->npf.exec);
        ST_CHECK(!e->npf.present);
        return failed;
    default:
        break;
    }
    ST_CHECK(e->insn_len > 0);
    regs->rip += e->insn_len;
    return failed;
}

static int run(const struct hvm_vendor_ops *ops, struct vcpu *v, struct cpu_regs *regs)
{
    int failed = 0;
    unsigned n = 0;
    struct hvm_exit e;
    uint64_t host_lstar = rdmsr(MSR_LSTAR);

    irq_disable();
    ops->vcpu_load(v);
    ST_CHECK(rdmsr(MSR_LSTAR) == GUEST_LSTAR);
    for (unsigned i = 0; i < MAX_EXITS && n < ARRAY_SIZE(expected) && !failed; i++) {
        ops->run(v, regs, &e);
        ST_CHECK(!irqs_enabled());
        if (e.reason == HVM_EXIT_INTR) {
            __asm__ __volatile__("sti; nop; cli" ::: "memory");
            continue;
        }
        failed += check(&e, regs, n++);
    }
    ST_CHECK(n == ARRAY_SIZE(expected));
    ops->vcpu_put(v);
    ST_CHECK(rdmsr(MSR_LSTAR) == host_lstar);
    irq_enable();
    return failed;
}

static int selftest_vmx_ops(void)
{
    static struct domain dom;           /* only its id is read (crash logs) */
    const struct hvm_vendor_ops *ops = hvm_vendor;
    int failed = 0;
    if (ops != &vmx_vendor_ops) {
        log_info("selftest: vmx ops: skipped (VMX is not the active HVM backend)\n");
        return 0;
    }
    struct vcpu *v = kzalloc(sizeof(*v));
    uint8_t *page = alloc_pages(0);
    struct ept ept;
    struct cpu_regs regs;
    struct hvm_seg cs;
    if (!v || !page || ept_init(&ept)) {
        log_err("selftest: vmx ops: out of memory\n");
        return 1;
    }
    memset(page, 0xf4, PAGE_SIZE);
    memcpy(page, guest_code, sizeof(guest_code));
    ST_CHECK(ept_map(&ept, GUEST_GFN, virt_to_phys(page) >> PAGE_SHIFT, 1, EPT_RWX) == 0);
    v->d = &dom;
    ST_CHECK(ops->vcpu_create(v) == 0);
    if (!failed) {
        /* Loaded nowhere: these borrow the VMCS. */
        ops->set_npt_root(v, virt_to_phys(ept.root));
        ops->get_seg(v, HVM_SEG_CS, &cs);
        ST_CHECK(cs.attr == 0xc9b && cs.limit == 0xffffffff && cs.base == 0);
        ST_CHECK(ops->get_reg(v, HVM_REG_CR0) == 0x11);     /* PE, ET */
        ST_CHECK(ops->get_reg(v, HVM_REG_EFER) == 0);
        ops->set_reg(v, HVM_REG_LSTAR, GUEST_LSTAR);
        ops->set_msr_intercept(v, MSR_KERNEL_GS_BASE, false, false);
        vmx_pvh_entry_regs(&regs, GUEST_ENTRY, 0);
        if (!failed)
            failed += run(ops, v, &regs);
        ST_CHECK(ops->get_reg(v, HVM_REG_CR0) == 0x31);     /* the guest set NE */
        ST_CHECK(ops->get_reg(v, HVM_REG_LSTAR) == GUEST_LSTAR);
        ops->vcpu_destroy(v);
    }
    ST_CHECK(v->hvm_vendor_state == NULL);
    ST_CHECK(vmx_write_errors == 0);
    if (!failed)
        log_info("selftest: vmx ops: CPUID, I/O, hypercall, NPF through hvm_vendor_ops\n");
    ept_destroy(&ept);
    free_pages(page, 0);
    kfree(v);
    return failed;
}
selftest("vmx_vendor_ops", selftest_vmx_ops);

/* Long mode entered by the guest alone (as PVH Linux does): the backend
 * must report EFER with LMA and CR0 with PG from the VMCS (no exit told it),
 * and the next entry, in IA-32e mode, must pass the CPU's checks. Before
 * that, the guest's VMLAUNCH must come out as HVM_EXIT_VIRT_INSN. */
static int long_mode_exit(const struct hvm_vendor_ops *ops, struct vcpu *v,
                          struct cpu_regs *regs, const struct hvm_exit *e, unsigned n)
{
    int failed = 0;
    static const enum hvm_exit_reason want[] = {
        HVM_EXIT_VIRT_INSN, HVM_EXIT_MSR_READ, HVM_EXIT_MSR_WRITE, HVM_EXIT_HYPERCALL, HVM_EXIT_HLT,
    };
    ST_CHECK(e->reason == want[n]);
    if (e->reason != want[n]) {
        log_err("selftest: vmx long mode: exit %u was %u (raw %#lx)\n", n, e->reason, e->raw);
        return failed;
    }
    switch (e->reason) {
    case HVM_EXIT_MSR_READ:
        ST_CHECK(e->msr.index == MSR_EFER);
        regs->rax = ops->get_reg(v, HVM_REG_EFER);
        regs->rdx = 0;
        break;
    case HVM_EXIT_MSR_WRITE:
        ST_CHECK(e->msr.index == MSR_EFER && regs->rax == EFER_LME);
        ops->set_reg(v, HVM_REG_EFER, regs->rax);
        break;
    case HVM_EXIT_HYPERCALL:
        ST_CHECK(regs->rip == LM_CODE_VMCALL);
        ST_CHECK(ops->get_reg(v, HVM_REG_EFER) == (EFER_LME | (1UL << 10)));   /* LMA */
        ST_CHECK(ops->get_reg(v, HVM_REG_CR0) & CR0_PG);
        ST_CHECK(ops->get_reg(v, HVM_REG_CR4) & CR4_PAE);
        ST_CHECK(ops->get_reg(v, HVM_REG_CR3) == 0x2000);
        break;
    case HVM_EXIT_VIRT_INSN:                    /* a guest's VMLAUNCH: no nested VMX */
        ST_CHECK(e->raw == 20 && e->insn_len == 3 && regs->rip == GUEST_ENTRY);
        break;
    default:
        break;
    }
    regs->rip += e->insn_len;
    return failed;
}

static int selftest_vmx_long_mode(void)
{
    static struct domain dom;
    const struct hvm_vendor_ops *ops = hvm_vendor;
    int failed = 0;
    if (ops != &vmx_vendor_ops) {
        log_info("selftest: vmx long mode: skipped (VMX is not the active HVM backend)\n");
        return 0;
    }
    struct vcpu *v = kzalloc(sizeof(*v));
    uint8_t *mem = alloc_pages(2);
    struct ept ept;
    struct cpu_regs regs;
    struct hvm_exit e;
    unsigned n = 0;
    if (!v || !mem || ept_init(&ept)) {
        log_err("selftest: vmx long mode: out of memory\n");
        return 1;
    }
    memset(mem, 0, PAGE_SIZE * LM_PAGES);
    memcpy(mem, long_mode_code, sizeof(long_mode_code));
    uint64_t *pml4 = (uint64_t *)(mem + PAGE_SIZE), *pdpt = pml4 + 512, *pd = pdpt + 512;
    pml4[0] = 0x3000 | PTE_P | PTE_W;
    pdpt[0] = 0x4000 | PTE_P | PTE_W;
    pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
    ST_CHECK(ept_map(&ept, GUEST_GFN, virt_to_phys(mem) >> PAGE_SHIFT, LM_PAGES, EPT_RWX) == 0);
    v->d = &dom;
    ST_CHECK(ops->vcpu_create(v) == 0);
    if (!failed) {
        ops->set_npt_root(v, virt_to_phys(ept.root));
        vmx_pvh_entry_regs(&regs, GUEST_ENTRY, 0);
        irq_disable();
        ops->vcpu_load(v);
        for (unsigned i = 0; i < MAX_EXITS && n < 5 && !failed; i++) {
            ops->run(v, &regs, &e);
            if (e.reason == HVM_EXIT_INTR) {
                __asm__ __volatile__("sti; nop; cli" ::: "memory");
                continue;
            }
            failed += long_mode_exit(ops, v, &regs, &e, n++);
        }
        ST_CHECK(n == 5);
        if (n != 5)
            log_err("selftest: vmx long mode: %u exits as expected, then %u (raw %#lx) at %#lx\n",
                    n, e.reason, e.raw, regs.rip);
        ops->vcpu_put(v);
        irq_enable();
        ops->vcpu_destroy(v);
    }
    if (!failed)
        log_info("selftest: vmx long mode: the guest entered long mode, EFER %#lx seen\n",
                 EFER_LME | (1UL << 10));
    ept_destroy(&ept);
    free_pages(mem, 2);
    kfree(v);
    return failed;
}
selftest("vmx_long_mode", selftest_vmx_long_mode);
