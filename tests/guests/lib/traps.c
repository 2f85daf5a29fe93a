/* Trap table and callbacks: every exception vector 0-31 goes to a stub in
 * traps.S; trap_dispatch records what the hypervisor delivered (vector,
 * error code, the frame, CR2 from vcpu_info) and either resumes at the
 * address the test armed or ends the test with FAIL. */
#include "guest.h"

extern const uint64_t trap_stub_table[32];
extern uint64_t trap_frame_addr;
extern char event_callback_entry[], failsafe_callback_entry[];

volatile struct trap_record last_trap;
volatile uint64_t trap_resume_rip;

static struct trap_info trap_table[33];

uint64_t trap_handler_address(unsigned vector)
{
    return vector < 32 ? trap_stub_table[vector] : 0;
}

/* int3 and into may be raised from any ring, like on bare metal (Linux
 * registers them with DPL 3 too). */
static unsigned default_flags(unsigned vector)
{
    return (vector == 3 || vector == 4) ? 3 : 0;
}

long trap_set_entry(unsigned vector, unsigned flags)
{
    struct trap_info t[2] = {
        { .vector = (uint8_t)vector, .flags = (uint8_t)flags,
          .cs = FLAT_KERNEL_CS, .address = trap_handler_address(vector) },
        { 0 },
    };
    return HYPERVISOR_set_trap_table(t);
}

void trap_dispatch(struct trap_regs *r)
{
    if (r->vector == TRAP_VECTOR_EVENT) {
        events_handle(VCPU0);
        return;
    }
    last_trap.count++;
    last_trap.vector = r->vector;
    last_trap.error_code = r->error_code;
    last_trap.rip = r->rip;
    last_trap.cs = r->cs;
    last_trap.rflags = r->rflags;
    last_trap.rsp = r->rsp;
    last_trap.ss = r->ss;
    last_trap.rcx = r->rcx;
    last_trap.r11 = r->r11;
    last_trap.frame_addr = trap_frame_addr;
    last_trap.cr2 = shared_info ? VCPU0->arch.cr2 : 0;
    last_trap.mask_in_handler = shared_info ? VCPU0->evtchn_upcall_mask : 0xff;

    if (!trap_resume_rip)
        guest_abort("unexpected trap %lu error %#lx at rip %#lx (cr2 %#lx)",
                    r->vector, r->error_code, r->rip, last_trap.cr2);
    r->rip = trap_resume_rip;
    trap_resume_rip = 0;
}

void failsafe_dispatch(const struct failsafe_frame *f);
void failsafe_dispatch(const struct failsafe_frame *f)
{
    guest_abort("failsafe callback: rip %#lx cs %#lx ds %#lx es %#lx fs %#lx gs %#lx",
                f->rip, f->cs, f->ds, f->es, f->fs, f->gs);
}

void traps_init(void);
void traps_init(void)
{
    for (unsigned v = 0; v < 32; v++)
        trap_table[v] = (struct trap_info){
            .vector = (uint8_t)v, .flags = (uint8_t)default_flags(v),
            .cs = FLAT_KERNEL_CS, .address = trap_stub_table[v] };
    long rc = HYPERVISOR_set_trap_table(trap_table);
    if (rc)
        guest_abort("set_trap_table: %ld", rc);

    struct callback_register ev = {
        .type = CALLBACKTYPE_event, .flags = CALLBACKF_mask_events,
        .address = (uint64_t)event_callback_entry };
    struct callback_register fs = {
        .type = CALLBACKTYPE_failsafe, .flags = CALLBACKF_mask_events,
        .address = (uint64_t)failsafe_callback_entry };
    rc = HYPERVISOR_callback_op(CALLBACKOP_register, &ev);
    if (!rc)
        rc = HYPERVISOR_callback_op(CALLBACKOP_register, &fs);
    if (rc)
        guest_abort("callback_op register: %ld", rc);
}
