/* System time from the TSC. The TSC rate comes from CPUID leaf 0x15/0x16
 * when the CPU states it, else it is measured against PIT channel 2
 * (8254: 1.193182 MHz input, mode 0 one-shot; gate and output via port 0x61).
 * 25 ms of PIT counts (29829), read with tight TSC brackets, give the
 * rate to well under 0.1%. */
#include <keel/timer.h>
#include <keel/cpufeature.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/x86.h>

#define PIT_HZ          1193182UL
#define PIT_CAL_MS      25

uint64_t tsc_hz;
static uint64_t tsc_boot;
struct time_scale tsc_ns_scale;         /* the one scale: Keel's and the guests' */
static uint64_t tsc_mult;               /* tsc = ns * tsc_mult >> 32 */

/* Guests compute system time with the scale Keel publishes in vcpu_info
 * (ref/xen-pv-abi.md 6.3): ns = ((tsc << shift) * mul) >> 32. Keel's own
 * clock uses exactly the same formula, so a guest's extrapolation and
 * Keel's now_ns() never drift apart between refreshes. */
uint64_t tsc_to_ns(uint64_t tsc)
{
    int8_t shift = tsc_ns_scale.shift;
    tsc = shift >= 0 ? tsc << shift : tsc >> -shift;
    return (uint64_t)(((unsigned __int128)tsc * tsc_ns_scale.mul) >> 32);
}

uint64_t tsc_to_system_time(uint64_t tsc)
{
    return tsc_to_ns(tsc - tsc_boot);
}

/* mul < 2^32: a rate under 1 GHz is shifted left until it reaches 1 GHz;
 * a faster TSC keeps shift 0 (mul = 2^32 * 1e9 / rate < 2^32). Never a
 * right shift: it drops a TSC tick from every delta before scaling, and
 * readings through two vCPUs' time stamps could then differ by 2 ns
 * (time_smp saw it); with shift >= 0 they differ by at most 1 ns. */
static void time_scale_compute(uint64_t hz, struct time_scale *ts)
{
    int s = 0;
    while (hz < 1000000000UL && s < 31) {
        hz <<= 1;
        s++;
    }
    uint64_t mul = (1000000000UL << 32) / hz;
    ts->mul = mul > UINT32_MAX ? UINT32_MAX : (uint32_t)mul;
    ts->shift = (int8_t)s;
}

uint64_t ns_to_tsc(uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
}

uint64_t now_ns(void)
{
    return tsc_to_ns(rdtsc() - tsc_boot);
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + ns_to_tsc(us * 1000);
    while (rdtsc() < end)
        cpu_relax();
}

/* One reading of PIT channel 2's counter, with the TSC at that moment:
 * each try brackets the latch-and-read between two TSC reads, and the
 * tightest bracket of a few wins. A reading the host delayed (a vCPU
 * thread descheduled under QEMU, an SMI on hardware) has a wide bracket
 * and loses; timing only the counter's output, as before, let one such
 * delay through whole (a loaded host once made the TSC look 1.64 times
 * faster than it is, and every guest's clock ran that much slow). */
struct pit_sample {
    uint16_t count;
    uint64_t tsc, spread;
};

static struct pit_sample pit_read_sample(void)
{
    struct pit_sample best = { 0, 0, UINT64_MAX };
    for (int i = 0; i < 8; i++) {
        uint64_t a = rdtsc();
        outb(0x43, 0x80);                       /* latch channel 2 */
        uint8_t lo = inb(0x42), hi = inb(0x42);
        uint64_t b = rdtsc();
        if (b - a < best.spread)
            best = (struct pit_sample){ (uint16_t)(lo | hi << 8), a + (b - a) / 2, b - a };
    }
    return best;
}

/* TSC ticks per second over about PIT_CAL_MS of PIT counts, or 0 when the
 * counter does not move (no PIT). */
static uint64_t tsc_measure_pit(void)
{
    uint32_t span = PIT_HZ * PIT_CAL_MS / 1000;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);    /* speaker off, gate 2 on */
    outb(0x43, 0xb0);                           /* channel 2, lo/hi, mode 0, binary */
    outb(0x42, 0xff);
    outb(0x42, 0xff);                           /* counts down from 65535 (55 ms) */
    struct pit_sample s0 = pit_read_sample(), s1;
    uint64_t spins = 0;
    do {
        s1 = pit_read_sample();
        if (++spins > 10000000UL)
            return 0;
    } while (s1.count > s0.count || (uint32_t)(s0.count - s1.count) < span);
    return (s1.tsc - s0.tsc) * PIT_HZ / (s0.count - s1.count);
}

/* The median of three measurements: one window the host stalled inside
 * (between two samples' brackets) does not decide either. */
static uint64_t tsc_calibrate_pit(void)
{
    uint64_t r[3];
    for (int i = 0; i < 3; i++)
        if (!(r[i] = tsc_measure_pit()))
            return 0;
    uint64_t lo = MIN(r[0], MIN(r[1], r[2])), hi = MAX(r[0], MAX(r[1], r[2]));
    return r[0] + r[1] + r[2] - lo - hi;
}

void time_init(void)
{
    const char *source = "CPUID";

    tsc_hz = boot_cpu.tsc_hz_cpuid;
    if (!tsc_hz) {
        tsc_hz = tsc_calibrate_pit();
        source = "PIT";
    }
    if (!tsc_hz)
        panic("time: cannot determine the TSC frequency");
    time_scale_compute(tsc_hz, &tsc_ns_scale);
    tsc_mult = ((tsc_hz / 1000) << 32) / 1000000;
    tsc_boot = rdtsc();
    log_info("time: TSC %lu.%03lu MHz (from %s)%s\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000,
             source, boot_cpu.invtsc ? ", invariant" : "");
}
