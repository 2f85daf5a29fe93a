/* Timer queue: a singly linked list kept in expiry order. A CPU has few
 * pending timers (its vCPUs' timers and the scheduler's), so insertion
 * cost is small and popping the earliest is O(1). */
#include <keel/timer.h>

void timer_queue_init(struct timer_queue *q)
{
    q->head = NULL;
    q->lock = (spinlock_t)SPINLOCK_INIT;
}

bool timer_queue_insert(struct timer_queue *q, struct timer *t)
{
    struct timer **pp = &q->head;
    while (*pp && (*pp)->expires <= t->expires)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->pending = true;
    return pp == &q->head;
}

bool timer_queue_remove(struct timer_queue *q, struct timer *t)
{
    for (struct timer **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->next = NULL;
            t->pending = false;
            return true;
        }
    }
    return false;
}

struct timer *timer_queue_pop_expired(struct timer_queue *q, uint64_t now)
{
    struct timer *t = q->head;
    if (!t || t->expires > now)
        return NULL;
    q->head = t->next;
    t->next = NULL;
    t->pending = false;
    return t;
}

uint64_t timer_queue_next(const struct timer_queue *q)
{
    return q->head ? q->head->expires : UINT64_MAX;
}
