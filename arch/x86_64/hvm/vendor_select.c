/* Choosing and enabling the HVM backend (keel/hvm_vendor.h): the boot CPU
 * probes SVM or VMX, whichever the CPU has, and prints the feature line;
 * every CPU then enables it. Without one, PV guests still run. */
#include <keel/hvm.h>
#include <keel/cmdline.h>
#include <keel/cpufeature.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/smp.h>

const struct hvm_vendor_ops *hvm_vendor;

/* hvm=off: leave the extensions off (PV guests only). */
static bool opt_hvm = true;
param_bool("hvm", opt_hvm);

static const struct hvm_vendor_ops *pick(void)
{
    if (boot_cpu.svm)
        return &svm_vendor_ops;
    if (boot_cpu.vmx)
        return &vmx_vendor_ops;
    return NULL;
}

static void select_on_boot_cpu(void)
{
    char features[160] = "";
    const struct hvm_vendor_ops *ops = opt_hvm ? pick() : NULL;
    if (!ops) {
        log_info("hvm: none%s\n", !opt_hvm ? " (hvm=off)" : " (no SVM or VMX)");
        return;
    }
    if (!ops->probe(features, sizeof(features))) {
        log_info("hvm: none (%s unusable: %s)\n", ops->name, features);
        return;
    }
    if (ops->cpu_enable()) {
        log_err("hvm: none (%s: cannot enable on the boot CPU)\n", ops->name);
        return;
    }
    hvm_vendor = ops;
    log_info("hvm: %s (%s)\n", ops->name, features);
}

void hvm_cpu_init(void)
{
    if (smp_processor_id() == 0) {
        select_on_boot_cpu();
        return;
    }
    if (hvm_vendor && hvm_vendor->cpu_enable())
        log_err("hvm: %s: cannot enable on CPU %u\n", hvm_vendor->name, smp_processor_id());
}
