/* Keel's virtual address map. The hypervisor owns L4 slots 256-271
 * (0xffff800000000000-0xffff87ffffffffff), the range a Xen x86-64 PV guest
 * leaves to the hypervisor (ref/xen-pv-abi.md: HYPERVISOR_VIRT_START/END). */
#ifndef KEEL_MEMLAYOUT_H
#define KEEL_MEMLAYOUT_H

#define HV_VIRT_START           0xffff800000000000
#define HV_VIRT_END             0xffff880000000000
#define L4_SLOT_SIZE            0x0000008000000000          /* 512 GiB */
#define L4_SLOT(va)             (((va) >> 39) & 511)

/* Slot 256: read-only machine-to-phys table for guests (later issue). */
#define RO_MPT_VIRT_START       0xffff800000000000
/* Slot 258: the frame table, one struct frame per machine frame, backed
 * only where there is RAM. */
#define FRAMETABLE_VIRT_START   0xffff810000000000
/* Slot 259: mappings made at run time: MMIO (UC), per-CPU stacks with
 * guard pages. */
#define VMAP_VIRT_START         0xffff818000000000
#define VMAP_VIRT_END           0xffff820000000000
/* Slot 261: the hypervisor image, at KEEL_IMAGE_VIRT_OFFSET + physical. */
#define KEEL_IMAGE_VIRT_OFFSET  0xffff828000000000
#define KEEL_IMAGE_PHYS_BASE    0x200000
/* Slots 262-271: direct map of machine memory (5 TiB). */
#define DIRECTMAP_VIRT_START    0xffff830000000000
#define DIRECTMAP_VIRT_END      0xffff880000000000
#define DIRECTMAP_SIZE          (DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)

/* Per-CPU stack block: 16 pages, aligned to its size so the cpu_info at its
 * top is found from any stack pointer inside it.
 *   page 0      guard          pages 4-7   guard
 *   page 1      #DF IST        pages 8-15  primary stack (32 KiB)
 *   page 2      NMI IST
 *   page 3      #MC IST                                                    */
#define STACK_BLOCK_ORDER       4
#define STACK_BLOCK_SIZE        (4096UL << STACK_BLOCK_ORDER)
#define STACK_IST_DF_TOP        (2 * 4096)
#define STACK_IST_NMI_TOP       (3 * 4096)
#define STACK_IST_MC_TOP        (4 * 4096)
#define STACK_PRIMARY_BOTTOM    (8 * 4096)
#define CPU_INFO_SIZE           64      /* struct cpu_info, at the block top */
#define CPU_INFO_SCRATCH        16      /* offsetof(struct cpu_info, scratch) */

#endif
