/* SVM per CPU: probe (CPUID 0x8000000A, VM_CR.SVMDIS), EFER.SVME and the
 * host save area (VM_HSAVE_PA) on every CPU, a second page for the host
 * state VMRUN does not save (VMSAVE/VMLOAD: FS/GS/TR/LDTR with their hidden
 * parts, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*), and the ASID
 * allocator. Facts: AMD APM vol. 2, 15.4 (enabling SVM), 15.5.1 (VMRUN),
 * 15.16 (TLB control, ASIDs), 15.15 (VMCB clean bits). */
#include "vmcb.h"
#include <keel/cpufeature.h>
#include <keel/hvm_vendor.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printf.h>
#include <keel/string.h>
#include <keel/x86.h>

bool svm_has_nrips, svm_has_flush_by_asid, svm_has_clean_bits;
bool svm_has_decode_assists, svm_has_pause_filter, svm_has_pause_thresh;
uint32_t svm_nr_asids;

struct svm_cpu {
    paddr_t hsave, host_area;
    uint32_t next_asid;
    uint64_t generation;            /* bumps when the ASIDs run out (all flushed) */
    const void *last_vmcb;          /* the last VMCB VMRUN'd here (clean bits) */
};
static struct svm_cpu svm_cpus[NR_CPUS];

bool svm_probe(char *features, size_t len)
{
    uint32_t a, b, c, d;
    if (!boot_cpu.svm || boot_cpu.max_ext_leaf < 0x8000000a) {
        snprintf(features, len, "no SVM leaf");
        return false;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        snprintf(features, len, "disabled by the firmware (VM_CR.SVMDIS)");
        return false;
    }
    cpuid_count(0x8000000a, 0, &a, &b, &c, &d);
    bool npt = d & (1U << 0);
    /* CPUID Fn8000_000A EDX (APM vol. 3, appendix E, "SVM Features"). */
    svm_has_nrips = d & (1U << 3);
    svm_has_clean_bits = d & (1U << 5);
    svm_has_flush_by_asid = d & (1U << 6);
    svm_has_decode_assists = d & (1U << 7);
    svm_has_pause_filter = d & (1U << 10);
    svm_has_pause_thresh = d & (1U << 12);
    svm_nr_asids = b;
    if (!npt) {
        snprintf(features, len, "no nested paging");
        return false;
    }
    if (svm_nr_asids < 2) {
        snprintf(features, len, "%u ASIDs", svm_nr_asids);
        return false;
    }
    if (svm_clean_check)
        log_info("svm: VMCB clean-bit check on (svm_clean_check)\n");
    snprintf(features, len,
             "NPT, ASIDs %u, %sNRIPS, %sflush-by-ASID, %sclean bits, %sdecode assists, %s",
             svm_nr_asids, svm_has_nrips ? "" : "no ", svm_has_flush_by_asid ? "" : "no ",
             svm_has_clean_bits ? "" : "no ", svm_has_decode_assists ? "" : "no ",
             !svm_has_pause_filter ? "no pause filter" :
             svm_has_pause_thresh ? "pause filter+threshold" : "pause filter");
    return true;
}

int svm_cpu_enable(void)
{
    struct svm_cpu *c = &svm_cpus[smp_processor_id()];
    mfn_t m1, m2;
    if (!c->hsave) {
        if (alloc_frames(0, &m1))
            return -1;
        if (alloc_frames(0, &m2)) {
            free_frames(m1, 0);
            return -1;
        }
        memset(mfn_to_virt(m1), 0, PAGE_SIZE);
        memset(mfn_to_virt(m2), 0, PAGE_SIZE);
        c->hsave = m1 << PAGE_SHIFT;
        c->host_area = m2 << PAGE_SHIFT;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, c->hsave);
    c->next_asid = 1;
    c->generation = 1;
    c->last_vmcb = NULL;
    return 0;
}

paddr_t svm_host_area(void)
{
    return svm_cpus[smp_processor_id()].host_area;
}

/* A vCPU keeps its ASID while it stays on this CPU in the same generation;
 * otherwise (it moved, it asked for a flush, or it is new) it takes a fresh
 * one, which holds no stale translations. When the ASIDs run out the
 * generation ends and the whole TLB is flushed once (every ASID). */
void svm_asid_for_entry(struct svm_vcpu *s)
{
    struct svm_cpu *c = &svm_cpus[smp_processor_id()];
    int cpu = (int)smp_processor_id();
    s->vmcb->tlb_control = SVM_TLB_NONE;
    if (s->last_cpu == cpu && s->asid_gen == c->generation && !s->flush_pending)
        return;
    if (s->flush_pending && s->last_cpu == cpu && s->asid_gen == c->generation &&
        svm_has_flush_by_asid) {
        s->vmcb->tlb_control = SVM_TLB_FLUSH_ASID;
        s->flush_pending = false;
        return;
    }
    if (c->next_asid >= svm_nr_asids) {
        c->generation++;
        c->next_asid = 1;
        s->vmcb->tlb_control = SVM_TLB_FLUSH_ALL;
    }
    s->asid = c->next_asid++;
    s->asid_gen = c->generation;
    s->last_cpu = cpu;
    s->flush_pending = false;
    vmcb_set(s, asid, s->asid);
}

uint32_t svm_clean_for_entry(struct svm_vcpu *s)
{
    if (!svm_has_clean_bits && !svm_clean_check)
        return 0;                       /* the field stays 0; nothing to track */
    unsigned cpu = smp_processor_id();
    struct svm_cpu *c = &svm_cpus[cpu];
    uint32_t clean = vmcb_clean_for_entry(&s->clean, (int)cpu, &c->last_vmcb, s->vmcb,
                                          VMCB_CLEAN_USED);
    if (svm_clean_check)
        svm_clean_check_entry(s, clean);
    return svm_has_clean_bits ? clean : 0;      /* without the feature: always 0 */
}
