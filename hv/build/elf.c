/* ELF64 checks for PV kernel images (pure). Every header is copied out of
 * the byte string with explicit bounds checks, so a truncated or hostile
 * file can never make us read past its end. */
#include <keel/elf64.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define EHDR_SIZE       64
#define PHDR_SIZE       56
#define SHDR_SIZE       64

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int check_ident(const uint8_t *d, size_t len)
{
    if (len < EHDR_SIZE) {
        log_err("elf: file of %zu bytes is shorter than an ELF64 header\n", len);
        return -ENOEXEC;
    }
    if (d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F') {
        log_err("elf: bad magic %02x %02x %02x %02x\n", d[0], d[1], d[2], d[3]);
        return -ENOEXEC;
    }
    if (d[4] != 2) {
        log_err("elf: class %u is not ELF64 (32-bit or invalid image)\n", d[4]);
        return -ENOEXEC;
    }
    if (d[5] != 1) {
        log_err("elf: data encoding %u is not little endian\n", d[5]);
        return -ENOEXEC;
    }
    if (d[6] != 1) {
        log_err("elf: ident version %u unsupported\n", d[6]);
        return -ENOEXEC;
    }
    return 0;
}

static int check_header(const uint8_t *d, size_t len, struct elf_image *out)
{
    uint16_t type = rd16(d + 16), machine = rd16(d + 18);
    uint16_t phentsize = rd16(d + 54), shentsize = rd16(d + 58);

    if (machine != ELF_EM_X86_64) {
        log_err("elf: machine %u is not x86-64\n", machine);
        return -ENOEXEC;
    }
    if (type != ELF_ET_EXEC) {
        log_err("elf: type %u is not an executable\n", type);
        return -EINVAL;
    }
    out->entry = rd64(d + 24);
    out->phoff = rd64(d + 32);
    out->shoff = rd64(d + 40);
    out->phnum = rd16(d + 56);
    out->shnum = rd16(d + 60);
    if (out->phnum == 0 || phentsize != PHDR_SIZE) {
        log_err("elf: no usable program headers (phnum %u, phentsize %u)\n",
                out->phnum, phentsize);
        return -EINVAL;
    }
    if (!elf_range_ok(out, out->phoff, (uint64_t)out->phnum * PHDR_SIZE)) {
        log_err("elf: program headers (offset 0x%lx, %u entries) past end of file (%zu bytes)\n",
                out->phoff, out->phnum, len);
        return -EINVAL;
    }
    /* Section headers are only a fallback for notes (ref §1.1): an unusable
     * table is ignored rather than refused. */
    if (out->shnum && (shentsize != SHDR_SIZE ||
                       !elf_range_ok(out, out->shoff, (uint64_t)out->shnum * SHDR_SIZE))) {
        log_warn("elf: section header table unusable, ignored\n");
        out->shnum = 0;
    }
    return 0;
}

void elf_phdr_get(const struct elf_image *elf, unsigned i, struct elf64_phdr *out)
{
    const uint8_t *p = elf->data + elf->phoff + (uint64_t)i * PHDR_SIZE;

    out->p_type = rd32(p);
    out->p_flags = rd32(p + 4);
    out->p_offset = rd64(p + 8);
    out->p_vaddr = rd64(p + 16);
    out->p_paddr = rd64(p + 24);
    out->p_filesz = rd64(p + 32);
    out->p_memsz = rd64(p + 40);
    out->p_align = rd64(p + 48);
}

void elf_shdr_get(const struct elf_image *elf, unsigned i, struct elf64_shdr *out)
{
    const uint8_t *p = elf->data + elf->shoff + (uint64_t)i * SHDR_SIZE;

    out->sh_name = rd32(p);
    out->sh_type = rd32(p + 4);
    out->sh_flags = rd64(p + 8);
    out->sh_addr = rd64(p + 16);
    out->sh_offset = rd64(p + 24);
    out->sh_size = rd64(p + 32);
    out->sh_link = rd32(p + 40);
    out->sh_info = rd32(p + 44);
    out->sh_addralign = rd64(p + 48);
    out->sh_entsize = rd64(p + 56);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static int check_load(const struct elf_image *elf, unsigned idx, const struct elf64_phdr *ph)
{
    if (!elf_range_ok(elf, ph->p_offset, ph->p_filesz)) {
        log_err("elf: segment %u (offset 0x%lx, filesz 0x%lx) past end of file (%zu bytes)\n",
                idx, ph->p_offset, ph->p_filesz, elf->len);
        return -EINVAL;
    }
    if (ph->p_filesz > ph->p_memsz) {
        log_err("elf: segment %u filesz 0x%lx > memsz 0x%lx\n", idx, ph->p_filesz, ph->p_memsz);
        return -EINVAL;
    }
    if (ph->p_paddr + ph->p_memsz < ph->p_paddr || ph->p_vaddr + ph->p_memsz < ph->p_vaddr) {
        log_err("elf: segment %u address range wraps around\n", idx);
        return -EINVAL;
    }
    for (unsigned j = 0; j < elf->nr_loads; j++) {
        const struct elf64_phdr *o = &elf->loads[j];
        if (ranges_overlap(o->p_paddr, o->p_memsz, ph->p_paddr, ph->p_memsz) ||
            ranges_overlap(o->p_vaddr, o->p_memsz, ph->p_vaddr, ph->p_memsz)) {
            log_err("elf: segment %u overlaps an earlier PT_LOAD (paddr 0x%lx / vaddr 0x%lx)\n",
                    idx, ph->p_paddr, ph->p_vaddr);
            return -EINVAL;
        }
    }
    return 0;
}

static int collect_loads(struct elf_image *elf)
{
    elf->paddr_start = elf->vaddr_start = UINT64_MAX;
    elf->paddr_end = elf->vaddr_end = 0;
    for (unsigned i = 0; i < elf->phnum; i++) {
        struct elf64_phdr ph;
        elf_phdr_get(elf, i, &ph);
        if (ph.p_type != ELF_PT_LOAD)
            continue;
        int rc = check_load(elf, i, &ph);
        if (rc)
            return rc;
        if (elf->nr_loads == ELF_MAX_LOADS) {
            log_err("elf: more than %u PT_LOAD segments\n", ELF_MAX_LOADS);
            return -EINVAL;
        }
        elf->loads[elf->nr_loads++] = ph;
        elf->paddr_start = MIN(elf->paddr_start, ph.p_paddr);
        elf->paddr_end = MAX(elf->paddr_end, ph.p_paddr + ph.p_memsz);
        elf->vaddr_start = MIN(elf->vaddr_start, ph.p_vaddr);
        elf->vaddr_end = MAX(elf->vaddr_end, ph.p_vaddr + ph.p_memsz);
    }
    if (!elf->nr_loads) {
        log_err("elf: no PT_LOAD segment\n");
        return -EINVAL;
    }
    return 0;
}

int elf_image_check(const uint8_t *data, size_t len, struct elf_image *out)
{
    memset(out, 0, sizeof(*out));
    out->data = data;
    out->len = len;

    int rc = check_ident(data, len);
    if (!rc)
        rc = check_header(data, len, out);
    if (!rc)
        rc = collect_loads(out);
    return rc;
}
