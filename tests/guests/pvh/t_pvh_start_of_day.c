/* The PVH entry state and start_info (docs/misc/pvh.pandoc, public/
 * arch-x86/hvm/start_info.h): EBX = the start_info GPA; CR0 = PE (ET reads
 * as 1), CR4 = 0, EFLAGS VM/IF/TF clear; magic; the memory map (from
 * start_info version 1, else XENMEM_memory_map as Linux's PVH dom0 does):
 * RAM entries cover our image and start_info, no overlaps; SIF flags
 * (INITDOMAIN implies PRIVILEGED); RSDP, if given, says "RSD PTR "; the
 * command line (the runner passes `sod=1`) and modules in RAM.
 * Xen 4.17, PVH dom0 (run-xen.sh pvh_start_of_day): EBX = start_info
 * just after our image (__bss_end + 8, the command line before it), CR0
 * 0x11, CR4 0, EFLAGS 0x2, CS/SS selectors 0; start_info version 0 (no
 * memmap; XENMEM_memory_map gives 11 entries), flags 0x3, no modules,
 * RSDP in an ACPI entry just above dom0's 256 MiB of RAM.
 * guest-run: args=sod=1 */
#include "pvh.h"

GUEST_TEST("pvh_start_of_day");

static bool in_ram(const struct hvm_memmap_table_entry *m, unsigned n, uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < n; i++)
        if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM && m[i].addr <= start && end <= m[i].addr + m[i].size)
            return true;
    return false;
}

void test_main(void)
{
    const struct pvh_entry_state *e = &pvh_entry32;
    const struct hvm_start_info *si = pvh_start_info;
    printk("entry: ebx %#x cr0 %#x cr4 %#x eflags %#x cs %#x ss %#x\n",
           e->ebx, e->cr0, e->cr4, e->eflags, e->cs, e->ss);
    check((e->cr0 & ~0x10u) == 0x1, "CR0 %#x: want PE only (ET may read 1)", e->cr0);
    check_eq("CR4 at entry", e->cr4, 0);
    check(!(e->eflags & ((1u << 17) | (1u << 9) | (1u << 8))), "EFLAGS %#x: VM/IF/TF set", e->eflags);
    check(e->ebx && !(e->ebx & 7), "EBX %#x", e->ebx);

    printk("start_info: magic %#x version %u flags %#x modules %u at %#lx cmdline %#lx rsdp %#lx "
           "memmap %#lx x %u\n", si->magic, si->version, si->flags, si->nr_modules,
           si->modlist_paddr, si->cmdline_paddr, si->rsdp_paddr, si->memmap_paddr, si->memmap_entries);
    check_eq("magic", si->magic, XEN_HVM_START_MAGIC_VALUE);
    check(!(si->flags & 2) || (si->flags & 1), "flags %#x: INITDOMAIN without PRIVILEGED", si->flags);
    if (si->version >= 1)
        check_eq("reserved", si->reserved, 0);

    /* The memory map: start_info's (version 1), else the hypercall's. */
    static struct hvm_memmap_table_entry from_hcall[64];
    const struct hvm_memmap_table_entry *m = (const void *)si->memmap_paddr;
    unsigned n = si->version >= 1 ? si->memmap_entries : 0;
    if (si->version >= 1)
        check(n > 0 && n < 128 && si->memmap_paddr, "memmap: %u entries at %#lx", n, si->memmap_paddr);
    static struct e820_entry e820[64];
    struct xen_memory_map mm = { .nr_entries = 64, .buffer = (uint64_t)e820 };
    long rc = HYPERVISOR_memory_op(XENMEM_memory_map, &mm);
    printk("XENMEM_memory_map: %ld, %u entries\n", rc, mm.nr_entries);
    if (si->version < 1) {
        check_eq("XENMEM_memory_map", rc, 0);
        for (unsigned i = 0; i < mm.nr_entries && i < 64; i++)
            from_hcall[i] = (struct hvm_memmap_table_entry){ e820[i].addr, e820[i].size, e820[i].type, 0 };
        m = from_hcall;
        n = rc ? 0 : mm.nr_entries;
    }
    if (!n || n >= 128)
        return;
    uint64_t ram = 0;
    for (unsigned i = 0; i < n; i++) {
        printk("  memmap %2u: %#012lx-%#012lx type %u\n", i, m[i].addr, m[i].addr + m[i].size - 1, m[i].type);
        check(m[i].size, "memmap %u empty", i);
        check_eq("memmap reserved field", m[i].reserved, 0);
        check(m[i].type >= 1 && m[i].type <= 7, "memmap %u type %u", i, m[i].type);
        if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            ram += m[i].size;
        for (unsigned j = 0; j < i; j++)
            check(m[j].addr + m[j].size <= m[i].addr || m[i].addr + m[i].size <= m[j].addr,
                  "memmap %u and %u overlap", j, i);
    }
    printk("RAM %lu KiB\n", ram >> 10);
    check(ram >= (16UL << 20), "only %lu KiB RAM", ram >> 10);
    check(in_ram(m, n, (uint64_t)_image_start, (uint64_t)_image_end), "image not in RAM");
    check(in_ram(m, n, e->ebx, e->ebx + sizeof(*si)), "start_info not in RAM");
    if (si->version >= 1)
        check(in_ram(m, n, si->memmap_paddr, si->memmap_paddr + n * sizeof(*m)), "memmap not in RAM");
    if (si->rsdp_paddr)
        check(!memcmp((const void *)si->rsdp_paddr, "RSD PTR ", 8), "no RSDP at %#lx", si->rsdp_paddr);

    /* Command line (NUL-terminated, in RAM) with the runner's word. */
    if (si->cmdline_paddr) {
        const char *c = (const char *)si->cmdline_paddr;
        check(in_ram(m, n, si->cmdline_paddr, si->cmdline_paddr + strlen(c) + 1), "cmdline not in RAM");
        printk("cmdline '%s'\n", c);
    }
    const char *sod = cmdline_option("sod");
    check(sod && *sod == '1', "cmdline '%s' lacks sod=1", guest_cmdline());

    /* Modules: each in RAM, its command line too. */
    const struct hvm_modlist_entry *mods = (const void *)si->modlist_paddr;
    for (unsigned i = 0; i < si->nr_modules && i < 16; i++) {
        printk("  module %u: %#lx + %lu, cmdline %#lx\n", i, mods[i].paddr, mods[i].size, mods[i].cmdline_paddr);
        check(in_ram(m, n, mods[i].paddr, mods[i].paddr + mods[i].size), "module %u not in RAM", i);
    }
}
