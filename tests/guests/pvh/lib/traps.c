/* The IDT: vectors 0-31 go to trap_dispatch, which resumes a deliberate
 * fault (trap_resume_rip) or ends the test with a FAIL verdict naming the
 * fault; PVH_EVENT_VECTOR is the event callback (HVM_PARAM_CALLBACK_IRQ of
 * the vector type, public/hvm/params.h) or PVH_APIC_EVENT_VECTOR (the
 * per-vCPU HVMOP_set_evtchn_upcall_vector, through the local APIC, so it
 * writes the EOI unless apic_event_eoi is false): both run events_handle
 * (common/events.c) for this vCPU. No EOI for PVH_EVENT_VECTOR: Xen injects
 * it directly, not through the local APIC (hvm/irq.c hvm_assert_evtchn_irq). */
#include "pvh.h"

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};
static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idt_desc;

volatile struct trap_record last_trap;
volatile uint64_t trap_resume_rip;

volatile unsigned apic_events_seen;
bool apic_event_eoi = true;

volatile unsigned test_ipis_seen;

extern char trap_stubs[], event_stub[], apic_event_stub[], test_ipi_stub[];

static void set_gate(unsigned v, uint64_t addr)
{
    idt[v] = (struct idt_gate){
        .off0 = (uint16_t)addr, .sel = 0x08, .type = 0x8e,   /* interrupt gate, DPL 0 */
        .off1 = (uint16_t)(addr >> 16), .off2 = (uint32_t)(addr >> 32),
    };
}

void idt_set_user_gate(unsigned v, uint64_t addr)
{
    set_gate(v, addr);
    idt[v].type = 0xee;                     /* interrupt gate, DPL 3 */
}

void idt_load(void)
{
    if (!idt_desc.base) {
        for (unsigned v = 0; v < 32; v++)
            set_gate(v, (uint64_t)trap_stubs + v * 16);
        set_gate(PVH_EVENT_VECTOR, (uint64_t)event_stub);
        set_gate(PVH_APIC_EVENT_VECTOR, (uint64_t)apic_event_stub);
        set_gate(PVH_TEST_IPI_VECTOR, (uint64_t)test_ipi_stub);
        idt_desc.limit = sizeof(idt) - 1;
        idt_desc.base = (uint64_t)idt;
    }
    __asm__ __volatile__("lidt %0" :: "m"(idt_desc));
}

/* The vCPU we run on: the library keeps its id in GS base (0 on the
 * boot vCPU, set by pvh_ap_main on the others). */
uint64_t this_vcpu_id(void)
{
    return rdmsr(0xc0000101);
}

static void event_callback(void)
{
    events_handle(&shared_info->vcpu_info[this_vcpu_id()]);
}

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "v15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void trap_dispatch(struct trap_regs *r)
{
    if (r->vector == PVH_EVENT_VECTOR) {
        event_callback();
        return;
    }
    if (r->vector == PVH_TEST_IPI_VECTOR) {
        test_ipis_seen++;               /* the test EOIs it itself */
        return;
    }
    if (r->vector == PVH_APIC_EVENT_VECTOR) {
        /* The per-vCPU upcall vector comes through the local APIC: EOI. */
        apic_events_seen++;
        event_callback();
        if (apic_event_eoi)
            *(volatile uint32_t *)(LAPIC_BASE + LAPIC_EOI) = 0;
        return;
    }
    uint64_t cr2;
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
    last_trap.vector = r->vector;
    last_trap.error_code = r->error_code;
    last_trap.rip = r->rip;
    last_trap.cr2 = cr2;
    last_trap.count++;
    if (trap_resume_rip) {
        r->rip = trap_resume_rip;
        trap_resume_rip = 0;
        return;
    }
    const char *name = r->vector < 32 && vector_names[r->vector] ? vector_names[r->vector] : "?";
    guest_abort("unexpected %s (vector %lu) error %#lx at rip %#lx cr2 %#lx",
                name, r->vector, r->error_code, r->rip, cr2);
}
