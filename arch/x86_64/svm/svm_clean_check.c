/* Boot option svm_clean_check: a run-time check of the VMCB clean-bit
 * bookkeeping (keel/vmcb_clean.h) that works on any SVM CPU, clean bits or
 * not. At each #VMEXIT the VMCB is copied; at the next VMRUN every byte of
 * a group the mask calls clean must still equal that copy, else Keel wrote
 * a cached field without marking it (a CPU with clean bits would run the
 * guest with the old value). Costs a 4 KiB copy and compare per exit: for
 * tests (tests/guests/pvh/run-keel.sh, tests/linux with KEEL_LINUX_OPTS). */
#include "vmcb.h"
#include <keel/cmdline.h>
#include <keel/log.h>
#include <keel/string.h>

bool svm_clean_check;
param_bool("svm_clean_check", svm_clean_check);

static unsigned reported;

void svm_clean_check_entry(struct svm_vcpu *s, uint32_t clean)
{
    if (!s->clean_snap || !s->clean_snap_valid || !clean)
        return;
    const uint8_t *now = (const uint8_t *)s->vmcb, *then = s->clean_snap;
    for (size_t off = 0; off < sizeof(struct vmcb); off++) {
        uint32_t g = vmcb_clean_group(off);
        if (!g || (clean & g) != g || now[off] == then[off])
            continue;
        if (reported < 8) {
            reported++;
            log_err("svm: clean-bit check: VMCB byte %#lx changed (%#x -> %#x) while "
                    "its group %#x was to be called clean\n", off, then[off], now[off], g);
        }
    }
}

void svm_clean_check_exit(struct svm_vcpu *s)
{
    if (!s->clean_snap)
        return;
    memcpy(s->clean_snap, s->vmcb, sizeof(struct vmcb));
    s->clean_snap_valid = true;
}
