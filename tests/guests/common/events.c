/* The event callback's common part (2-level event channels, public/xen.h):
 * what the PV event callback and the PVH callback vectors do once entered. */
#include "family.h"

volatile unsigned events_seen;
volatile uint64_t events_ports[4];

void events_handle(struct vcpu_info *vi)
{
    events_seen++;
    vi->evtchn_upcall_pending = 0;
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t bits = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w];
        __atomic_fetch_and(&shared_info->evtchn_pending[w], ~bits, __ATOMIC_SEQ_CST);
        if (w < 4)
            __atomic_fetch_or(&events_ports[w], bits, __ATOMIC_SEQ_CST);
    }
}
