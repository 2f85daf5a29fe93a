/* Ticket spinlocks: fair, one cache line of state. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <keel/types.h>
#include <keel/compiler.h>
#include <keel/x86.h>

typedef struct spinlock {
    volatile uint16_t next;
    volatile uint16_t owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
    uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
        cpu_relax();
    barrier();
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint32_t old = ((uint32_t)owner << 16) | owner;     /* next == owner: free */
    uint32_t new = ((uint32_t)owner << 16) | (uint16_t)(owner + 1);
    return __atomic_compare_exchange_n((volatile uint32_t *)l, &old, new, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    barrier();
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l)
{
    return l->next != l->owner;
}

static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags = irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_unlock(l);
    irq_restore(flags);
}

#endif
