/* The PV test-kernel library: what a test kernel (tests/guests/t_NAME.c)
 * uses. A test defines GUEST_TEST("name") and test_main(); the library has
 * already installed a trap table, the event and failsafe callbacks and
 * mapped shared_info when test_main runs. Checks record failures; the
 * library prints exactly one verdict line at the end:
 *     keel-test: <name>: PASS      or      keel-test: <name>: FAIL <reason>
 * and powers the domain off. That part, with the console, the command line
 * and the pvclock, is shared with the PVH kernels: ../common/test.h. */
#ifndef GUEST_H
#define GUEST_H

#include "test.h"
#include "hypercall.h"
#include "notes.h"

/* Optional: called first, before the library installs its trap table or
 * maps shared_info (only the console works); t_early_fault.c faults there. */
void guest_early(struct start_info *si) __attribute__((weak));

/* ---- state from start of day ---- */
struct entry_regs {              /* layout fixed by head.S */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags, cs, ss, ds, es, fs, gs, rip;
};
extern struct entry_regs entry_regs;
extern uint8_t entry_bss_dirty;     /* .bss was not zero at entry */
extern struct start_info *start_info;
extern char _image_start[], _image_end[], hypercall_page[];
#define VCPU0 (&shared_info->vcpu_info[0])

/* ---- traps ---- */
struct trap_record {
    unsigned count;              /* traps taken so far */
    uint64_t vector, error_code, rip, cs, rflags, rsp, ss, rcx, r11;
    uint64_t frame_addr;         /* handler RSP at entry (points at RCX) */
    uint64_t cr2;                /* vcpu_info arch.cr2 at delivery */
    uint8_t  mask_in_handler;    /* vcpu_info upcall mask inside the handler */
};
#define TRAP_VECTOR_EVENT 0x100  /* pseudo vector of the event callback */
extern volatile struct trap_record last_trap;
/* Set before a deliberate fault: the handler records the trap and resumes
 * at this address (0 = an unexpected trap ends the test with FAIL). */
extern volatile uint64_t trap_resume_rip;
/* Replaces one trap-table entry (flags: TI_DPL_MASK | TI_INTERRUPT_GATE). */
long trap_set_entry(unsigned vector, unsigned flags);
uint64_t trap_handler_address(unsigned vector);

/* ---- page tables ---- */
#define PTE_P   (1UL << 0)
#define PTE_RW  (1UL << 1)
#define PTE_US  (1UL << 2)
#define PTE_A   (1UL << 5)
#define PTE_D   (1UL << 6)
#define PTE_PSE (1UL << 7)
#define PTE_NX  (1UL << 63)
#define PTE_MFN_MASK 0x000ffffffffff000UL
#define PTE_MFN(e) (((e) & PTE_MFN_MASK) >> 12)

static inline uint64_t m2p(uint64_t mfn)
{ return ((const volatile uint64_t *)MACH2PHYS_VIRT_START)[mfn]; }
static inline uint64_t p2m(uint64_t pfn)
{ return ((const uint64_t *)start_info->mfn_list)[pfn]; }
/* Region VA <-> PFN: the bootstrap region maps PFN n at VIRT_BASE + n * 4 KiB. */
static inline uint64_t va_to_pfn(const void *va)
{ return ((uint64_t)va - GUEST_VIRT_BASE) >> 12; }
static inline uint64_t va_to_mfn(const void *va) { return p2m(va_to_pfn(va)); }
/* VA of a frame inside the bootstrap region, or NULL. */
void *mfn_to_va(uint64_t mfn);
/* Pointer to the (read-only mapped) entry of level 1..4 that maps va,
 * or NULL if an upper level is not present or lies outside the region. */
volatile uint64_t *pt_entry(uint64_t va, int level);
/* Machine address of that entry (for mmu_update), or 0. */
uint64_t pt_entry_maddr(uint64_t va, int level);
uint64_t l4_mfn(void);
/* First VA after the contiguous mapped region starting at VIRT_BASE. */
uint64_t region_end(void);
long set_page_rw(const void *va, bool rw);
long mmuext_simple(unsigned cmd, uint64_t arg1);
long pin_table(int level, uint64_t mfn);
long unpin_table(uint64_t mfn);
long mmu_update_one(uint64_t ptr, uint64_t val);

#endif
