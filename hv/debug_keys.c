/* Debug keys about domains: 'q' domains and their vCPUs, 'e' the event
 * channels of every domain (Xen's keys for the same), 'g' where each
 * CPU's guest is. Run in the UART interrupt while serial input goes to
 * Keel (hv/console_input.c). */
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/sched.h>
#include <keel/evtchn.h>
#include <keel/hvm.h>
#include <keel/log.h>
#include <keel/smp.h>
#include <keel/vcpu.h>

static const char *vcpu_state_name(const struct vcpu *v)
{
    if (!v->online)
        return "down";
    if (v->blocked)
        return "blocked";
    switch (v->sched_state) {
    case VCPU_RUNNING: return "running";
    case VCPU_QUEUED:  return "runnable";
    default:           return "off";
    }
}

static void dump_vcpus(const struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus && i < MAX_VCPUS_PER_DOMAIN; i++) {
        const struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        const uint8_t *vi = v->vcpu_info;     /* byte 0: upcall pending (ref 6.2) */
        log_info("  vcpu %u: cpu %u, %s, %s mode, events %s%s, saved rip %lx\n", v->id,
                 v->processor, vcpu_state_name(v), v->kernel_mode ? "kernel" : "user",
                 pv_events_masked((struct vcpu *)v) ? "masked" : "unmasked",
                 vi && READ_ONCE(vi[0]) ? " (upcall pending)" : "", v->regs.rip);
        if (v->hvm)
            hvm_dump_vcpu_lapic(v);
    }
}

static void show_domain(struct domain *d, void *arg)
{
    (void)arg;
    log_info("domain %u '%s': %s%s, %lu KiB, %u vCPUs\n", d->id, d->name,
             domain_state_name(d->state), d->privileged ? ", privileged" : "",
             d->tot_pages * 4, d->nr_vcpus);
    dump_vcpus(d);
}

static void debug_key_domains_vcpus(char key)
{
    (void)key;
    log_info("domains and vCPUs:\n");
    domain_foreach(show_domain, NULL);
}
debug_key('q', "list domains and their vCPUs", debug_key_domains_vcpus);

static void show_evtchns(struct domain *d, void *arg)
{
    (void)arg;
    log_info("event channels of domain %u:\n", d->id);
    evtchn_dump(d);
}

static void debug_key_evtchn(char key)
{
    (void)key;
    domain_foreach(show_evtchns, NULL);
}
debug_key('e', "dump the event channels of every domain", debug_key_evtchn);

/* On each CPU: the vCPU it runs and that vCPU's live guest frame (the
 * saved copy in 'q' is stale while a vCPU runs). */
static void show_current_guest(void *arg)
{
    (void)arg;
    const struct vcpu *v = current_vcpu();
    const struct cpu_regs *r = guest_regs();
    if (!v) {
        log_info("cpu %u: idle\n", smp_processor_id());
        return;
    }
    log_info("cpu %u: d%u vcpu %u: rip %lx rsp %lx rflags %lx cs %lx rax %lx\n",
             smp_processor_id(), v->d->id, v->id, r->rip, r->rsp, r->rflags, r->cs, r->rax);
}

static void debug_key_current_guests(char key)
{
    (void)key;
    for_each_online_cpu(cpu)
        smp_call_on_cpu(cpu, show_current_guest, NULL, true);
}
debug_key('g', "the guest each CPU runs, with its registers", debug_key_current_guests);

static void debug_key_sched(char key)
{
    (void)key;
    sched_dump();
}
debug_key('r', "run queues and each vCPU's running/runnable/blocked/offline time", debug_key_sched);
