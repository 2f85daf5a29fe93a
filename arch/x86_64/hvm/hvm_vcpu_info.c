/* VCPUOP_register_vcpu_info for a PVH vCPU: the guest names a frame of its
 * RAM by guest frame number (struct vcpu_register_vcpu_info.mfn is a gfn
 * for a translated guest, Xen 4.17 public/vcpu.h), and vcpu_info moves
 * there: its contents are copied and an upcall forced, as for PV
 * (hypercall/vcpu_op.c). Only RAM gfns: never the shared_info page or
 * the rings Keel serves. Keel writes the area (time info, upcall flags)
 * until the vCPU goes, so it holds the frame as a writable page
 * (domain_hold_frame, dropped by vcpu_destroy), as Xen maps it: a guest
 * that gives the gfn back only unmaps it; the frame stays the domain's
 * and is never reused while Keel writes it. */
#include <keel/hvm.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/vcpu.h>
#include <public/vcpu.h>
#include <public/xen.h>

long hvm_register_vcpu_info(struct vcpu *t, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || (r.offset & 7))
        return -ENXIO;
    if (t->hvm->vcpu_info_registered)
        return -EINVAL;                 /* once per vCPU */
    if (t != current_vcpu() && t->online)
        return -EINVAL;                 /* only itself, or a vCPU that is down */
    mfn_t mfn = r.mfn < t->d->hvm->ram_pages ? hvm_gfn_to_mfn(t->d, r.mfn) : 0;
    if (!mfn || domain_hold_frame(t->d, mfn))
        return -EINVAL;
    t->vcpu_info_mfn = mfn;             /* released by vcpu_destroy */
    struct vcpu_info *area = (struct vcpu_info *)((uint8_t *)mfn_to_virt(mfn) + r.offset);
    if (t->vcpu_info)
        memcpy(area, t->vcpu_info, sizeof(*area));
    t->vcpu_info = area;
    t->hvm->vcpu_info_registered = true;
    WRITE_ONCE(area->evtchn_pending_sel, ~0UL);
    WRITE_ONCE(area->evtchn_upcall_pending, 1);
    pv_time_update(t);
    return 0;
}
