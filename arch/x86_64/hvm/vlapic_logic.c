/* Pure local APIC arithmetic (keel/vlapic_logic.h). */
#include <keel/vlapic_logic.h>

uint32_t vlapic_ldr(uint32_t id)
{
    return (id >> 4) << 16 | 1u << (id & 0xf);
}

int vlapic_highest(const uint64_t bits[4])
{
    for (int w = 3; w >= 0; w--) {
        uint64_t b = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
        if (b)
            return w * 64 + 63 - __builtin_clzl(b);
    }
    return -1;
}

uint32_t vlapic_ppr(uint32_t tpr, const uint64_t isr[4])
{
    int top = vlapic_highest(isr);
    uint32_t isr_class = top < 0 ? 0 : (uint32_t)top & 0xf0;
    return (tpr & 0xf0) >= isr_class ? tpr & 0xff : isr_class;
}

uint8_t vlapic_deliverable(const uint64_t irr[4], const uint64_t isr[4], uint32_t tpr,
                           uint32_t svr)
{
    if (!(svr & (1u << 8)))
        return 0;
    int top = vlapic_highest(irr);
    if (top < 16 || ((uint32_t)top & 0xf0) <= (vlapic_ppr(tpr, isr) & 0xf0))
        return 0;
    return (uint8_t)top;
}

struct vlapic_icr vlapic_icr_decode(uint64_t icr)
{
    return (struct vlapic_icr){
        .vector = (uint8_t)icr,
        .dm = (enum vlapic_dm)((icr >> 8) & 7),
        .logical = (icr >> 11) & 1,
        .assert = (icr >> 14) & 1,
        .shorthand = (enum vlapic_shorthand)((icr >> 18) & 3),
        .dest = (uint32_t)(icr >> 32),
    };
}

bool vlapic_dest_match(uint32_t id, uint32_t dest, bool logical)
{
    if (dest == VLAPIC_BROADCAST)
        return true;
    if (!logical)
        return id == dest;
    uint32_t ldr = vlapic_ldr(id);
    return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff);
}

bool vlapic_xapic_dest_match(uint32_t id, uint32_t ldr, uint32_t dfr, uint8_t dest, bool logical)
{
    if (dest == 0xff)
        return true;
    if (!logical)
        return (id & 0xff) == dest;
    uint8_t l = (uint8_t)(ldr >> 24);
    if ((dfr >> 28) == 0xf)
        return (l & dest) != 0;
    return (l >> 4) == (dest >> 4) && (l & dest & 0xf);
}
