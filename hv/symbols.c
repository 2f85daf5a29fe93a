/* Symbol lookup over the table tools/gensyms.sh generates: addresses sorted
 * ascending, with name offsets into one string blob. */
#include <keel/symbols.h>

extern const uint64_t keel_symtab_count;
extern const uint64_t keel_symtab_addrs[];
extern const uint32_t keel_symtab_name_offs[];
extern const char keel_symtab_names[];
extern const char __text_start[], __text_end[];

const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size)
{
    uint64_t n = keel_symtab_count;

    if (!n || addr < keel_symtab_addrs[0] || addr >= (uint64_t)__text_end)
        return NULL;
    uint64_t lo = 0, hi = n;            /* last entry with addrs[i] <= addr */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (keel_symtab_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    uint64_t end = lo + 1 < n ? keel_symtab_addrs[lo + 1] : (uint64_t)__text_end;
    if (offset)
        *offset = addr - keel_symtab_addrs[lo];
    if (size)
        *size = end - keel_symtab_addrs[lo];
    return &keel_symtab_names[keel_symtab_name_offs[lo]];
}
