/* Xen ELF notes of a PV kernel: our own numbering of the note types and the
 * parsed description the domain builder works from.
 * Ref: shared/ref/xen-pv-abi.md §1.1-1.3 (numbers from Xen's public
 * elfnote.h, feature bits from features.h; no text copied). */
#ifndef KEEL_ELFNOTE_H
#define KEEL_ELFNOTE_H

#include <keel/types.h>

struct elf_image;

/* Note types (name "Xen"), ref §1.2. */
#define XEN_ELFNOTE_INFO                0
#define XEN_ELFNOTE_ENTRY               1
#define XEN_ELFNOTE_HYPERCALL_PAGE      2
#define XEN_ELFNOTE_VIRT_BASE           3
#define XEN_ELFNOTE_PADDR_OFFSET        4
#define XEN_ELFNOTE_XEN_VERSION         5
#define XEN_ELFNOTE_GUEST_OS            6
#define XEN_ELFNOTE_GUEST_VERSION       7
#define XEN_ELFNOTE_LOADER              8
#define XEN_ELFNOTE_PAE_MODE            9
#define XEN_ELFNOTE_FEATURES            10
#define XEN_ELFNOTE_BSD_SYMTAB          11
#define XEN_ELFNOTE_HV_START_LOW        12
#define XEN_ELFNOTE_L1_MFN_VALID        13
#define XEN_ELFNOTE_SUSPEND_CANCEL      14
#define XEN_ELFNOTE_INIT_P2M            15
#define XEN_ELFNOTE_MOD_START_PFN       16
#define XEN_ELFNOTE_SUPPORTED_FEATURES  17
#define XEN_ELFNOTE_PHYS32_ENTRY        18
#define XEN_ELFNOTE_PHYS32_RELOC        19
#define XEN_ELFNOTE_CRASH_INFO          0x1000001
#define XEN_ELFNOTE_CRASH_REGS          0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE       0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER     0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION 0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION 0x2000003

/* Bit numbers in xen_elfnotes.present: types 0..19 map to themselves, the
 * crash and dump-core types follow. */
#define XEN_NOTE_BIT_CRASH_INFO         20
#define XEN_NOTE_BIT_CRASH_REGS         21
#define XEN_NOTE_BIT_DUMPCORE_FIRST     22      /* ..25 */
#define XEN_NOTE_NR_BITS                26

/* XENFEAT_* bits (submap 0), ref §10.1. */
#define XENFEAT_writable_page_tables        0
#define XENFEAT_writable_descriptor_tables  1
#define XENFEAT_auto_translated_physmap     2
#define XENFEAT_supervisor_mode_kernel      3
#define XENFEAT_pae_pgdir_above_4gb         4
#define XENFEAT_hvm_callback_vector         8
#define XENFEAT_dom0                        11
#define XENFEAT_linux_rsdp_unrestricted     15
#define XENFEAT_NR_SUBMAPS                  1

#define XEN_NOTE_STR_MAX        64      /* short strings, NUL terminated */
#define XEN_NOTE_FEATURES_MAX   256
#define XEN_NOTE_L1_MFN_PAIRS   4

struct xen_elfnotes {
    uint32_t present;               /* bit per note type, see above */

    /* Numeric notes (valid when their present bit is set). */
    uint64_t entry;
    uint64_t hypercall_page;
    uint64_t virt_base;
    uint64_t paddr_offset;
    uint64_t hv_start_low;
    uint64_t suspend_cancel;
    uint64_t init_p2m;
    uint64_t mod_start_pfn;
    uint32_t phys32_entry;          /* low 32 bits (Linux emits 8 bytes) */
    uint32_t phys32_reloc[3];       /* align, min, max (fields present only) */
    unsigned nr_phys32_reloc;
    uint64_t l1_mfn_valid[XEN_NOTE_L1_MFN_PAIRS][2];  /* mask, value */
    unsigned nr_l1_mfn_valid;

    /* String notes, bounded by descsz and copied (truncated if longer). */
    char info[XEN_NOTE_STR_MAX];
    char xen_version[XEN_NOTE_STR_MAX];
    char guest_os[XEN_NOTE_STR_MAX];
    char guest_version[XEN_NOTE_STR_MAX];
    char loader[XEN_NOTE_STR_MAX];
    char pae_mode[XEN_NOTE_STR_MAX];
    char bsd_symtab[XEN_NOTE_STR_MAX];
    char features[XEN_NOTE_FEATURES_MAX];

    /* FEATURES string ('!' = required) OR'ed with SUPPORTED_FEATURES. */
    uint32_t f_required[XENFEAT_NR_SUBMAPS];
    uint32_t f_supported[XENFEAT_NR_SUBMAPS];
    uint32_t supported_note[XENFEAT_NR_SUBMAPS];   /* SUPPORTED_FEATURES as given */
    bool from_sections;             /* found in SHT_NOTE, not PT_NOTE */
};

static inline bool xen_note_has(const struct xen_elfnotes *n, unsigned type)
{
    return type < 20 && (n->present & (1u << type));
}

/* Parses the Xen notes of a checked ELF image: PT_NOTE segments first,
 * SHT_NOTE sections only if no segment held a Xen note (ref §1.1).
 * Returns 0, -ENOENT if the image has no Xen note, -EINVAL on a malformed
 * note or FEATURES string (a log_err line names the reason). */
int xen_notes_parse(const struct elf_image *elf, struct xen_elfnotes *out);

/* Parses a FEATURES string of len bytes into the bitmaps (OR'ed in).
 * Unknown names are ignored unless marked '!' (then -EINVAL). */
int xen_features_parse(const char *s, size_t len, uint32_t *required,
                       uint32_t *supported);

#endif
