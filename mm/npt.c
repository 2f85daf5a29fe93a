/* Nested page tables: entry encoding, building and walking (keel/npt.h). */
#include <keel/npt.h>
#include <keel/errno.h>

#define X86_P   (1UL << 0)
#define X86_RW  (1UL << 1)
#define X86_US  (1UL << 2)
#define X86_A   (1UL << 5)
#define X86_D   (1UL << 6)
#define X86_NX  (1UL << 63)
#define EPT_MT_WB   (6UL << 3)
#define EPT_IGNORE_PAT (1UL << 6)

uint64_t npt_leaf_entry(enum hvm_npt_format fmt, paddr_t pa, unsigned perms)
{
    pa &= NPT_ADDR_MASK;
    if (!(perms & NPT_RWX))
        return 0;
    if (fmt == HVM_NPT_EPT)
        return pa | (perms & NPT_RWX) | EPT_MT_WB;
    /* NPT has no write-only or execute-only: any access right means readable. */
    return pa | X86_P | X86_US | X86_A | X86_D | ((perms & NPT_W) ? X86_RW : 0) |
           ((perms & NPT_X) ? 0 : X86_NX);
}

uint64_t npt_table_entry(enum hvm_npt_format fmt, paddr_t pa)
{
    pa &= NPT_ADDR_MASK;
    if (fmt == HVM_NPT_EPT)
        return pa | NPT_RWX;
    return pa | X86_P | X86_RW | X86_US | X86_A;
}

bool npt_entry_present(enum hvm_npt_format fmt, uint64_t e)
{
    return fmt == HVM_NPT_EPT ? (e & NPT_RWX) != 0 : (e & X86_P) != 0;
}

unsigned npt_entry_perms(enum hvm_npt_format fmt, uint64_t e)
{
    if (!npt_entry_present(fmt, e))
        return 0;
    if (fmt == HVM_NPT_EPT)
        return (unsigned)(e & NPT_RWX);
    return NPT_R | ((e & X86_RW) ? NPT_W : 0) | ((e & X86_NX) ? 0 : NPT_X);
}

int npt_init(struct npt_ctx *c)
{
    c->root = c->alloc_table(c->arg);
    return c->root ? 0 : -ENOMEM;
}

static unsigned index_at(uint64_t gfn, unsigned level)
{
    return (unsigned)((gfn >> (9 * (level - 1))) & 511);
}

int npt_map(struct npt_ctx *c, uint64_t gfn, mfn_t mfn, unsigned perms)
{
    if (gfn >> 36 || !c->root)
        return -EINVAL;
    uint64_t *t = c->table(c->arg, c->root);
    for (unsigned level = 4; level > 1; level--) {
        uint64_t *e = &t[index_at(gfn, level)];
        if (!npt_entry_present(c->fmt, *e)) {
            if (!perms)
                return 0;                       /* nothing to remove */
            paddr_t pa = c->alloc_table(c->arg);
            if (!pa)
                return -ENOMEM;
            *e = npt_table_entry(c->fmt, pa);
        }
        t = c->table(c->arg, *e & NPT_ADDR_MASK);
    }
    t[index_at(gfn, 1)] = npt_leaf_entry(c->fmt, mfn << 12, perms);
    return 0;
}

int npt_lookup(const struct npt_ctx *c, uint64_t gfn, mfn_t *mfn, unsigned *perms)
{
    if (gfn >> 36 || !c->root)
        return -ENOENT;
    const uint64_t *t = c->table(c->arg, c->root);
    for (unsigned level = 4; level > 1; level--) {
        uint64_t e = t[index_at(gfn, level)];
        if (!npt_entry_present(c->fmt, e))
            return -ENOENT;
        t = c->table(c->arg, e & NPT_ADDR_MASK);
    }
    uint64_t e = t[index_at(gfn, 1)];
    if (!npt_entry_present(c->fmt, e))
        return -ENOENT;
    *mfn = (e & NPT_ADDR_MASK) >> 12;
    *perms = npt_entry_perms(c->fmt, e);
    return 0;
}

static void free_level(struct npt_ctx *c, paddr_t pa, unsigned level)
{
    if (level > 1) {
        uint64_t *t = c->table(c->arg, pa);
        for (unsigned i = 0; i < 512; i++)
            if (npt_entry_present(c->fmt, t[i]))
                free_level(c, t[i] & NPT_ADDR_MASK, level - 1);
    }
    c->free_table(c->arg, pa);
}

void npt_destroy(struct npt_ctx *c)
{
    if (c->root)
        free_level(c, c->root, 4);
    c->root = 0;
}
