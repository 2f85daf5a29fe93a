/* Building PV domains from boot modules (hv/dom_build.c): the pure parsers
 * (hv/build/) give the image and the start-of-day layout; this file
 * allocates the memory, copies the kernel and initrd, writes the p2m list,
 * start_info, the bootstrap page tables and the hypercall page, and creates
 * vCPU 0 with the ABI's entry state. */
#ifndef KEEL_DOM_BUILD_H
#define KEEL_DOM_BUILD_H

#include <keel/types.h>

struct domain;
struct boot_info;

struct pv_build_req {
    const char *name;
    const uint8_t *image;           /* bzImage or ELF, readable */
    size_t image_len;
    const char *cmdline;
    const uint8_t *initrd;          /* NULL if none */
    size_t initrd_len;
    bool privileged;
    uint64_t mem_bytes;
    unsigned nr_vcpus;
    unsigned first_cpu;             /* vCPU n runs on (first_cpu + n) % online CPUs */
    bool hv_backends;               /* unprivileged: Keel serves its console and store rings */
};

/* Returns 0 and the running domain, or a negative errno with a log line
 * naming the reason (the boot goes on). */
int pv_build_domain(const struct pv_build_req *req, struct domain **out);
/* The same for a PVH kernel (hv/dom_build_pvh.c): an ELF with the
 * XEN_ELFNOTE_PHYS32_ENTRY note, run with SVM/VMX and nested paging. */
int pvh_build_domain(const struct pv_build_req *req, struct domain **out);
/* Builds dom0 and the domUs the boot modules and options describe. */
void boot_domains(const struct boot_info *bi);

#endif
