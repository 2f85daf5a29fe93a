/* The xenstore ring shared by a guest and xenstored (Xen public/io/
 * xs_wire.h; start_info store_mfn / store_evtchn, ref/xen-pv-abi.md 2.1):
 * requests in `req`, replies and watch events in `rsp`, free-running
 * indices modulo XENSTORE_RING_SIZE. Messages are struct xsd_sockmsg
 * (include/keel/xs_store.h) followed by their body. */
#ifndef KEEL_PUBLIC_IO_XENSTORE_H
#define KEEL_PUBLIC_IO_XENSTORE_H

#include <stdint.h>
#include <stddef.h>

#define XENSTORE_RING_SIZE      1024
#define XENSTORE_CONNECTED      0       /* connection: the steady state */
#define XENSTORE_ERROR_PROTO    3       /* error: payload too long */

typedef uint32_t xenstore_ring_idx_t;

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];
    char rsp[XENSTORE_RING_SIZE];
    xenstore_ring_idx_t req_cons, req_prod;
    xenstore_ring_idx_t rsp_cons, rsp_prod;
    uint32_t server_features;
    uint32_t connection;
    uint32_t error;
};

_Static_assert(offsetof(struct xenstore_domain_interface, req_cons) == 2048, "xs req_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp_prod) == 2060, "xs rsp_prod");
_Static_assert(offsetof(struct xenstore_domain_interface, error) == 2072, "xs error");

#endif
