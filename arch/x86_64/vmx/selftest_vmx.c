/* Self-test of the VMX backend without the HVM layer: a tiny 32-bit guest
 * (paging off: needs unrestricted guest) in one page EPT maps at 0x1000
 * sets CR0.NE (a MOV CR0 exit the backend serves without returning), then
 * executes CPUID, an OUT, a VMCALL and a read outside its memory; the test
 * asserts those four exits in that order with their details. Then an entry
 * with a control the CPU refuses must fail as VMfailValid with
 * VM-instruction error 7 and leave Keel running. Skipped (passes) on CPUs
 * without VMX (QEMU TCG): tests/boot/bochs.sh runs it on Bochs. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/selftest.h>
#include <keel/string.h>
#include <keel/x86.h>
#include "vmcs.h"
#include "vmx_internal.h"

#include "selftest_guest.h"

static const uint32_t expected[] = { EXIT_CPUID, EXIT_IO, EXIT_VMCALL, EXIT_EPT_VIOLATION };

/* Checks one exit (the n-th that is not an external interrupt); returns
 * the failed checks. */
static int check_exit(struct vmx_vcpu *vv, struct cpu_regs *regs, const struct vmx_exit *e,
                      unsigned n)
{
    int failed = 0;
    ST_CHECK(!e->entry_failed);
    ST_CHECK(e->reason == expected[n]);
    if (e->reason != expected[n]) {
        log_err("selftest: vmx: exit %u was %u (%s), expected %u\n", n, e->reason,
                vmx_exit_name(e->reason), expected[n]);
        vmx_vcpu_dump(vv);
        return failed;
    }
    switch (e->reason) {
    case EXIT_CPUID:
        ST_CHECK(regs->rip == CODE_CPUID);
        ST_CHECK(e->insn_len == 2);
        ST_CHECK(vv->exits[EXIT_CR_ACCESS] == 1);
        ST_CHECK(vmx_get_cr(vv, 0) == 0x31);    /* PE, ET, NE as the guest wrote */
        if (vmx_get_cr(vv, 0) != 0x31)
            log_err("selftest: vmx: guest CR0 %#lx (Keel's %#lx)\n", vmx_get_cr(vv, 0), read_cr0());
        regs->rax = CPUID_EAX;
        break;
    case EXIT_IO:
        ST_CHECK(IO_QUAL_PORT(e->qualification) == 0x80);
        ST_CHECK(IO_QUAL_SIZE(e->qualification) == 1);
        ST_CHECK(!(e->qualification & (IO_QUAL_IN | IO_QUAL_STRING)));
        ST_CHECK((regs->rax & 0xff) == (CPUID_EAX & 0xff));
        break;
    case EXIT_VMCALL:
        ST_CHECK(regs->rip == CODE_VMCALL);
        ST_CHECK(regs->rax == CPUID_EAX);
        ST_CHECK(e->insn_len == 3);
        break;
    case EXIT_EPT_VIOLATION:
        ST_CHECK(e->guest_phys == OUTSIDE_GPA);
        ST_CHECK(e->qualification & EPT_QUAL_READ);
        ST_CHECK(!(e->qualification & (EPT_QUAL_WRITE | EPT_QUAL_FETCH)));
        ST_CHECK(regs->rip == CODE_LOAD);
        /* What the HVM layer does for any domain: stop it, say why. */
        log_info("selftest: vmx: guest read GPA %#lx outside its memory (EPT violation, "
                 "qualification %#lx): guest stopped\n", e->guest_phys, e->qualification);
        return failed;
    }
    vmx_skip_insn(vv, regs, e);
    return failed;
}

static int run_guest(struct vmx_vcpu *vv, struct cpu_regs *regs)
{
    int failed = 0;
    unsigned n = 0, interrupts = 0;
    struct vmx_exit e;

    for (unsigned i = 0; i < MAX_EXITS && n < ARRAY_SIZE(expected); i++) {
        if (vmx_vcpu_run(vv, regs, &e)) {
            log_err("selftest: vmx: entry failed before exit %u\n", n);
            return failed + 1;
        }
        if (e.reason == EXIT_EXTERNAL_INTR) {
            interrupts++;               /* Keel's interrupt, taken on return */
            continue;
        }
        failed += check_exit(vv, regs, &e, n);
        if (failed)
            return failed;
        n++;
    }
    ST_CHECK(n == ARRAY_SIZE(expected));
    log_info("selftest: vmx: exits CPUID, I/O, VMCALL, EPT violation in order (%u external "
             "interrupts between)\n", interrupts);
    return failed;
}

/* A control the CPU does not allow (pin-based bit 31 is reserved): the
 * entry must fail as VMfailValid, error 7, reported, not fatal. */
static int check_entry_failure(struct vmx_vcpu *vv, struct cpu_regs *regs)
{
    int failed = 0;
    struct vmx_exit e;
    uint32_t pin = vmcs_read32(VMCS_PIN_CTLS);
    vmcs_write32(VMCS_PIN_CTLS, pin | (1U << 31));
    ST_CHECK(vmx_vcpu_run(vv, regs, &e) == -EIO);
    ST_CHECK(vmcs_read32(VMCS_INSN_ERROR) == 7);
    vmcs_write32(VMCS_PIN_CTLS, pin);
    return failed;
}

static int selftest_vmx_guest(void)
{
    int failed = 0;
    if (!vmx_usable()) {
        log_info("selftest: vmx: skipped (no usable VMX on this CPU)\n");
        return 0;
    }
    struct ept ept;
    struct vmx_vcpu vv;
    struct cpu_regs regs;
    uint8_t *page = alloc_pages(0);
    if (!page || ept_init(&ept)) {
        log_err("selftest: vmx: out of memory\n");
        return 1;
    }
    memset(page, 0xf4, PAGE_SIZE);
    memcpy(page, guest_code, sizeof(guest_code));
    ST_CHECK(ept_map(&ept, GUEST_GFN, virt_to_phys(page) >> PAGE_SHIFT, 1, EPT_RWX) == 0);
    ST_CHECK(ept_map(&ept, GUEST_GFN, virt_to_phys(page) >> PAGE_SHIFT, 1, EPT_RWX) == -EEXIST);
    ST_CHECK(ept_lookup(&ept, GUEST_GFN, NULL) == virt_to_phys(page) >> PAGE_SHIFT);
    ST_CHECK(ept_lookup(&ept, OUTSIDE_GPA >> PAGE_SHIFT, NULL) == INVALID_MFN);
    if (vmx_vcpu_init(&vv)) {
        ept_destroy(&ept);
        free_pages(page, 0);
        return failed + 1;
    }
    vmx_set_eptp(&vv, ept.eptp);
    vmx_pvh_entry_regs(&regs, GUEST_ENTRY, 0);
    failed += run_guest(&vv, &regs);
    if (!failed)
        failed += check_entry_failure(&vv, &regs);
    ST_CHECK(vmx_write_errors == 0);
    vmx_vcpu_put(&vv);
    vmx_vcpu_destroy(&vv);
    ept_destroy(&ept);
    free_pages(page, 0);
    return failed;
}
selftest("vmx_guest", selftest_vmx_guest);
