/* Self-test: a tiny PV guest (selftest_pv_blob.S) runs in ring 3 on the
 * last CPU: hypercalls through syscall, an exception bounced through its
 * trap table, the iret hypercall, console output with its domain prefix,
 * shutdown; then its domain is destroyed and all its memory returned. */
#include <keel/selftest.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/m2p.h>
#include <keel/mm.h>
#include <keel/pv_glue.h>
#include <keel/percpu.h>
#include <keel/string.h>
#include <keel/vcpu.h>

#define GUEST_CODE_VA   0x400000UL
#define GUEST_STACK_TOP 0x402000UL

extern const char pv_selftest_blob[], pv_selftest_blob_end[];
static uint16_t test_domains[3];

struct guest_test {
    const char *name;
    const char *blob, *blob_end;
    enum domain_state expect_state;
    unsigned expect_code;
};

extern const char pv_selftest_crash_blob[], pv_selftest_crash_blob_end[];

/* The spinning guest starts first: the other one can only finish first if
 * time slices take the CPU away from the spinner. */
static const struct guest_test guest_tests[] = {
    { "PV guest that faults with no handler is crashed alone (its SSE state kept)",
      pv_selftest_crash_blob, pv_selftest_crash_blob_end, DOMAIN_CRASHED, 0 },
    { "PV guest in ring 3 (hypercalls, trap bounces, iret, M2P read-only, emulation, time slices)",
      pv_selftest_blob, pv_selftest_blob_end, DOMAIN_SHUTDOWN, 0 },
    { "PV guest paused before it ran does not run until unpaused",
      pv_selftest_blob, pv_selftest_blob_end, DOMAIN_SHUTDOWN, 0 },
};
static struct domain *paused_guest;     /* guest 2, unpaused when guest 1 ends */
static uint64_t free_before;
static volatile unsigned guests_left;
static volatile int guests_bad;

static void guest_done(uint16_t id, enum domain_state state, unsigned code)
{
    const struct guest_test *t = NULL;
    for (unsigned i = 0; i < ARRAY_SIZE(guest_tests); i++)
        if (test_domains[i] == id)
            t = &guest_tests[i];
    int bad = 0;
    if (t == &guest_tests[1] && guests_left != ARRAY_SIZE(guest_tests)) {
        log_err("selftest: the short guest finished after the spinning one: no time slicing\n");
        bad++;
    }
    if (t == &guest_tests[1] && paused_guest) {
        struct vcpu *pv = paused_guest->vcpu[0];
        if (paused_guest->state != DOMAIN_PAUSED || pv->sched_state != VCPU_OFF) {
            log_err("selftest: the paused guest is %s with its vCPU %s\n",
                    domain_state_name(paused_guest->state),
                    pv->sched_state == VCPU_OFF ? "off" : "queued or running");
            bad++;
        }
        struct domain *p = paused_guest;
        paused_guest = NULL;
        domain_unpause(p);
    }
    if (t == &guest_tests[2] && paused_guest) {
        log_err("selftest: the paused guest ran to its end while paused\n");
        bad++;
    }
    if (!t || state != t->expect_state || code != t->expect_code) {
        log_err("selftest: guest domain %u ended %s with code %u, not as expected\n",
                id, domain_state_name(state), code);
        bad++;
    }
    /* Memory: checked when the last guest is gone. */
    if (__atomic_sub_fetch(&guests_left, 1, __ATOMIC_SEQ_CST) == 0) {
        kmem_trim();
        if (mm_free_frames() != free_before) {
            log_err("selftest: %lu frames free after the guests, %lu before\n",
                    mm_free_frames(), free_before);
            bad++;
        }
    }
    selftest_async_end(t ? t->name : "PV guest", bad);
}

static mfn_t page(struct domain *d)
{
    mfn_t m;
    return domain_alloc_frames(d, 0, &m) ? INVALID_MFN : m;
}

/* A one-vCPU domain: code at 0x400000 (rwx), stack below 0x402000. */
static struct domain *build_test_guest(const struct guest_test *t, unsigned cpu)
{
    struct domain *d = domain_create(-1, "pv-selftest", false, 16);
    if (!d)
        return NULL;
    mfn_t si = page(d), l4 = page(d), l3 = page(d), l2 = page(d), l1 = page(d),
          code = page(d), stack = page(d);
    struct vcpu *v = NULL;
    if (stack != INVALID_MFN && code != INVALID_MFN && l1 != INVALID_MFN && l2 != INVALID_MFN &&
        l3 != INVALID_MFN && l4 != INVALID_MFN && si != INVALID_MFN) {
        d->shared_info = mfn_to_virt(si);
        v = vcpu_create(d, 0, cpu);
    }
    if (!v) {
        domain_destroy(d);
        return NULL;
    }
    pte_t *t4 = mfn_to_virt(l4), *t3 = mfn_to_virt(l3), *t2 = mfn_to_virt(l2), *t1 = mfn_to_virt(l1);
    for (unsigned s = L4_SLOT(HV_VIRT_START); s < L4_SLOT(HV_VIRT_START) + 16; s++)
        t4[s] = hv_l4[s];
    t4[0] = (l3 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t3[0] = (l2 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t2[GUEST_CODE_VA >> 21] = (l1 << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    t1[0] = (code << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;              /* rwx: the guest's choice */
    t1[1] = (stack << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_NX;
    memcpy(mfn_to_virt(code), t->blob, (size_t)(t->blob_end - t->blob));
    if (pv_vcpu_set_base(v, l4, false)) {
        log_err("selftest: the test guest's page tables do not validate\n");
        vcpu_destroy(v);
        domain_destroy(d);
        return NULL;
    }
    m2p_set(code, GUEST_CODE_VA >> PAGE_SHIFT);
    v->regs.r13 = code;
    v->regs.rip = GUEST_CODE_VA;
    v->regs.rsp = GUEST_STACK_TOP;
    d->on_destroy = guest_done;
    d->state = DOMAIN_RUNNING;
    return d;
}

/* Both guests share the last CPU, so the crash guest's spin also tests
 * that time slices pass the CPU between them. */
void selftest_start_guests(void)
{
    unsigned cpu = 0;
    for_each_online_cpu(c)
        cpu = c;
    kmem_trim();
    free_before = mm_free_frames();
    guests_left = ARRAY_SIZE(guest_tests);
    struct domain *built[ARRAY_SIZE(guest_tests)];
    for (unsigned i = 0; i < ARRAY_SIZE(guest_tests); i++) {
        selftest_async_begin();
        built[i] = build_test_guest(&guest_tests[i], cpu);
        test_domains[i] = built[i] ? built[i]->id : 0xffff;
        if (!built[i]) {
            guests_left--;
            selftest_async_end(guest_tests[i].name, 1);
        }
    }
    /* Life cycle: the last guest is paused before it can run. */
    if (built[2] && built[1]) {
        paused_guest = built[2];
        domain_pause(built[2]);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(guest_tests); i++) {
        if (built[i]) {
            log_info("selftest: starting PV guest domain %u on CPU %u\n", built[i]->id, cpu);
            vcpu_start(built[i]->vcpu[0]);
        }
    }
}
