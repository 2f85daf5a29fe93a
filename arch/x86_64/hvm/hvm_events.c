/* Event delivery to a PVH vCPU through the callback vector
 * (HVM_PARAM_CALLBACK_IRQ, type vector): while vcpu_info's
 * evtchn_upcall_pending is set, the vector is injected as an external
 * interrupt whenever the guest can take one, as Xen 4.17 does
 * (hvm_vcpu_has_pending_irq: the upcall mask is not looked at; the guest's
 * handler clears upcall_pending). When it cannot (IF clear, interrupt
 * shadow), an interrupt window brings it back as soon as it can. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/vcpu.h>
#include <public/xen.h>

bool hvm_upcall_pending(struct vcpu *v)
{
    const volatile struct vcpu_info *vi = v->vcpu_info;
    return vi && vi->evtchn_upcall_pending;
}

void hvm_deliver_events(struct vcpu *v, struct cpu_regs *regs)
{
    uint8_t vector = v->d->hvm->callback_vector;
    if (!vector || !hvm_upcall_pending(v)) {
        hvm_vendor->set_intr_window(v, false);
        return;
    }
    if (!hvm_vendor->can_inject(v, regs)) {
        hvm_vendor->set_intr_window(v, true);
        return;
    }
    struct hvm_event ev = { .type = HVM_EVENT_EXTINT, .vector = vector };
    hvm_vendor->inject(v, &ev);
    hvm_vendor->set_intr_window(v, false);
}
