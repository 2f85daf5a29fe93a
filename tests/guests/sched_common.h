/* Helpers of the scheduler test kernels (t_sched_*.c): runstate figures
 * (VCPUOP_get_runstate_info, ref 5.15), the pvclock (ref 6.3) and options
 * from the kernel's command line ("key=value" words, '+' or ' ' apart). */
#ifndef SCHED_COMMON_H
#define SCHED_COMMON_H

#include "guest.h"
#include <public/vcpu.h>

#define ENOENT 2
#define EFAULT 14

static inline void runstate(unsigned vcpu, struct vcpu_runstate_info *r)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, vcpu, r);
    if (rc)
        guest_abort("get_runstate_info(%u): %ld", vcpu, rc);
}

/* System time covered by the figures (sum of the four states). */
static inline uint64_t runstate_total(const struct vcpu_runstate_info *r)
{
    return r->time[0] + r->time[1] + r->time[2] + r->time[3];
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* System time (ns) from vCPU `id`'s vcpu_time_info. */
static inline uint64_t pvclock_of(unsigned id)
{
    volatile struct vcpu_time_info *t = &shared_info->vcpu_info[id].time;
    uint32_t ver;
    uint64_t ns;
    do {
        ver = t->version;
        __asm__ __volatile__("" ::: "memory");
        uint64_t d = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        d = shift >= 0 ? d << shift : d >> -shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
        __asm__ __volatile__("" ::: "memory");
    } while ((ver & 1) || ver != t->version);
    return ns;
}

static inline uint64_t pvclock_ns(void)
{
    return pvclock_of(0);
}

/* Starts vCPU `id` in kernel mode at entry() on the given stack, with its
 * id in rbx (VCPUOP_initialise + up, ref 5.15); ctx is scratch. */
static inline void start_vcpu(struct vcpu_guest_context *ctx, unsigned id, void (*entry)(void),
                              void *stack_top)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->flags = VGCF_IN_KERNEL;
    ctx->user_regs.rip = (uint64_t)entry;
    ctx->user_regs.rsp = (uint64_t)stack_top;
    ctx->user_regs.rbx = id;
    ctx->user_regs.cs = FLAT_KERNEL_CS;
    ctx->user_regs.ss = FLAT_KERNEL_SS;
    ctx->user_regs.rflags = 0x200;
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = ctx->user_regs.rsp;
    ctx->ctrlreg[3] = l4_mfn() << 12;
    check_eq("initialise", HYPERVISOR_vcpu_op(VCPUOP_initialise, id, ctx), 0);
    check_eq("up", HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL), 0);
}

/* The value of `key=` in the command line, or `def`. */
static inline uint64_t opt_uint(const char *key, uint64_t def)
{
    const char *s = (const char *)start_info->cmd_line;
    size_t kl = 0;
    while (key[kl])
        kl++;
    for (const char *p = s; *p; p++) {
        if ((p != s && p[-1] != ' ' && p[-1] != '+') || memcmp(p, key, kl) || p[kl] != '=')
            continue;
        uint64_t v = 0;
        for (p += kl + 1; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (uint64_t)(*p - '0');
        return v;
    }
    return def;
}

static inline bool opt_word(const char *word)
{
    const char *s = (const char *)start_info->cmd_line;
    size_t wl = 0;
    while (word[wl])
        wl++;
    for (const char *p = s; *p; p++)
        if ((p == s || p[-1] == ' ' || p[-1] == '+') && !memcmp(p, word, wl) &&
            (p[wl] == 0 || p[wl] == ' ' || p[wl] == '+'))
            return true;
    return false;
}

#endif
