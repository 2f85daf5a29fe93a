/* start_of_day: the initial state a PV dom0 kernel finds (ref §2.1-2.4,
 * §2.7, §4.2, §6.1): start_info fields, the bootstrap region layout
 * (kernel, p2m, start_info, page tables, stack, 4 MiB-rounded end with at
 * least 512 KiB padding, linear VA<->PFN, page tables mapped read-only),
 * the p2m/M2P agreement, the registers at entry, the hypercall page bytes
 * and the initial shared_info. No INIT_P2M and no initrd: the p2m lies in
 * the region and mod_start is 0. */
#include "guest.h"

GUEST_TEST("start_of_day");

#define PAGE 4096UL
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))

static void check_magic(void)
{
    const struct start_info *si = start_info;
    static const char want[] = START_INFO_MAGIC_X86_64;

    check(!memcmp(si->magic, want, sizeof(want)), "magic is \"%.32s\"", si->magic);
    for (unsigned i = sizeof(want); i < sizeof(si->magic); i++)
        check(si->magic[i] == 0, "magic not NUL padded at byte %u", i);
}

static void check_entry_registers(void)
{
    const struct entry_regs *r = &entry_regs;
    const uint64_t gprs[] = { r->rax, r->rbx, r->rcx, r->rdx, r->rdi, r->rbp,
                              r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
                              r->r14, r->r15 };
    static const char *const names[] = { "rax", "rbx", "rcx", "rdx", "rdi", "rbp",
                                         "r8", "r9", "r10", "r11", "r12", "r13",
                                         "r14", "r15" };

    check_eq("rsi at entry (start_info VA)", r->rsi, (uint64_t)start_info);
    for (unsigned i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
        if (gprs[i])
            fail("%s at entry is %#lx, want 0", names[i], gprs[i]);
    check_eq("cs at entry", r->cs, FLAT_KERNEL_CS);
    check_eq("ss at entry", r->ss, FLAT_KERNEL_SS);
    check_eq("ds at entry", r->ds, FLAT_KERNEL_DS);
    check_eq("es at entry", r->es, 0);
    check_eq("fs at entry", r->fs, 0);
    check_eq("gs at entry", r->gs, 0);
    /* IF (the real one is always on in a PV guest) and reserved bit 1;
     * IOPL 0, DF/TF/AC clear. */
    check_eq("rflags at entry", r->rflags, 0x202);
    check(!entry_bss_dirty, ".bss was not zero-filled by the loader");
}

static void check_fields(void)
{
    const struct start_info *si = start_info;
    const uint32_t known = SIF_PRIVILEGED | SIF_INITDOMAIN | SIF_PM_MASK;

    check((si->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN)) == (SIF_PRIVILEGED | SIF_INITDOMAIN),
          "flags %#x lack SIF_PRIVILEGED|SIF_INITDOMAIN", si->flags);
    check(!(si->flags & ~known), "unexpected flags %#x (no initrd given)", si->flags);
    check(si->nr_pages >= 1024 && si->nr_pages < (1UL << 28), "nr_pages %lu", si->nr_pages);
    check_eq("store_mfn (dom0)", si->store_mfn, 0);
    check_eq("store_evtchn (dom0)", si->store_evtchn, 0);
    check_eq("mod_start (no initrd)", si->mod_start, 0);
    check_eq("mod_len (no initrd)", si->mod_len, 0);
    /* Without INIT_P2M these describe nothing. Xen 4.17 still sets
     * first_p2m_pfn to the first PFN after the bootstrap region (0x400 for a
     * 4 MiB region) with nr_p2m_frames 0; 0 is accepted too. */
    check(si->first_p2m_pfn == 0 ||
          si->first_p2m_pfn == (region_end() - GUEST_VIRT_BASE) / PAGE,
          "first_p2m_pfn %#lx (no INIT_P2M)", si->first_p2m_pfn);
    check_eq("nr_p2m_frames (no INIT_P2M)", si->nr_p2m_frames, 0);
    check(strnlen(si->cmd_line, MAX_GUEST_CMDLINE) < MAX_GUEST_CMDLINE,
          "cmd_line not NUL terminated");

    uint32_t off = si->console.dom0.info_off, size = si->console.dom0.info_size;
    if (size)
        check(off >= sizeof(struct start_info) && size <= PAGE && off <= PAGE - size,
              "dom0 vga info at %u size %u leaves the start_info page", off, size);
    printk("[start_of_day] nr_pages %lu flags %#x vga info %u+%u cmdline \"%s\"\n",
           si->nr_pages, si->flags, off, size, si->cmd_line);
}

/* p2m[pfn] and M2P agree for every page, so every MFN is distinct. */
static void check_p2m(void)
{
    const struct start_info *si = start_info;
    unsigned bad = 0;

    for (uint64_t pfn = 0; pfn < si->nr_pages; pfn++) {
        uint64_t mfn = p2m(pfn);
        if (m2p(mfn) != pfn && bad++ < 4)
            fail("p2m[%#lx] = %#lx but m2p[%#lx] = %#lx", pfn, mfn, mfn, m2p(mfn));
    }
    check(!(si->shared_info & (PAGE - 1)) && si->shared_info,
          "shared_info maddr %#lx", si->shared_info);
    uint64_t sh_mfn = si->shared_info >> 12, sh_pfn = m2p(sh_mfn);
    check(sh_pfn >= si->nr_pages || p2m(sh_pfn) != sh_mfn,
          "shared_info frame %#lx is guest RAM (pfn %#lx)", sh_mfn, sh_pfn);
}

/* Order and placement in the region (ref §2.1, §2.7). */
static void check_layout(void)
{
    const struct start_info *si = start_info;
    uint64_t image_end = ALIGN_UP((uint64_t)_image_end, PAGE);
    uint64_t p2m_end = ALIGN_UP(si->mfn_list + si->nr_pages * 8, PAGE);
    uint64_t si_va = (uint64_t)si;
    uint64_t pt_end = si->pt_base + si->nr_pt_frames * PAGE;
    uint64_t stack_end = pt_end + PAGE;
    uint64_t end = region_end();
    uint64_t want_end = ALIGN_UP(stack_end, 4UL << 20);

    if (want_end - stack_end < (512UL << 10))
        want_end += 4UL << 20;
    printk("[start_of_day] image ..%#lx p2m %#lx start_info %#lx pt %#lx+%lu stack_end %#lx end %#lx\n",
           image_end, si->mfn_list, si_va, si->pt_base, si->nr_pt_frames, entry_regs.rsp, end);
    check_eq("mfn_list (right after the image)", si->mfn_list, image_end);
    check_eq("start_info VA (after the p2m)", si_va, p2m_end);
    check_eq("pt_base (page after start_info)", si->pt_base, si_va + PAGE);
    check(si->nr_pt_frames >= 4 && si->nr_pt_frames < 64, "nr_pt_frames %lu", si->nr_pt_frames);
    check_eq("rsp at entry (top of the stack page after the tables)", entry_regs.rsp, stack_end);
    check(!(end & ((4UL << 20) - 1)), "region end %#lx not 4 MiB aligned", end);
    check(end - stack_end >= (512UL << 10), "padding %#lx < 512 KiB", end - stack_end);
    check_eq("region end", end, want_end);
}

static bool is_pt_page(uint64_t va)
{
    return va >= start_info->pt_base &&
           va < start_info->pt_base + start_info->nr_pt_frames * PAGE;
}

/* Every region page maps PFN (va - VIRT_BASE) / 4 KiB, read-write except
 * the bootstrap page tables, which are read-only. */
static void check_mappings(void)
{
    uint64_t end = region_end();
    unsigned bad = 0;

    for (uint64_t va = GUEST_VIRT_BASE; va < end; va += PAGE) {
        uint64_t e = *pt_entry(va, 1), pfn = (va - GUEST_VIRT_BASE) / PAGE;
        bool want_rw = !is_pt_page(va);
        if (va == (uint64_t)shared_info)
            continue;   /* remapped by the library */
        if ((PTE_MFN(e) != p2m(pfn) || !!(e & PTE_RW) != want_rw || !(e & PTE_US)) &&
            bad++ < 4)
            fail("L1e of %#lx is %#lx (pfn %#lx mfn %#lx, want %s)", va, e, pfn,
                 p2m(pfn), want_rw ? "RW" : "RO");
    }
    printk("[start_of_day] L1e of the image start: %#lx\n", *pt_entry(GUEST_VIRT_BASE, 1));
}

/* The L4 at pt_base maps the region through tables that all lie in
 * [pt_base, pt_base + nr_pt_frames). */
static void check_tables(void)
{
    for (int level = 4; level >= 1; level--) {
        volatile uint64_t *e = pt_entry(GUEST_VIRT_BASE, level);
        check(e != NULL, "no level-%d entry for VIRT_BASE", level);
        if (e)
            check(is_pt_page((uint64_t)e & ~(PAGE - 1)),
                  "level-%d table at %p is outside the bootstrap tables", level, e);
    }
    for (uint64_t va = start_info->pt_base; va < start_info->pt_base + start_info->nr_pt_frames * PAGE; va += PAGE)
        check(mfn_to_va(va_to_mfn((void *)va)) == (void *)va, "pt frame %#lx not in M2P", va);
}

/* CR3 reads are emulated for PV: the kernel L4 as a (pseudo-)frame number. */
static void check_cr3(void)
{
    uint64_t cr3 = 0;

    trap_resume_rip = 0;
    __asm__ __volatile__("lea 1f(%%rip), %%rax\n\t"
                         "mov %%rax, trap_resume_rip(%%rip)\n\t"
                         "mov %%cr3, %0\n\t"
                         "1:" : "+r"(cr3) : : "rax", "memory");
    if (trap_resume_rip == 0) {
        check(0, "mov from cr3 raised trap %lu", last_trap.vector);
        return;
    }
    trap_resume_rip = 0;
    check_eq("cr3 (L4 mfn << 12)", cr3, l4_mfn() << 12);
}

static const uint8_t slot_stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                     0x41, 0x5b, 0x59, 0xc3 };
static const uint8_t iret_stub[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 0x17, 0, 0, 0,
                                     0x0f, 0x05 };

static void check_hypercall_page(void)
{
    for (unsigned n = 0; n < HYPERCALL_PAGE_SLOTS; n++) {
        const uint8_t *slot = (const uint8_t *)hypercall_page + n * HYPERCALL_SLOT_SIZE;
        uint8_t want[sizeof(slot_stub)];
        if (n == __HYPERVISOR_iret) {
            if (memcmp(slot, iret_stub, sizeof(iret_stub)))
                fail("hypercall page: iret slot differs");
            continue;
        }
        memcpy(want, slot_stub, sizeof(want));
        want[4] = (uint8_t)n;
        if (memcmp(slot, want, sizeof(want))) {
            fail("hypercall page slot %u differs", n);
            break;
        }
    }
}

static void check_shared_info(void)
{
    const struct shared_info *sh = shared_info;

    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        check(sh->vcpu_info[i].evtchn_upcall_mask == 1,
              "vcpu_info[%u].evtchn_upcall_mask = %u, want 1", i,
              sh->vcpu_info[i].evtchn_upcall_mask);
    check_eq("vcpu_info[0].arch.cr2", sh->vcpu_info[0].arch.cr2, 0);
    check(!(sh->vcpu_info[0].time.version & 1), "time version odd");
    check(sh->vcpu_info[0].time.tsc_to_system_mul != 0, "time mul 0");
    check(!(sh->wc_version & 1), "wc_version odd");
    /* The wall clock comes from the machine's RTC, which QEMU sets from the
     * host's clock: a time of day after 2025-01-01 (1735689600). */
    check(sh->wc_version != 0, "wall clock never set (wc_version 0)");
    uint64_t wall = ((uint64_t)sh->wc_sec_hi << 32 | sh->wc_sec) +
                    sh->vcpu_info[0].time.system_time / 1000000000UL;
    check(wall > 1735689600UL, "wall clock %lu s is before 2025", wall);
    printk("[start_of_day] time: sys %lu ns mul %#x shift %d flags %#x; wc %u.%09u\n",
           sh->vcpu_info[0].time.system_time, sh->vcpu_info[0].time.tsc_to_system_mul,
           sh->vcpu_info[0].time.tsc_shift, sh->vcpu_info[0].time.flags, sh->wc_sec,
           sh->wc_nsec);
}

void test_main(void)
{
    check_magic();
    check_entry_registers();
    check_fields();
    check_p2m();
    check_layout();
    check_mappings();
    check_tables();
    check_cr3();
    check_hypercall_page();
    check_shared_info();
}
