/* Domains started from boot modules, as with Xen: module 0 is the
 * privileged initial domain (dom0) with its command line, module 1 its
 * initrd. For tests before a control domain exists, `domu=` starts further
 * modules as unprivileged domains:
 *     domu=<module>:<name>:<memory>[:<vcpus>][:weight=N][:cap=N][:cpus=A-B][:initrd=M][:pvh]
 * e.g. domu=2:t1:32M:2:weight=512:cap=50 (repeatable): scheduler weight
 * (default 256), cap in percent of one CPU (0 = none), the CPUs its
 * vCPUs may run on (hard affinity; default all) and boot module M as its
 * initrd (loaded as Xen's domain builder loads a ramdisk: start_info
 * mod_start/mod_len). The kernel's command line is its module's.
 * `:pvh` builds it as a PVH guest (hardware-assisted, nested paging; the
 * kernel's PHYS32_ENTRY note), as `dom0=pvh` does for dom0 (Xen's spelling).
 * dom0_weight=, dom0_cap= and dom0_cpus= do the same for dom0. A module
 * named by domu= (kernel or initrd) is not dom0's initrd. When dom0
 * shuts down, the machine powers off or reboots as dom0 asked. */
#include <keel/dom_build.h>
#include <keel/alloc.h>
#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/power.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <keel/timer.h>
#include <keel/smp.h>
#include <public/sched.h>

#define MAX_DOMUS 16

struct sched_spec {
    unsigned weight, cap;               /* 0: default weight, no cap */
    unsigned cpu_first, cpu_last;       /* hard affinity; last 0: all CPUs */
};

struct domu_spec {
    unsigned module;
    int initrd;                         /* boot module, or -1 */
    char name[DOMAIN_NAME_MAX];
    uint64_t mem;
    unsigned vcpus;
    bool pvh;
    struct sched_spec sched;
};

static struct domu_spec domus[MAX_DOMUS];
static unsigned nr_domus;
static uint64_t opt_dom0_mem = MiB(256);
static bool dom0_mem_given;                 /* dom0_mem= on the command line */
static unsigned opt_dom0_vcpus;            /* 0: one per online CPU (Xen's default) */
static struct sched_spec opt_dom0_sched;

static int parse_size(const char *s, const char **end, uint64_t *out)
{
    uint64_t v;
    if (keel_strtou64(s, end, 0, &v))
        return -1;
    unsigned shift = 0;
    switch (**end) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: break;
    }
    if (shift)
        (*end)++;
    if (v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* cpus=A or A-B (a range of CPU numbers). */
static int parse_cpus(const char *v, const char **end, struct sched_spec *s)
{
    uint64_t a, b;
    if (keel_strtou64(v, end, 10, &a) || a >= NR_CPUS)
        return -1;
    b = a;
    if (**end == '-' && (keel_strtou64(*end + 1, end, 10, &b) || b < a || b >= NR_CPUS))
        return -1;
    s->cpu_first = (unsigned)a;
    s->cpu_last = (unsigned)b + 1;
    return 0;
}

/* One ":key=value" field of domu= (p after the colon). */
static int parse_domu_field(const char *p, const char **end, struct domu_spec *d)
{
    struct sched_spec *s = &d->sched;
    uint64_t n;
    if (!strncmp(p, "pvh", 3) && (p[3] == ':' || !p[3])) {
        d->pvh = true;
        *end = p + 3;
    } else if (!strncmp(p, "initrd=", 7)) {
        if (keel_strtou64(p + 7, end, 10, &n) || n >= BOOT_MAX_MODULES)
            return -1;
        d->initrd = (int)n;
    } else if (!strncmp(p, "weight=", 7)) {
        if (keel_strtou64(p + 7, end, 10, &n) || n < 1 || n > SCHED_WEIGHT_MAX)
            return -1;
        s->weight = (unsigned)n;
    } else if (!strncmp(p, "cap=", 4)) {
        if (keel_strtou64(p + 4, end, 10, &n) || n > SCHED_CAP_MAX)
            return -1;
        s->cap = (unsigned)n;
    } else if (!strncmp(p, "cpus=", 5)) {
        return parse_cpus(p + 5, end, s);
    } else {
        return -1;
    }
    return 0;
}

/* domu=<module>:<name>:<memory>[:<vcpus>][:weight=N][:cap=N][:cpus=A-B][:initrd=M][:pvh] */
static int parse_domu(const char *v)
{
    struct domu_spec s = { .vcpus = 1, .initrd = -1 };
    const char *p;
    uint64_t n;
    if (nr_domus == MAX_DOMUS || keel_strtou64(v, &p, 10, &n) || *p != ':' || n >= BOOT_MAX_MODULES)
        return -1;
    s.module = (unsigned)n;
    const char *name = p + 1, *colon = strchr(name, ':');
    if (!colon || colon == name || (size_t)(colon - name) >= sizeof(s.name))
        return -1;
    memcpy(s.name, name, (size_t)(colon - name));
    if (parse_size(colon + 1, &p, &s.mem) || s.mem < MiB(1))
        return -1;
    if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
        if (keel_strtou64(p + 1, &p, 10, &n) || n < 1 || n > MAX_VCPUS_PER_DOMAIN)
            return -1;
        s.vcpus = (unsigned)n;
    }
    while (*p == ':')
        if (parse_domu_field(p + 1, &p, &s))
            return -1;
    if (*p)
        return -1;
    domus[nr_domus++] = s;
    return 0;
}
param_custom("domu", parse_domu);

static int parse_dom0_mem(const char *v)
{
    const char *end;
    uint64_t m;
    if (parse_size(v, &end, &m) || *end || m < MiB(4))
        return -1;
    opt_dom0_mem = m;
    dom0_mem_given = true;
    return 0;
}
param_custom("dom0_mem", parse_dom0_mem);

/* The default dom0 size on a machine too small for it: what is free, less
 * what the other boot domains ask for and a reserve for Keel's own
 * allocations (1/16 of it, at least 8 MiB), as Xen sizes a dom0 without
 * dom0_mem from the free memory. An explicit dom0_mem is taken as given. */
static uint64_t dom0_mem_default(uint64_t free_bytes)
{
    uint64_t want = opt_dom0_mem, others = 0;
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module)
            others += domus[i].mem;
    uint64_t reserve = MAX(free_bytes / 16, MiB(8));
    if (dom0_mem_given || free_bytes < others + reserve + MiB(4) ||
        want <= free_bytes - others - reserve)
        return want;
    uint64_t fit = (free_bytes - others - reserve) & ~(MiB(1) - 1);
    log_info("boot: dom0 gets %lu MiB (the default %lu MiB does not fit in %lu MiB free)\n",
             fit >> 20, want >> 20, free_bytes >> 20);
    return fit;
}
param_uint("dom0_max_vcpus", opt_dom0_vcpus, 1, MAX_VCPUS_PER_DOMAIN);

/* dom0=pvh: dom0 is a PVH guest (Xen's option; for tests: Keel's PVH dom0
 * has no device access yet). dom0=pv: the default. */
static bool opt_dom0_pvh;
static int parse_dom0(const char *v)
{
    if (!strcmp(v, "pvh"))
        opt_dom0_pvh = true;
    else if (!strcmp(v, "pv"))
        opt_dom0_pvh = false;
    else
        return -1;
    return 0;
}
param_custom("dom0", parse_dom0);
param_uint("dom0_weight", opt_dom0_sched.weight, 1, SCHED_WEIGHT_MAX);
param_uint("dom0_cap", opt_dom0_sched.cap, 0, SCHED_CAP_MAX);

static int parse_dom0_cpus(const char *v)
{
    const char *end;
    return parse_cpus(v, &end, &opt_dom0_sched) || *end ? -1 : 0;
}
param_custom("dom0_cpus", parse_dom0_cpus);

/* Weight, cap and affinity before the domain's vCPUs start; their
 * runstate time counts from here (offline until started). */
static void apply_sched(struct domain *d, const struct sched_spec *s)
{
    uint64_t mask[NR_CPUS / 64] = { 0 };
    for (unsigned c = s->cpu_first; c < s->cpu_last; c++)
        mask[c / 64] |= 1UL << (c % 64);
    if (sched_set_params(d, s->weight, s->cap))
        log_err("boot: domain %u: bad weight %u or cap %u\n", d->id, s->weight, s->cap);
    uint64_t now = now_ns();
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        sched_runstate_start(&v->runstate, now);
        if (s->cpu_last && sched_set_affinity(v, mask))
            log_err("boot: domain %u: no online CPU in cpus=%u-%u: runs anywhere\n", d->id,
                    s->cpu_first, s->cpu_last - 1);
    }
    log_info("boot: domain %u ('%s'): weight %u, cap %u%%\n", d->id, d->name, d->sched_weight,
             d->sched_cap);
}

static bool claimed_by_domu(unsigned module)
{
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module == module || domus[i].initrd == (int)module)
            return true;
    return false;
}

/* Module command lines from QEMU start with the file name; GRUB's do not.
 * Either way the kernel's command line is what follows the first word. */
static const char *module_args(const struct boot_module *m)
{
    const char *s = m->cmdline;
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

static uint64_t free_before_domains;    /* frames free before any domain was built */

/* When dom0 ends: if no domain is left, every frame they took must be
 * free again (the tests look for this line). */
static void check_memory_returned(void)
{
    /* Domains already on their way out finish on their own CPUs (serving
     * their cross-CPU calls meanwhile); running ones are not waited for. */
    unsigned stopping, left = domain_count(&stopping);
    for (uint64_t until = now_ns() + 2000000000UL; left && left == stopping && now_ns() < until;
         left = domain_count(&stopping)) {
        smp_serve_calls();
        cpu_relax();
    }
    if (left) {
        log_info("mem: %u domain(s) still running, free memory not compared\n", left);
        return;
    }
    kmem_trim();
    uint64_t now = mm_free_frames();
    if (now == free_before_domains)
        log_info("mem: all domains gone, %lu KiB free as before they were built\n", now * 4);
    else
        log_err("mem: all domains gone, %lu KiB free but %lu KiB before they were built\n",
                now * 4, free_before_domains * 4);
}

/* dom0_exit=wait[:S]: when dom0 ends, the machine waits for the other
 * domains to end too (at most S seconds, default 60) before it powers off
 * or reboots as dom0 asked. For tests that run several domains (a Linux
 * domU under a loaded TCG host may need minutes); the default, as Xen,
 * ends the machine with dom0. */
static bool opt_dom0_exit_wait;
static uint64_t dom0_exit_wait_ns = 60000000000UL;
static int parse_dom0_exit(const char *v)
{
    uint64_t secs;
    const char *end;
    if (!strcmp(v, "wait")) {
        opt_dom0_exit_wait = true;
    } else if (!strncmp(v, "wait:", 5) && !keel_strtou64(v + 5, &end, 10, &secs) && !*end &&
               secs >= 1 && secs <= 86400) {
        opt_dom0_exit_wait = true;
        dom0_exit_wait_ns = secs * 1000000000UL;
    } else if (!strcmp(v, "now")) {
        opt_dom0_exit_wait = false;
    } else {
        return -1;
    }
    return 0;
}
param_custom("dom0_exit", parse_dom0_exit);

static struct {
    bool pending;                       /* dom0 ended, others still run */
    enum domain_state state;
    unsigned code;
    struct timer deadline;
} dom0_exit;

static void end_machine(enum domain_state state, unsigned code);

static void dom0_exit_deadline(struct timer *t, void *data)
{
    (void)t, (void)data;
    if (!__atomic_exchange_n(&dom0_exit.pending, false, __ATOMIC_SEQ_CST))
        return;
    log_err("dom0_exit=wait: %u domain(s) still running after %lu s\n",
            domain_count(NULL), dom0_exit_wait_ns / 1000000000UL);
    end_machine(dom0_exit.state, dom0_exit.code);
}

/* on_destroy of every other boot domain: the last one ends the machine
 * if dom0 is already gone. */
static void domu_ended(uint16_t id, enum domain_state state, unsigned code)
{
    (void)id, (void)state, (void)code;
    if (domain_count(NULL) == 0 && __atomic_exchange_n(&dom0_exit.pending, false, __ATOMIC_SEQ_CST))
        end_machine(dom0_exit.state, dom0_exit.code);
}

static void dom0_ended(uint16_t id, enum domain_state state, unsigned code)
{
    (void)id;
    if (opt_dom0_exit_wait && domain_count(NULL) > 0) {
        log_info("dom0 ended: waiting for %u other domain(s) (dom0_exit=wait)\n", domain_count(NULL));
        dom0_exit.state = state;
        dom0_exit.code = code;
        timer_init(&dom0_exit.deadline, dom0_exit_deadline, NULL, smp_processor_id());
        __atomic_store_n(&dom0_exit.pending, true, __ATOMIC_SEQ_CST);
        timer_set(&dom0_exit.deadline, now_ns() + dom0_exit_wait_ns);
        domu_ended(0, state, code);     /* the others may have ended meanwhile */
        return;
    }
    end_machine(state, code);
}

static void end_machine(enum domain_state state, unsigned code)
{
    check_memory_returned();
    if (state == DOMAIN_SHUTDOWN && code == SHUTDOWN_poweroff)
        machine_power_off();
    if (state == DOMAIN_SHUTDOWN && code == SHUTDOWN_reboot)
        machine_reboot();
    log_err("dom0 %s (code %u): %s the machine\n", domain_state_name(state), code,
            opt_noreboot ? "halting" : "rebooting");
    if (opt_noreboot)
        machine_halt();
    machine_reboot();
}

static void start(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->online)
            vcpu_start(d->vcpu[i]);
}

static struct domain *build_module(const struct boot_info *bi, unsigned m, const char *name,
                                   bool priv, uint64_t mem, unsigned vcpus, int initrd_module,
                                   unsigned first_cpu, const struct sched_spec *sched, bool pvh)
{
    const struct boot_module *mod = &bi->mod[m];
    struct pv_build_req r = {
        .name = name, .image = phys_to_virt(mod->start), .image_len = mod->end - mod->start,
        .cmdline = module_args(mod), .privileged = priv, .mem_bytes = mem,
        .nr_vcpus = vcpus, .first_cpu = first_cpu, .hv_backends = !priv,
    };
    if (initrd_module >= 0) {
        r.initrd = phys_to_virt(bi->mod[initrd_module].start);
        r.initrd_len = bi->mod[initrd_module].end - bi->mod[initrd_module].start;
    }
    struct domain *d;
    if (pvh ? pvh_build_domain(&r, &d) : pv_build_domain(&r, &d)) {
        log_err("boot: module %u ('%s') not started\n", m, name);
        return NULL;
    }
    d->on_destroy = priv ? dom0_ended : domu_ended;
    apply_sched(d, sched);
    return d;
}

void boot_domains(const struct boot_info *bi)
{
    if (!bi->nr_mod) {
        log_info("boot: no modules: no dom0 to start\n");
        return;
    }
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module == 0 || domus[i].module >= bi->nr_mod) {
            log_err("boot: domu=%u: no such module (or it is dom0)\n", domus[i].module);
            domus[i].module = 0;
        } else if (domus[i].initrd == 0 || domus[i].initrd >= (int)bi->nr_mod) {
            log_err("boot: domu=%u: initrd=%d: no such module (or it is dom0): not started\n",
                    domus[i].module, domus[i].initrd);
            domus[i].module = 0;
        }
    int initrd = bi->nr_mod > 1 && !claimed_by_domu(1) ? 1 : -1;
    kmem_trim();
    free_before_domains = mm_free_frames();
    sched_boot_report();
    unsigned dom0_vcpus = opt_dom0_vcpus ? opt_dom0_vcpus : MIN(nr_cpus_online, (unsigned)MAX_VCPUS_PER_DOMAIN);
    /* Every domain is built before any starts: a dom0 that ended while a
     * domU was still being built (seconds for a compressed kernel in
     * Bochs) would find no other domain to wait for and end the machine. */
    struct domain *built[1 + MAX_DOMUS];
    unsigned n = 0;
    uint64_t dom0_mem = dom0_mem_default(free_before_domains << PAGE_SHIFT);
    built[n++] = build_module(bi, 0, "dom0", true, dom0_mem, dom0_vcpus, initrd, 0,
                              &opt_dom0_sched, opt_dom0_pvh);
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module)
            built[n++] = build_module(bi, domus[i].module, domus[i].name, false, domus[i].mem,
                                      domus[i].vcpus, domus[i].initrd, 1 + i, &domus[i].sched,
                                      domus[i].pvh);
    for (unsigned i = 0; i < n; i++)
        if (built[i])
            start(built[i]);
}
