/* Local APIC. Register map: Intel SDM vol. 3A 11.4.1 (xAPIC offsets) and
 * 11.12.1 (x2APIC MSR 0x800 + offset/16). x2APIC is used when present
 * unless `x2apic=0`. Timer: TSC-deadline mode where the CPU has it (SDM
 * 11.5.4.1), else one-shot mode with a count computed from the calibrated
 * APIC timer rate. */
#include <keel/apic.h>
#include <keel/cmdline.h>
#include <keel/cpufeature.h>
#include <keel/iomem.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/timer.h>
#include <keel/traps.h>
#include <keel/x86.h>

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_LDR        0x0d0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR  0x390
#define APIC_TIMER_DIV  0x3e0

#define APIC_BASE_ENABLE    (1UL << 11)
#define APIC_BASE_X2APIC    (1UL << 10)
#define LVT_MASKED          (1U << 16)
#define LVT_TSC_DEADLINE    (2U << 17)
#define ICR_INIT            0x00000500
#define ICR_STARTUP         0x00000600
#define ICR_NMI             0x00000400
#define ICR_LEVEL_ASSERT    0x00004000
#define ICR_ALL_BUT_SELF    0x000c0000
#define ICR_BUSY            0x00001000

bool apic_x2apic_mode;
static bool opt_x2apic = true;
param_bool("x2apic", opt_x2apic);
static volatile uint32_t *apic_mmio;
static uint64_t apic_timer_hz;          /* one-shot mode: ticks per second (divide by 1) */
static bool use_tsc_deadline;

static uint32_t apic_read(unsigned reg)
{
    if (apic_x2apic_mode)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return apic_mmio[reg / 4];
}

static void apic_write(unsigned reg, uint32_t v)
{
    if (apic_x2apic_mode)
        wrmsr(0x800 + (reg >> 4), v);
    else
        apic_mmio[reg / 4] = v;
}

uint32_t apic_read_id(void)
{
    uint32_t id = apic_read(APIC_ID);
    return apic_x2apic_mode ? id : id >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

static void apic_icr_write(uint32_t apic_id, uint32_t low)
{
    if (apic_x2apic_mode) {
        __asm__ __volatile__("mfence" ::: "memory");    /* x2APIC ICR writes are not serialising */
        wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
        return;
    }
    while (apic_read(APIC_ICR) & ICR_BUSY)
        cpu_relax();
    apic_write(APIC_ICR2, apic_id << 24);
    apic_write(APIC_ICR, low);
}

void apic_send_ipi(uint32_t apic_id, unsigned vector) { apic_icr_write(apic_id, vector); }
void apic_send_init(uint32_t apic_id) { apic_icr_write(apic_id, ICR_INIT | ICR_LEVEL_ASSERT); }
void apic_send_sipi(uint32_t apic_id, unsigned page) { apic_icr_write(apic_id, ICR_STARTUP | (page & 0xff)); }
void apic_send_nmi_all_but_self(void) { apic_icr_write(0, ICR_NMI | ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT); }

void apic_timer_arm(uint64_t deadline_tsc)
{
    if (use_tsc_deadline) {
        wrmsr(MSR_TSC_DEADLINE, deadline_tsc);
        return;
    }
    if (!deadline_tsc) {
        apic_write(APIC_TIMER_INIT, 0);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t ns = deadline_tsc > now ? tsc_to_ns(deadline_tsc - now) : 0;
    uint64_t count = ns * apic_timer_hz / 1000000000UL;
    if (count == 0)
        count = 1;
    if (count > 0xffffffffUL)
        count = 0xffffffffUL;           /* fires early; the queue re-arms */
    apic_write(APIC_TIMER_INIT, (uint32_t)count);
}

static void apic_timer_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs, (void)vector;
    this_cpu()->timer_irqs++;
    timer_interrupt();
}

static void apic_error_irq(struct cpu_regs *regs, unsigned vector)
{
    (void)regs, (void)vector;
    apic_write(APIC_ESR, 0);
    log_warn("apic: error interrupt on CPU %u, ESR 0x%x\n", smp_processor_id(), apic_read(APIC_ESR));
}

/* Rate of the APIC timer at divide-by-1, measured against the TSC. */
static void apic_timer_calibrate(void)
{
    apic_write(APIC_TIMER_DIV, 0xb);    /* divide by 1 */
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_APIC_TIMER);
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    uint64_t t0 = rdtsc();
    udelay(10000);
    uint32_t elapsed = 0xffffffff - apic_read(APIC_TIMER_CUR);
    uint64_t t1 = rdtsc();
    apic_write(APIC_TIMER_INIT, 0);
    apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER);
    apic_timer_hz = (uint64_t)elapsed * 1000000000UL / tsc_to_ns(t1 - t0);
    log_info("apic: timer runs at %lu kHz (one-shot mode)\n", apic_timer_hz / 1000);
}

void apic_bsp_init(uint64_t lapic_phys)
{
    if (!boot_cpu.apic)
        panic("apic: this CPU has no local APIC");
    apic_x2apic_mode = boot_cpu.x2apic && opt_x2apic;
    iomem_reserve(lapic_phys ? lapic_phys : 0xfee00000, PAGE_SIZE, IOMEM_DENY);
    if (!apic_x2apic_mode) {
        apic_mmio = ioremap(lapic_phys ? lapic_phys : 0xfee00000, PAGE_SIZE);
        if (!apic_mmio)
            panic("apic: cannot map the local APIC");
    }
    use_tsc_deadline = boot_cpu.tsc_deadline;
    irq_set_handler(VEC_APIC_TIMER, apic_timer_irq);
    irq_set_handler(VEC_APIC_ERROR, apic_error_irq);
    apic_cpu_init();
    if (!use_tsc_deadline)
        apic_timer_calibrate();
    log_info("apic: %s mode, timer in %s mode\n", apic_x2apic_mode ? "x2APIC" : "xAPIC",
             use_tsc_deadline ? "TSC-deadline" : "one-shot");
}

void apic_cpu_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
    if (apic_x2apic_mode)
        base |= APIC_BASE_X2APIC;
    wrmsr(MSR_APIC_BASE, base);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);     /* software enable */
    apic_write(APIC_LVT_LINT0, LVT_MASKED);
    apic_write(APIC_LVT_LINT1, 0x400);              /* NMI delivery */
    apic_write(APIC_LVT_ERROR, VEC_APIC_ERROR);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_TIMER_DIV, 0xb);
    apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER | (use_tsc_deadline ? LVT_TSC_DEADLINE : 0));
    /* TSC-deadline mode: the LVT write must precede the MSR write (SDM 11.5.4.1). */
    __asm__ __volatile__("mfence" ::: "memory");
    apic_eoi();
}
