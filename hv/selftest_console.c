/* Self-test: lines logged by all CPUs at once arrive whole in the log ring
 * (never interleaved within a line). Logged at debug level: they go to the
 * ring whatever loglvl says, but not to the serial line. */
#include <keel/selftest.h>
#include <keel/console.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/x86.h>

#define LINES_PER_CPU   40
#define FILLER          "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static volatile unsigned started, finished;

static void log_burst(void *arg)
{
    unsigned cpus = (unsigned)(uintptr_t)arg;
    unsigned me = smp_processor_id();
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < cpus)
        cpu_relax();                    /* all CPUs log at the same moment */
    for (unsigned i = 0; i < LINES_PER_CPU; i++)
        log_debug("interleave: cpu %03u line %03u %s\n", me, i, FILLER);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

static bool memmem_simple(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n))
            return true;
    return false;
}

/* Checks one line; returns true if it is a whole test line. */
static bool line_intact(const char *s, size_t len)
{
    static const char prefix[] = "interleave: cpu ";
    size_t want = sizeof(prefix) - 1 + 3 + 6 + 3 + 1 + sizeof(FILLER) - 1;
    return len == want && !memcmp(s, prefix, sizeof(prefix) - 1) &&
           !memcmp(s + len - (sizeof(FILLER) - 1), FILLER, sizeof(FILLER) - 1);
}

static int test_lines_whole(void)
{
    int failed = 0;
    unsigned cpus = nr_cpus_online;
    uint64_t pos = log_ring_head();
    size_t cap = (size_t)cpus * LINES_PER_CPU * 128 + 4096;
    char *buf = kmalloc(cap);
    if (!buf || cap > LOG_RING_SIZE) {
        kfree(buf);
        ST_CHECK(!"buffer for the log ring");
        return failed;
    }
    started = finished = 0;
    smp_call_others(log_burst, (void *)(uintptr_t)cpus, false);
    log_burst((void *)(uintptr_t)cpus);
    while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < cpus)
        cpu_relax();

    size_t n = log_ring_read(&pos, buf, cap);
    unsigned whole = 0, broken = 0;
    static unsigned per_cpu[NR_CPUS];
    memset(per_cpu, 0, sizeof(per_cpu));
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && buf[end] != '\n')
            end++;
        if (memmem_simple(buf + i, end - i, "interleave: ")) {
            unsigned cpu = (unsigned)(buf[i + 16] - '0') * 100 + (unsigned)(buf[i + 17] - '0') * 10 +
                           (unsigned)(buf[i + 18] - '0');
            if (line_intact(buf + i, end - i) && cpu < NR_CPUS) {
                whole++;
                per_cpu[cpu]++;
            } else {
                broken++;
            }
        }
        i = end + 1;
    }
    kfree(buf);
    for_each_online_cpu(cpu)
        if (per_cpu[cpu] != LINES_PER_CPU)
            log_err("selftest: CPU %u: %u of its %u lines in the log\n", cpu, per_cpu[cpu], LINES_PER_CPU);
    log_info("selftest: %u lines from %u CPUs at once: %u whole, %u broken\n",
             cpus * LINES_PER_CPU, cpus, whole, broken);
    ST_CHECK(broken == 0);
    ST_CHECK(whole == cpus * LINES_PER_CPU);
    return failed;
}
selftest("log lines never interleave", test_lines_whole);
