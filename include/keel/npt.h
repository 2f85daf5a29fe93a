/* Nested page tables (guest-physical -> machine), pure table logic shared by
 * the hypervisor and the host unit tests (tests/unit/test_npt.c). Two entry
 * formats, both 4 levels of 512 entries:
 *  - NPT (AMD SVM): ordinary x86-64 long-mode entries; the nested walk
 *    counts as a user access, so every level has U set (APM vol. 2, 15.25.5).
 *  - EPT (Intel VMX): bits 0-2 read/write/execute, leaf bits 3-5 memory type
 *    (6 = write-back), bit 7 large page (SDM vol. 3, 29.3.2).
 * Table pages come from the caller (alloc/free/map callbacks), so the same
 * code runs on the direct map in Keel and on malloc'd pages in tests. */
#ifndef KEEL_NPT_H
#define KEEL_NPT_H

#include <keel/types.h>
#include <keel/hvm_vendor.h>

#define NPT_R   1u
#define NPT_W   2u
#define NPT_X   4u
#define NPT_RWX (NPT_R | NPT_W | NPT_X)

struct npt_ctx {
    enum hvm_npt_format fmt;
    /* A zeroed table page: its machine address, or 0 when none is left. */
    paddr_t (*alloc_table)(void *arg);
    void (*free_table)(void *arg, paddr_t pa);
    /* The page at machine address pa, readable and writable. */
    uint64_t *(*table)(void *arg, paddr_t pa);
    void *arg;
    paddr_t root;                   /* 0 until npt_init */
};

/* Entry encoding (exposed for tests and for the backends' logs). */
uint64_t npt_leaf_entry(enum hvm_npt_format fmt, paddr_t pa, unsigned perms);
uint64_t npt_table_entry(enum hvm_npt_format fmt, paddr_t pa);
bool npt_entry_present(enum hvm_npt_format fmt, uint64_t e);
unsigned npt_entry_perms(enum hvm_npt_format fmt, uint64_t e);
#define NPT_ADDR_MASK 0x000ffffffffff000UL

int npt_init(struct npt_ctx *c);                        /* root table; -ENOMEM */
/* Maps 4 KiB guest frame gfn to machine frame mfn with perms (NPT_*);
 * perms 0 removes the mapping. -ENOMEM, -EINVAL (gfn beyond 48 bits). */
int npt_map(struct npt_ctx *c, uint64_t gfn, mfn_t mfn, unsigned perms);
/* 0 and *mfn, *perms when gfn is mapped, -ENOENT when not. */
int npt_lookup(const struct npt_ctx *c, uint64_t gfn, mfn_t *mfn, unsigned *perms);
/* Frees every table page, root included. */
void npt_destroy(struct npt_ctx *c);

#endif
