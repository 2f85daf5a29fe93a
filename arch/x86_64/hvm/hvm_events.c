/* Event delivery to a PVH vCPU through the callback vector
 * (HVM_PARAM_CALLBACK_IRQ, type vector): while vcpu_info's
 * evtchn_upcall_pending is set, the vector is injected as an external
 * interrupt whenever the guest can take one, as Xen 4.17 does
 * (hvm_vcpu_has_pending_irq: the upcall mask is not looked at; the guest's
 * handler clears upcall_pending). When it cannot (IF clear, interrupt
 * shadow), an interrupt window brings it back as soon as it can.
 * Vectors sent by IPI come from the vLAPIC's IRR (vlapic.c) and go to its
 * ISR when injected; the guest EOIs those. An NMI by IPI waits for the
 * same window (simpler than NMI blocking; Linux sends one only to CPUs
 * that did not stop within a second at shutdown).
 * A per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector) is set in the
 * LAPIC's IRR when upcall_pending goes from 0 to 1 (evtchn_kick), as Xen
 * does, and also here, before each entry, while upcall_pending is set and
 * the vector is neither pending nor in service: an edge lost to an INIT
 * (which clears IRR) or set while the vector was in service would
 * otherwise leave the flag set with nothing to wake the vCPU (Linux then
 * waits for ever on a CPU it brings back online). At worst the guest
 * takes one upcall that finds nothing, which it is made to cope with. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/vcpu.h>
#include <public/xen.h>

bool hvm_upcall_pending(struct vcpu *v)
{
    const volatile struct vcpu_info *vi = v->vcpu_info;
    return vi && vi->evtchn_upcall_pending;
}

/* What to inject now, by priority: an NMI sent by IPI, then the higher of
 * the LAPIC's deliverable vector and the callback vector. */
void hvm_deliver_events(struct vcpu *v, struct cpu_regs *regs)
{
    uint8_t uv = v->hvm->upcall_vector;
    if (uv && hvm_upcall_pending(v))
        vlapic_reassert(v, uv);
    uint8_t cb = hvm_upcall_pending(v) ? v->d->hvm->callback_vector : 0;
    uint8_t lv = vlapic_pending_vector(v);
    bool nmi = v->hvm->lapic.nmi_pending;
    if (!cb && !lv && !nmi) {
        hvm_vendor->set_intr_window(v, false);
        return;
    }
    if (!hvm_vendor->can_inject(v, regs)) {
        hvm_vendor->set_intr_window(v, true);
        return;
    }
    struct hvm_event ev = { .type = HVM_EVENT_EXTINT, .vector = cb };
    if (nmi) {
        v->hvm->lapic.nmi_pending = false;
        ev = (struct hvm_event){ .type = HVM_EVENT_NMI, .vector = 2 };
    } else if (lv > cb) {
        vlapic_accept(v, lv);
        ev.vector = lv;
    }
    hvm_vendor->inject(v, &ev);
    hvm_vendor->set_intr_window(v, false);
}
