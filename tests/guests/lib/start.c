/* C entry of every test kernel (called by head.S): trap table, callbacks,
 * shared_info mapped, then the test's own test_main and the verdict. */
#include "guest.h"

struct start_info *start_info;
struct shared_info *shared_info;

/* A page of our image whose mapping is replaced by the shared_info frame. */
static uint8_t shared_info_page[4096] __attribute__((aligned(4096)));

const char *guest_cmdline(void)
{
    return start_info ? (const char *)start_info->cmd_line : "";
}

void traps_init(void);
void guest_start(struct start_info *si);

void guest_start(struct start_info *si)
{
    start_info = si;
    if (guest_early)
        guest_early(si);
    traps_init();

    long rc = HYPERVISOR_update_va_mapping((uint64_t)shared_info_page,
                                           si->shared_info | PTE_P | PTE_RW | PTE_A | PTE_D,
                                           UVMF_INVLPG);
    if (rc)
        guest_abort("mapping shared_info (maddr %#lx): %ld", si->shared_info, rc);
    shared_info = (struct shared_info *)shared_info_page;

    test_main();
    guest_finish();
}
