/* Xen PV guest ABI: callback_op (hypercall 30) and nmi_op (28).
 * Ref: shared/ref/xen-pv-abi.md §5.9 (numbers and layouts only). */
#ifndef KEEL_PUBLIC_CALLBACK_H
#define KEEL_PUBLIC_CALLBACK_H

#include <public/xen.h>

#define CALLBACKTYPE_event              0
#define CALLBACKTYPE_failsafe           1
#define CALLBACKTYPE_syscall            2
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi                4
#define CALLBACKTYPE_sysenter           5
#define CALLBACKTYPE_syscall32          7

#define CALLBACKF_mask_events           (1U << 0)

#define CALLBACKOP_register             0
#define CALLBACKOP_unregister           1

#define XENNMI_register_callback        0
#define XENNMI_unregister_callback      1

#ifndef __ASSEMBLY__
struct callback_register {
    uint16_t type;              /* CALLBACKTYPE_* */
    uint16_t flags;             /* CALLBACKF_* */
    uint32_t _pad;
    uint64_t address;
};
_Static_assert(sizeof(struct callback_register) == 16, "callback_register size");
_Static_assert(offsetof(struct callback_register, flags) == 2, "callback_register.flags");
_Static_assert(offsetof(struct callback_register, address) == 8, "callback_register.address");

struct callback_unregister {
    uint16_t type;
    uint16_t _pad;
};
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unregister size");

struct xennmi_callback {
    uint64_t handler_address;
    uint64_t pad;
};
_Static_assert(sizeof(struct xennmi_callback) == 16, "xennmi_callback size");
#endif

#endif
