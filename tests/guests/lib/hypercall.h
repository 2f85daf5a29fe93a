/* Hypercall wrappers for PV test kernels: each calls slot nr of the
 * hypercall page (hypercall_page + nr * 32), whose stub loads %eax and
 * executes syscall. Arguments in %rdi, %rsi, %rdx, %r10, %r8, result in
 * %rax (ref §4.1); the hypervisor may clobber the argument registers. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include <public/xen.h>
#include <public/sched.h>
#include <public/version.h>
#include <public/callback.h>
#include <public/vcpu.h>
#include <public/memory.h>
#include <public/event_channel.h>
#include <public/physdev.h>

extern char hypercall_page[4096];

#define _hypercall5(nr, a1, a2, a3, a4, a5) ({                              \
    register uint64_t _r1 __asm__("rdi") = (uint64_t)(a1);                  \
    register uint64_t _r2 __asm__("rsi") = (uint64_t)(a2);                  \
    register uint64_t _r3 __asm__("rdx") = (uint64_t)(a3);                  \
    register uint64_t _r4 __asm__("r10") = (uint64_t)(a4);                  \
    register uint64_t _r5 __asm__("r8")  = (uint64_t)(a5);                  \
    long _ret;                                                              \
    __asm__ __volatile__("call hypercall_page + %c[off]"                     \
        : "=a"(_ret), "+r"(_r1), "+r"(_r2), "+r"(_r3), "+r"(_r4), "+r"(_r5) \
        : [off] "i"((nr) * HYPERCALL_SLOT_SIZE)                             \
        : "memory", "rcx", "r11", "r9", "cc");                              \
    _ret; })

#define _hypercall0(nr)                 _hypercall5(nr, 0, 0, 0, 0, 0)
#define _hypercall1(nr, a)              _hypercall5(nr, a, 0, 0, 0, 0)
#define _hypercall2(nr, a, b)           _hypercall5(nr, a, b, 0, 0, 0)
#define _hypercall3(nr, a, b, c)        _hypercall5(nr, a, b, c, 0, 0)
#define _hypercall4(nr, a, b, c, d)     _hypercall5(nr, a, b, c, d, 0)

static inline long HYPERVISOR_set_trap_table(const struct trap_info *t)
{ return _hypercall1(__HYPERVISOR_set_trap_table, t); }
static inline long HYPERVISOR_mmu_update(struct mmu_update *req, unsigned count,
                                         unsigned *done, unsigned foreigndom)
{ return _hypercall4(__HYPERVISOR_mmu_update, req, count, done, foreigndom); }
static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{ return _hypercall2(__HYPERVISOR_stack_switch, ss, sp); }
static inline long HYPERVISOR_fpu_taskswitch(int set)
{ return _hypercall1(__HYPERVISOR_fpu_taskswitch, set); }
static inline long HYPERVISOR_memory_op(unsigned cmd, void *arg)
{ return _hypercall2(__HYPERVISOR_memory_op, cmd, arg); }
static inline long HYPERVISOR_multicall(struct multicall_entry *list, unsigned long nr)
{ return _hypercall2(__HYPERVISOR_multicall, list, nr); }
static inline long HYPERVISOR_update_va_mapping(uint64_t va, uint64_t pte, uint64_t flags)
{ return _hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags); }
static inline long HYPERVISOR_set_timer_op(uint64_t abs_ns)
{ return _hypercall1(__HYPERVISOR_set_timer_op, abs_ns); }
static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{ return _hypercall2(__HYPERVISOR_xen_version, cmd, arg); }
static inline long HYPERVISOR_console_io(unsigned cmd, unsigned count, const void *buf)
{ return _hypercall3(__HYPERVISOR_console_io, cmd, count, buf); }
static inline long HYPERVISOR_vm_assist(unsigned cmd, unsigned type)
{ return _hypercall2(__HYPERVISOR_vm_assist, cmd, type); }
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned vcpu, void *arg)
{ return _hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg); }
static inline long HYPERVISOR_set_segment_base(unsigned which, uint64_t base)
{ return _hypercall2(__HYPERVISOR_set_segment_base, which, base); }
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, unsigned count,
                                        unsigned *done, unsigned foreigndom)
{ return _hypercall4(__HYPERVISOR_mmuext_op, op, count, done, foreigndom); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{ return _hypercall2(__HYPERVISOR_sched_op, cmd, arg); }
static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{ return _hypercall2(__HYPERVISOR_callback_op, cmd, arg); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{ return _hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{ return _hypercall2(__HYPERVISOR_physdev_op, cmd, arg); }

/* Any slot, for probing unknown or unused numbers. */
long hypercall_raw(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3,
                   uint64_t a4, uint64_t a5);

#endif
