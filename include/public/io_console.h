/* The PV console ring shared by a guest and its console backend (Xen
 * public/io/console.h, ref/xen-pv-abi.md 2.1 start_info console.domU):
 * one page; the guest writes `out` and reads `in`; indices are free-
 * running and taken modulo the buffer size (a power of two). */
#ifndef KEEL_PUBLIC_IO_CONSOLE_H
#define KEEL_PUBLIC_IO_CONSOLE_H

#include <stdint.h>
#include <stddef.h>

typedef uint32_t xencons_ring_idx_t;

struct xencons_interface {
    char in[1024];                      /* backend -> guest (keyboard) */
    char out[2048];                     /* guest -> backend (screen) */
    xencons_ring_idx_t in_cons, in_prod;
    xencons_ring_idx_t out_cons, out_prod;
};

_Static_assert(offsetof(struct xencons_interface, out) == 1024, "xencons out");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "xencons in_cons");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084, "xencons out_prod");

#endif
