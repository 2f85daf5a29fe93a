/* Byte offsets of struct cpu_regs (keel/traps.h) for assembly: the VMX and
 * SVM guest entries load and store guest registers by them. traps.h checks
 * each against offsetof. */
#ifndef KEEL_CPU_REGS_OFFSETS_H
#define KEEL_CPU_REGS_OFFSETS_H

#define CPU_REGS_R15    0
#define CPU_REGS_R14    8
#define CPU_REGS_R13    16
#define CPU_REGS_R12    24
#define CPU_REGS_R11    32
#define CPU_REGS_R10    40
#define CPU_REGS_R9     48
#define CPU_REGS_R8     56
#define CPU_REGS_RBP    64
#define CPU_REGS_RDI    72
#define CPU_REGS_RSI    80
#define CPU_REGS_RDX    88
#define CPU_REGS_RCX    96
#define CPU_REGS_RBX    104
#define CPU_REGS_RAX    112

#endif
