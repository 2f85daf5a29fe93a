/* Xen ELF note numbers the test kernels emit, and an assembler macro that
 * emits one note. Kept here (not include/keel/elfnote.h) because that header
 * holds C declarations and cannot be included from assembly.
 * Ref: shared/ref/xen-pv-abi.md §1.1-1.2. */
#ifndef GUEST_NOTES_H
#define GUEST_NOTES_H

#define GNOTE_ENTRY                 1
#define GNOTE_HYPERCALL_PAGE        2
#define GNOTE_VIRT_BASE             3
#define GNOTE_PADDR_OFFSET          4
#define GNOTE_XEN_VERSION           5
#define GNOTE_GUEST_OS              6
#define GNOTE_LOADER                8
#define GNOTE_FEATURES              10
#define GNOTE_SUPPORTED_FEATURES    17

/* Where the image is linked: pseudo-physical 0 is mapped here (like Linux's
 * __START_KERNEL_map), so VA = GUEST_VIRT_BASE + PFN * 4096 in the region. */
#define GUEST_VIRT_BASE             0xffffffff80000000

#ifdef __ASSEMBLY__
/* One note: name "Xen", the given type, then the descriptor directive(s). */
.macro XEN_NOTE type:req, desc:vararg
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:  \desc
4:  .balign 4
    .popsection
.endm
#else
/* From a test's C file: GUEST_FEATURES("writable_descriptor_tables|!dom0")
 * adds a FEATURES note (ref §1.3). */
#define GUEST_NOTE_STR_(x) #x
#define GUEST_NOTE_STR(x) GUEST_NOTE_STR_(x)
#define GUEST_FEATURES(str)                                                 \
    __asm__(".pushsection .note.Xen, \"a\", @note\n\t.balign 4\n\t"       \
            ".long 4, 2f - 1f, " GUEST_NOTE_STR(GNOTE_FEATURES) "\n\t"      \
            ".asciz \"Xen\"\n1:\t.ascii \"" str "\"\n2:\t.balign 4\n\t"   \
            ".popsection")
#endif

#endif
