/* A minimal xenstore for one domain (hv/xs_store.c, pure, host-tested).
 *
 * Why: Linux's xenbus, in a PV domU whose start_info names a store ring
 * and port, talks to xenstore at boot (its xenbus_probe initcall, the
 * balloon, CPU-hotplug and shutdown watchers: it reads memory/target,
 * cpu/N/availability, the device directory, and sets watches on
 * control/shutdown). With no xenstore at all (store_evtchn 0) Linux takes
 * the path of a dom0 that will start its own xenstored (XS_LOCAL) and
 * waits for one in the background: it boots, but a domU behaving as a
 * would-be xenstore host is not honest, and nothing can ask it to shut
 * down. Boot-module domUs have no xenstored (no dom0 tools yet), so Keel
 * answers their store ring itself with this store: the keys a toolstack
 * writes for a new domain (name, domid, memory/target, memory/static-max,
 * cpu/N/availability, empty control/, device/, data/), and the wire
 * protocol (docs/misc/xenstore.txt, public/io/xs_wire.h) for the requests
 * a guest makes: READ, WRITE, MKDIR, RM, DIRECTORY, GET_PERMS, SET_PERMS,
 * WATCH/UNWATCH (with the immediate first event), TRANSACTION_START/END
 * (one client: every transaction commits), GET_DOMAIN_PATH,
 * RESET_WATCHES; anything else gets the error ENOSYS.
 *
 * The domain may read and write only under its home, /local/domain/<id>
 * (relative paths are relative to it); elsewhere: EACCES. Keel writes
 * control/shutdown to ask the guest to power off or reboot (the guest's
 * watch fires, as under xl shutdown). */
#ifndef KEEL_XS_STORE_H
#define KEEL_XS_STORE_H

#include <keel/types.h>

#define XS_NODES        128             /* nodes per domain */
#define XS_PATH_MAX     160             /* absolute path, NUL included */
#define XS_VALUE_MAX    160             /* value bytes */
#define XS_WATCHES      32
#define XS_TOKEN_MAX    64
#define XS_PAYLOAD_MAX  4096            /* the protocol's limit */

/* Message types (xs_wire.h xsd_sockmsg_type). */
enum {
    XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4,
    XS_UNWATCH = 5, XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_INTRODUCE = 8,
    XS_RELEASE = 9, XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13,
    XS_SET_PERMS = 14, XS_WATCH_EVENT = 15, XS_ERROR = 16, XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME = 18, XS_SET_TARGET = 19, XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
};

struct xsd_sockmsg {
    uint32_t type, req_id, tx_id, len;  /* then len bytes of body */
};

struct xs_node {
    bool used;
    uint16_t vlen;
    char path[XS_PATH_MAX];
    char value[XS_VALUE_MAX];
};

struct xs_watch {
    bool used;
    char path[XS_PATH_MAX];             /* as given (relative or absolute) */
    char token[XS_TOKEN_MAX];
};

/* Where replies and watch events go: one whole message (header + body)
 * at a time; false if it does not fit (the caller's queue is full: the
 * message is lost, which the caller reports). */
typedef bool (*xs_emit_fn)(void *ctx, const struct xsd_sockmsg *hdr, const void *body);

struct xs_store {
    uint16_t domid;
    char home[32];                      /* "/local/domain/<id>" */
    uint32_t next_tx;
    xs_emit_fn emit;
    void *emit_ctx;
    struct xs_node nodes[XS_NODES];
    struct xs_watch watches[XS_WATCHES];
    char scratch[XS_PAYLOAD_MAX];       /* reply bodies */
};

void xs_store_init(struct xs_store *s, uint16_t domid, xs_emit_fn emit, void *ctx);
/* Keel's own writes (path relative to the home or absolute); fire the
 * watches. 0 or -errno. */
int xs_store_write(struct xs_store *s, const char *path, const char *value);
/* Reads a node's value into buf (NUL-terminated); 0 or -errno. */
int xs_store_read(struct xs_store *s, const char *path, char *buf, size_t size);
/* One request from the guest: its reply, then any watch events. */
void xs_store_request(struct xs_store *s, const struct xsd_sockmsg *hdr, const char *body);

#endif
