/* The store ring of boot-module domUs, answered by Keel (hv/xenstore.c;
 * the store and why: include/keel/xs_store.h). */
#ifndef KEEL_XENSTORE_H
#define KEEL_XENSTORE_H

#include <keel/types.h>

struct domain;

/* At build: a port served by Keel for the ring frame, and the store with
 * the keys a toolstack writes (memory in KiB, vCPUs online). Returns the
 * port (start_info store_evtchn) or -errno. */
int xenstore_attach(struct domain *d, mfn_t ring_mfn, uint64_t mem_kib, unsigned nr_vcpus);
/* At teardown. */
void xenstore_detach(struct domain *d);
/* The guest notified the store port. */
void xenstore_ring_kick(struct domain *d);
/* Keel's own write (e.g. control/shutdown = "poweroff"), watches fired;
 * 0, -ESRCH (no such store) or the store's error. */
int xenstore_write(uint16_t domid, const char *path, const char *value);

#endif
