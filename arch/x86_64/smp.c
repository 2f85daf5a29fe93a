/* Secondary CPUs: INIT-SIPI-SIPI start-up through the low-memory
 * trampoline (SDM vol. 3A 8.4.4.1, MP initialization example), and
 * cross-CPU function calls by IPI. */
#include <keel/smp.h>
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/power.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/timer.h>
#include <keel/traps.h>
#include <keel/x86.h>

extern const char trampoline_start[], trampoline_end[];
extern char tramp_param_gdt_base[], tramp_param_jmp32[], tramp_param_jmp64[];
extern char tramp_param_cr3[], tramp_param_efer[], tramp_param_stack[], tramp_param_entry[];
extern const char tramp_entry32[], tramp_entry64[], tramp_gdt[];

/* ---- cross-CPU calls ---- */

struct call_slot {
    spinlock_t lock;                    /* serialises callers to one target */
    void (*volatile fn)(void *);
    void *volatile data;
    uint64_t posted;                    /* calls posted (under lock) */
    uint64_t done;                      /* calls finished by the target */
};
static struct call_slot call_slots[NR_CPUS];

/* Runs the call waiting in this CPU's slot, if any. Its data is read
 * before the slot is released (fn cleared): from then on the next caller
 * may fill it. Completion is counted per call, so a caller that waits
 * never mistakes the end of an earlier, unwaited call for its own; calls
 * run with interrupts off (as from the IPI), so they finish in the order
 * they were taken and `done` only counts up. */
void smp_serve_calls(void)
{
    struct call_slot *s = &call_slots[smp_processor_id()];
    if (!__atomic_load_n(&s->fn, __ATOMIC_ACQUIRE))
        return;
    uint64_t f = irq_save();            /* taken to done without a nested serve */
    void (*fn)(void *) = __atomic_load_n(&s->fn, __ATOMIC_ACQUIRE);
    void *data = s->data;
    uint64_t seq = __atomic_load_n(&s->posted, __ATOMIC_ACQUIRE);
    if (fn && __atomic_compare_exchange_n(&s->fn, &fn, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        fn(data);
        __atomic_store_n(&s->done, seq, __ATOMIC_RELEASE);
    }
    irq_restore(f);
}

static void call_function_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs, (void)vector;
    smp_serve_calls();
}

static void stop_cpu_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs, (void)vector;
    machine_halt();
}

void smp_init_ipis(void)
{
    irq_set_handler(VEC_CALL_FUNCTION, call_function_irq);
    irq_set_handler(VEC_STOP_CPU, stop_cpu_irq);
}

int smp_call_on_cpu(unsigned cpu, void (*fn)(void *), void *data, bool wait)
{
    if (!cpu_online(cpu))
        return -EINVAL;
    if (cpu == smp_processor_id()) {
        uint64_t f = irq_save();
        fn(data);
        irq_restore(f);
        return 0;
    }
    struct call_slot *s = &call_slots[cpu];
    /* While waiting, serve calls aimed at us: two CPUs calling each other
     * with interrupts off must not wait for ever. */
    while (!spin_trylock(&s->lock)) {
        smp_serve_calls();
        cpu_relax();
    }
    s->data = data;
    uint64_t seq = __atomic_add_fetch(&s->posted, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&s->fn, fn, __ATOMIC_RELEASE);
    apic_send_ipi(cpu_percpu[cpu]->apic_id, VEC_CALL_FUNCTION);
    /* The slot is reused only after the target took the call (and its data). */
    while (__atomic_load_n(&s->fn, __ATOMIC_ACQUIRE)) {
        smp_serve_calls();
        cpu_relax();
    }
    spin_unlock(&s->lock);
    if (wait)                           /* calls finish in order: done counts up */
        while ((int64_t)(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) - seq) < 0) {
            smp_serve_calls();
            cpu_relax();
        }
    return 0;
}

void smp_call_others(void (*fn)(void *), void *data, bool wait)
{
    for_each_online_cpu(cpu)
        if (cpu != smp_processor_id())
            smp_call_on_cpu(cpu, fn, data, wait);
}

volatile bool cpus_stopping;

void smp_stop_others(void)
{
    cpus_stopping = true;
    __asm__ __volatile__("mfence" ::: "memory");
    if (nr_cpus_online > 1)
        apic_send_nmi_all_but_self();
}

/* ---- start-up ---- */

static pte_t *tramp_l4;

/* Who decides whether a slow AP is part of the system: the AP claims its
 * slot when it arrives, the boot CPU gives it up after its wait; the one
 * that moves start_state from waiting wins. An AP that arrives after the
 * boot CPU gave up (a host that ran QEMU's thread for it very late) stops
 * at once: its slot is gone, and touching timers or run queues there
 * would fault (seen under load: a #PF in timer_set from ap_main). */
enum { AP_WAITING, AP_ARRIVED, AP_ABANDONED };

static bool ap_claim(struct percpu *pc, uint32_t to)
{
    uint32_t waiting = AP_WAITING;
    return __atomic_compare_exchange_n(&pc->start_state, &waiting, to, false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void ap_main(void)
{
    struct percpu *pc = this_cpu();
    if (!ap_claim(pc, AP_ARRIVED))
        for (;;)
            __asm__ __volatile__("cli; hlt");
    cpu_init(pc);
    apic_cpu_init();
    timers_cpu_init();
    __atomic_store_n(&pc->online, true, __ATOMIC_RELEASE);
    __atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
    timer_start_heartbeat();
    idle_loop();
}

/* An L4 below 4 GiB (CR3 is loaded in 32-bit mode) that maps the
 * trampoline page at its physical address and shares the hypervisor's
 * slots. */
static int tramp_prepare(void)
{
    mfn_t l4, l3, l2, l1;
    if (alloc_frames_below(0, 1UL << 20, &l4) || alloc_frames_below(0, 1UL << 20, &l3) ||
        alloc_frames_below(0, 1UL << 20, &l2) || alloc_frames_below(0, 1UL << 20, &l1))
        return -ENOMEM;
    tramp_l4 = mfn_to_virt(l4);
    pte_t *t3 = mfn_to_virt(l3), *t2 = mfn_to_virt(l2), *t1 = mfn_to_virt(l1);
    memset(tramp_l4, 0, PAGE_SIZE);
    memset(t3, 0, PAGE_SIZE);
    memset(t2, 0, PAGE_SIZE);
    memset(t1, 0, PAGE_SIZE);
    for (unsigned s = 256; s < 512; s++)
        tramp_l4[s] = hv_l4[s];
    tramp_l4[0] = (l3 << PAGE_SHIFT) | PTE_P | PTE_W;
    t3[0] = (l2 << PAGE_SHIFT) | PTE_P | PTE_W;
    t2[0] = (l1 << PAGE_SHIFT) | PTE_P | PTE_W;
    t1[ap_trampoline_phys >> PAGE_SHIFT] = ap_trampoline_phys | PTE_P | PTE_W;

    uint8_t *page = phys_to_virt(ap_trampoline_phys);
    size_t len = (size_t)(trampoline_end - trampoline_start);
    memcpy(page, trampoline_start, len);
#define PARAM(sym) ((void *)(page + ((sym) - trampoline_start)))
    uint32_t base = (uint32_t)ap_trampoline_phys;
    *(uint32_t *)PARAM(tramp_param_gdt_base) = base + (uint32_t)(tramp_gdt - trampoline_start);
    *(uint32_t *)PARAM(tramp_param_jmp32) = base + (uint32_t)(tramp_entry32 - trampoline_start);
    *(uint32_t *)PARAM(tramp_param_jmp64) = base + (uint32_t)(tramp_entry64 - trampoline_start);
    *(uint64_t *)PARAM(tramp_param_cr3) = l4 << PAGE_SHIFT;
    *(uint64_t *)PARAM(tramp_param_efer) = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE);
    *(uint64_t *)PARAM(tramp_param_entry) = (uint64_t)ap_main;
    return 0;
}

static bool start_cpu(unsigned cpu_id, uint32_t apic_id)
{
    struct percpu *pc = cpu_alloc(cpu_id, apic_id);
    if (!pc) {
        log_err("smp: out of memory for CPU %u\n", cpu_id);
        return false;
    }
    uint8_t *page = phys_to_virt(ap_trampoline_phys);
    *(uint64_t *)(page + (tramp_param_stack - trampoline_start)) =
        pc->stack_block + STACK_BLOCK_SIZE - CPU_INFO_SIZE;
    __asm__ __volatile__("mfence" ::: "memory");

    apic_send_init(apic_id);
    udelay(10000);
    for (int sipi = 0; sipi < 2 && !__atomic_load_n(&pc->start_state, __ATOMIC_ACQUIRE); sipi++) {
        apic_send_sipi(apic_id, (unsigned)(ap_trampoline_phys >> PAGE_SHIFT));
        /* Generous: under an emulator on a busy host an AP can take long. */
        uint64_t until = now_ns() + (sipi ? 2000000000UL : 1000000UL);
        while (!__atomic_load_n(&pc->start_state, __ATOMIC_ACQUIRE) && now_ns() < until)
            cpu_relax();
    }
    if (ap_claim(pc, AP_ABANDONED)) {
        log_err("smp: CPU %u (APIC id %u) did not start\n", cpu_id, apic_id);
        cpu_percpu[cpu_id] = NULL;      /* (its stack stays: a late AP halts on it) */
        return false;
    }
    while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
        cpu_relax();                    /* it arrived: it runs Keel's code to the end */
    return true;
}

void smp_boot_cpus(const struct acpi_info *ai, unsigned max_cpus)
{
    uint32_t self = cpu_percpu[0]->apic_id;
    unsigned enabled = 0, next_id = 1;

    for (unsigned i = 0; i < ai->nr_cpus; i++)
        enabled += ai->cpu[i].enabled;
    nr_cpus_possible = MAX(enabled, 1U);
    if (enabled > 1 && tramp_prepare() < 0) {
        log_err("smp: cannot prepare the start-up trampoline\n");
        return;
    }
    for (unsigned i = 0; i < ai->nr_cpus; i++) {
        const struct acpi_cpu *c = &ai->cpu[i];
        if (!c->enabled || c->apic_id == self)
            continue;
        if (next_id >= NR_CPUS || next_id >= max_cpus) {
            log_warn("smp: CPU with APIC id %u not started (limit %u)\n", c->apic_id,
                     MIN(max_cpus, (unsigned)NR_CPUS));
            continue;
        }
        if (start_cpu(next_id, c->apic_id))
            next_id++;
    }
    log_info("smp: %u of %u CPUs online\n", nr_cpus_online, nr_cpus_possible);
}
