/* Segment descriptors, the TSS and the IDT; Keel's GDT layout follows the
 * Xen PV ABI (ref/xen-pv-abi.md 3.1): the hypervisor's entries start at
 * FIRST_RESERVED_GDT_ENTRY 0x1c00, entries below belong to the guest. */
#ifndef KEEL_DESC_H
#define KEEL_DESC_H

#include <keel/types.h>
#include <keel/compiler.h>
#include <public/arch_x86_64.h>     /* FIRST_RESERVED_GDT_*, FLAT_RING3_* */

#define GDT_PAGES                 16
#define GDT_RESERVED_ENTRIES      16

#define SEL(n)              ((FIRST_RESERVED_GDT_ENTRY + (n)) << 3)
#define HYPERVISOR_CS       SEL(1)          /* 0xe008 */
#define HYPERVISOR_DS       SEL(2)          /* 0xe010 */
#define FLAT_RING3_DS       FLAT_RING3_DS32 /* 0xe02b, also the stack selector */
#define TSS_SEL             SEL(8)          /* 0xe040, 16-byte descriptor */
BUILD_BUG_ON(FLAT_RING3_CS32 != (SEL(4) | 3));
BUILD_BUG_ON(FLAT_RING3_DS32 != (SEL(5) | 3));
BUILD_BUG_ON(FLAT_RING3_CS64 != (SEL(6) | 3));
#define LDT_SEL             SEL(10)         /* 0xe050, 16-byte descriptor */

struct seg_desc {
    uint64_t raw;
};

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

#define IST_NONE    0
#define IST_DF      1
#define IST_NMI     2
#define IST_MC      3

#endif
