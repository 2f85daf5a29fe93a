/* Self-test: a tiny PV guest (selftest_pv_blob.S) runs in ring 3 on the
 * last CPU: hypercalls through syscall, an exception bounced through its
 * trap table, the iret hypercall, console output with its domain prefix,
 * shutdown; then its domain is destroyed and all its memory returned. */
#include <keel/selftest.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/string.h>
#include <keel/vcpu.h>

#define GUEST_CODE_VA   0x400000UL
#define GUEST_STACK_TOP 0x402000UL

extern const char pv_selftest_blob[], pv_selftest_blob_end[];

static const char *const test_name = "PV guest in ring 3 (hypercalls, trap bounce, iret, shutdown)";
static uint64_t free_before;

static void guest_done(uint16_t id, enum domain_state state, unsigned code)
{
    int bad = 0;
    if (state != DOMAIN_SHUTDOWN || code != 0) {
        log_err("selftest: PV guest (domain %u) ended %s with code %u (want shutdown, 0)\n",
                id, domain_state_name(state), code);
        bad++;
    }
    kmem_trim();
    if (mm_free_frames() != free_before) {
        log_err("selftest: %lu frames free after the guest, %lu before\n",
                mm_free_frames(), free_before);
        bad++;
    }
    selftest_async_end(test_name, bad);
}

static mfn_t page(struct domain *d)
{
    mfn_t m;
    return domain_alloc_frames(d, 0, &m) ? INVALID_MFN : m;
}

void selftest_start_guests(void)
{
    unsigned cpu = 0;
    for_each_online_cpu(c)
        cpu = c;
    kmem_trim();
    free_before = mm_free_frames();
    struct domain *d = domain_create(-1, "pv-selftest", false, 16);
    if (!d) {
        selftest_async_begin();
        selftest_async_end(test_name, 1);
        return;
    }
    mfn_t si = page(d), l4 = page(d), l3 = page(d), l2 = page(d), l1 = page(d),
          code = page(d), stack = page(d);
    if (code == INVALID_MFN || stack == INVALID_MFN || si == INVALID_MFN) {
        domain_destroy(d);
        selftest_async_begin();
        selftest_async_end(test_name, 1);
        return;
    }
    d->shared_info = mfn_to_virt(si);
    pte_t *t4 = mfn_to_virt(l4), *t3 = mfn_to_virt(l3), *t2 = mfn_to_virt(l2), *t1 = mfn_to_virt(l1);
    for (unsigned s = L4_SLOT(HV_VIRT_START); s < L4_SLOT(HV_VIRT_START) + 16; s++)
        t4[s] = hv_l4[s];
    t4[0] = (l3 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t3[0] = (l2 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t2[GUEST_CODE_VA >> 21] = (l1 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t1[0] = (code << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;              /* rwx: the guest's choice */
    t1[1] = (stack << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_NX;
    memcpy(mfn_to_virt(code), pv_selftest_blob, (size_t)(pv_selftest_blob_end - pv_selftest_blob));

    struct vcpu *v = vcpu_create(d, 0, cpu);
    if (!v) {
        domain_destroy(d);
        selftest_async_begin();
        selftest_async_end(test_name, 1);
        return;
    }
    v->cr3_kernel = l4;
    v->regs.rip = GUEST_CODE_VA;
    v->regs.rsp = GUEST_STACK_TOP;
    d->on_destroy = guest_done;
    d->state = DOMAIN_RUNNING;
    selftest_async_begin();
    log_info("selftest: starting a PV guest (domain %u) on CPU %u\n", d->id, cpu);
    vcpu_start(v);
}
