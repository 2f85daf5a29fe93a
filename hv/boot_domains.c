/* Domains started from boot modules, as with Xen: module 0 is the
 * privileged initial domain (dom0) with its command line, module 1 its
 * initrd. For tests before a control domain exists, `domu=` starts further
 * modules as unprivileged domains:
 *     domu=<module>:<name>:<memory>[:<vcpus>]     e.g. domu=2:t1:32M:2
 * (repeatable). A module named by domu= is not dom0's initrd. When dom0
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
#include <keel/string.h>
#include <keel/vcpu.h>
#include <keel/x86.h>
#include <keel/timer.h>
#include <keel/smp.h>
#include <public/sched.h>

#define MAX_DOMUS 16

struct domu_spec {
    unsigned module;
    char name[DOMAIN_NAME_MAX];
    uint64_t mem;
    unsigned vcpus;
};

static struct domu_spec domus[MAX_DOMUS];
static unsigned nr_domus;
static uint64_t opt_dom0_mem = MiB(256);
static unsigned opt_dom0_vcpus = 1;

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

/* domu=<module>:<name>:<memory>[:<vcpus>] */
static int parse_domu(const char *v)
{
    struct domu_spec s = { .vcpus = 1 };
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
    if (*p == ':') {
        if (keel_strtou64(p + 1, &p, 10, &n) || n < 1 || n > MAX_VCPUS_PER_DOMAIN)
            return -1;
        s.vcpus = (unsigned)n;
    }
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
    return 0;
}
param_custom("dom0_mem", parse_dom0_mem);
param_uint("dom0_max_vcpus", opt_dom0_vcpus, 1, MAX_VCPUS_PER_DOMAIN);

static bool claimed_by_domu(unsigned module)
{
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module == module)
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

static void dom0_ended(uint16_t id, enum domain_state state, unsigned code)
{
    (void)id;
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

static void build_module(const struct boot_info *bi, unsigned m, const char *name, bool priv,
                         uint64_t mem, unsigned vcpus, int initrd_module, unsigned first_cpu)
{
    const struct boot_module *mod = &bi->mod[m];
    struct pv_build_req r = {
        .name = name, .image = phys_to_virt(mod->start), .image_len = mod->end - mod->start,
        .cmdline = module_args(mod), .privileged = priv, .mem_bytes = mem,
        .nr_vcpus = vcpus, .first_cpu = first_cpu,
    };
    if (initrd_module >= 0) {
        r.initrd = phys_to_virt(bi->mod[initrd_module].start);
        r.initrd_len = bi->mod[initrd_module].end - bi->mod[initrd_module].start;
    }
    struct domain *d;
    if (pv_build_domain(&r, &d)) {
        log_err("boot: module %u ('%s') not started\n", m, name);
        return;
    }
    if (priv)
        d->on_destroy = dom0_ended;
    start(d);
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
        }
    int initrd = bi->nr_mod > 1 && !claimed_by_domu(1) ? 1 : -1;
    kmem_trim();
    free_before_domains = mm_free_frames();
    build_module(bi, 0, "dom0", true, opt_dom0_mem, opt_dom0_vcpus, initrd, 0);
    for (unsigned i = 0; i < nr_domus; i++)
        if (domus[i].module)
            build_module(bi, domus[i].module, domus[i].name, false, domus[i].mem,
                         domus[i].vcpus, -1, 1 + i);
}
