/* ELF64 (x86-64, little endian) image checks for the PV domain builder.
 * Structures follow the System V gABI; every field is read through bounds-
 * checked copies, so the image may be any byte string. */
#ifndef KEEL_ELF64_H
#define KEEL_ELF64_H

#include <keel/types.h>

#define ELF_PT_LOAD     1
#define ELF_PT_NOTE     4
#define ELF_SHT_NOTE    7
#define ELF_ET_EXEC     2
#define ELF_EM_X86_64   62

#define ELF_MAX_LOADS   16

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};

struct elf_image {
    const uint8_t *data;
    size_t len;
    uint64_t entry;                 /* e_entry */
    uint64_t phoff, shoff;
    unsigned phnum, shnum;          /* shnum 0 if the table is unusable */
    struct elf64_phdr loads[ELF_MAX_LOADS];
    unsigned nr_loads;
    uint64_t paddr_start, paddr_end;    /* [min p_paddr, max p_paddr+p_memsz) */
    uint64_t vaddr_start, vaddr_end;
};

/* Checks ident (magic, class 64, LSB, version), type EXEC, machine x86-64,
 * the program header table and every PT_LOAD: inside the file, filesz <=
 * memsz, no address wrap-around, no two PT_LOADs overlapping by paddr or by
 * vaddr; collects the loads and the load range. Returns 0 or -ENOEXEC (not
 * an ELF64 x86-64 file) / -EINVAL (malformed), with a log_err line. */
int elf_image_check(const uint8_t *data, size_t len, struct elf_image *out);

/* Program / section header i (i < phnum / shnum), copied out. */
void elf_phdr_get(const struct elf_image *elf, unsigned i, struct elf64_phdr *out);
void elf_shdr_get(const struct elf_image *elf, unsigned i, struct elf64_shdr *out);

/* True if [off, off+size) lies inside the file (no overflow). */
static inline bool elf_range_ok(const struct elf_image *elf, uint64_t off, uint64_t size)
{
    return off <= elf->len && size <= elf->len - off;
}

#endif
