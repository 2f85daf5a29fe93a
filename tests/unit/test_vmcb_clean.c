/* Unit tests for the SVM VMCB clean bits (keel/vmcb_clean.h,
 * arch/x86_64/svm/vmcb_clean.c): the group of each VMCB field (AMD APM
 * vol. 2, 15.15 and appendix B offsets), the mask for one VMRUN, and a
 * simulated CPU that caches VMCBs as the APM allows, which must never run
 * a guest with stale state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/vmcb_clean.h>

static void groups_follow_the_apm_table(void **state)
{
    (void)state;
    /* Control area. */
    for (size_t off = 0x000; off <= 0x010; off += 4)        /* CR/DR/exc/misc intercepts */
        assert_int_equal(vmcb_clean_group(off), VMCB_CLEAN_I);
    assert_int_equal(vmcb_clean_group(0x03c), VMCB_CLEAN_I);    /* pause filter threshold */
    assert_int_equal(vmcb_clean_group(0x03e), VMCB_CLEAN_I);    /* pause filter count */
    assert_int_equal(vmcb_clean_group(0x040), VMCB_CLEAN_IOPM);
    assert_int_equal(vmcb_clean_group(0x048), VMCB_CLEAN_IOPM); /* MSRPM */
    assert_int_equal(vmcb_clean_group(0x050), VMCB_CLEAN_I);    /* TSC offset */
    assert_int_equal(vmcb_clean_group(0x058), VMCB_CLEAN_ASID);
    assert_int_equal(vmcb_clean_group(0x060), VMCB_CLEAN_TPR);  /* V_TPR .. V_INTR_VECTOR */
    assert_int_equal(vmcb_clean_group(0x090), VMCB_CLEAN_NP);   /* NP_ENABLE */
    assert_int_equal(vmcb_clean_group(0x0b0), VMCB_CLEAN_NP);   /* N_CR3 */
    /* State-save area. */
    assert_int_equal(vmcb_clean_group(0x400), VMCB_CLEAN_SEG);  /* ES */
    assert_int_equal(vmcb_clean_group(0x410), VMCB_CLEAN_SEG);  /* CS */
    assert_int_equal(vmcb_clean_group(0x420), VMCB_CLEAN_SEG);  /* SS */
    assert_int_equal(vmcb_clean_group(0x438), VMCB_CLEAN_SEG);  /* DS base */
    assert_int_equal(vmcb_clean_group(0x4cb), VMCB_CLEAN_SEG);  /* CPL */
    assert_int_equal(vmcb_clean_group(0x460), VMCB_CLEAN_DT);   /* GDTR */
    assert_int_equal(vmcb_clean_group(0x480), VMCB_CLEAN_DT);   /* IDTR */
    assert_int_equal(vmcb_clean_group(0x4d0), VMCB_CLEAN_CRX);  /* EFER */
    assert_int_equal(vmcb_clean_group(0x548), VMCB_CLEAN_CRX);  /* CR4 */
    assert_int_equal(vmcb_clean_group(0x550), VMCB_CLEAN_CRX);  /* CR3 */
    assert_int_equal(vmcb_clean_group(0x558), VMCB_CLEAN_CRX);  /* CR0 */
    assert_int_equal(vmcb_clean_group(0x560), VMCB_CLEAN_DRX);  /* DR7 */
    assert_int_equal(vmcb_clean_group(0x568), VMCB_CLEAN_DRX);  /* DR6 */
    assert_int_equal(vmcb_clean_group(0x640), VMCB_CLEAN_CR2);
    assert_int_equal(vmcb_clean_group(0x668), VMCB_CLEAN_NP);   /* G_PAT */
    assert_int_equal(vmcb_clean_group(0x670), VMCB_CLEAN_LBR);  /* DBGCTL */
    assert_int_equal(vmcb_clean_group(0x5e0), VMCB_CLEAN_CET);  /* S_CET */
}

static void uncached_fields_have_no_group(void **state)
{
    (void)state;
    static const size_t never[] = {
        0x05c,                      /* TLB_CONTROL */
        0x068,                      /* interrupt shadow */
        0x070, 0x078, 0x080, 0x088, /* EXITCODE, EXITINFO1/2, EXITINTINFO */
        0x0a8,                      /* EVENTINJ */
        0x0c0,                      /* the clean field */
        0x0c8, 0x0d0,               /* NRIP, instruction bytes */
        0x440, 0x450, 0x470, 0x490, /* FS, GS, LDTR, TR: VMLOAD */
        0x570, 0x578, 0x5d8, 0x5f8, /* RFLAGS, RIP, RSP, RAX */
        0x600, 0x608, 0x610, 0x618, 0x620, 0x628, 0x630, 0x638,   /* STAR..SYSENTER_EIP */
    };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        assert_int_equal(vmcb_clean_group(never[i]), 0);
}

static void unknown_offsets_dirty_everything(void **state)
{
    (void)state;
    assert_int_equal(vmcb_clean_group(0x020), VMCB_CLEAN_DEFINED);   /* reserved */
    assert_int_equal(vmcb_clean_group(0x500), VMCB_CLEAN_DEFINED);   /* reserved */
    assert_int_equal(vmcb_clean_group(0xfff), VMCB_CLEAN_DEFINED);
}

static char vmcb_a[1], vmcb_b[1];   /* only their addresses matter */

static void mask_on_one_cpu(void **state)
{
    (void)state;
    struct vmcb_clean c;
    const void *last = NULL;
    vmcb_clean_forget(&c);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED), 0);
    assert_ptr_equal(last, vmcb_a);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);
    vmcb_clean_mark(&c, vmcb_clean_group(0x548));               /* a write to CR4 */
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED & ~VMCB_CLEAN_CRX);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);                           /* dirty only once */
    vmcb_clean_mark(&c, vmcb_clean_group(0x578));               /* RIP: nothing */
    vmcb_clean_mark(&c, vmcb_clean_group(0x0a8));               /* EVENTINJ: nothing */
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);
    vmcb_clean_mark(&c, VMCB_CLEAN_TPR | VMCB_CLEAN_I);         /* interrupt window */
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED & ~(VMCB_CLEAN_TPR | VMCB_CLEAN_I));
    vmcb_clean_forget(&c);                                      /* state loaded */
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED), 0);
}

static void never_groups_keel_does_not_track(void **state)
{
    (void)state;
    struct vmcb_clean c;
    const void *last = NULL;
    vmcb_clean_forget(&c);
    vmcb_clean_for_entry(&c, 0, &last, vmcb_a, VMCB_CLEAN_USED);
    /* Even if a caller passed every bit, LBR, AVIC, CET stay dirty. */
    uint32_t m = vmcb_clean_for_entry(&c, 0, &last, vmcb_a, 0xffffffffU);
    assert_int_equal(m, VMCB_CLEAN_USED);
    assert_int_equal(m & (VMCB_CLEAN_LBR | VMCB_CLEAN_AVIC | VMCB_CLEAN_CET), 0);
}

static void cpu_change_clears_everything(void **state)
{
    (void)state;
    struct vmcb_clean c;
    const void *last[2] = { NULL, NULL };
    vmcb_clean_forget(&c);
    vmcb_clean_for_entry(&c, 0, &last[0], vmcb_a, VMCB_CLEAN_USED);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last[0], vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);
    assert_int_equal(vmcb_clean_for_entry(&c, 1, &last[1], vmcb_a, VMCB_CLEAN_USED), 0);
    /* Back on CPU 0, which still names vmcb_a as its last: its copy is older
     * than the run on CPU 1, so nothing is clean. */
    assert_ptr_equal(last[0], vmcb_a);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last[0], vmcb_a, VMCB_CLEAN_USED), 0);
    assert_int_equal(vmcb_clean_for_entry(&c, 0, &last[0], vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);
}

static void another_vmcb_between_clears_everything(void **state)
{
    (void)state;
    struct vmcb_clean a, b;
    const void *last = NULL;
    vmcb_clean_forget(&a);
    vmcb_clean_forget(&b);
    vmcb_clean_for_entry(&a, 0, &last, vmcb_a, VMCB_CLEAN_USED);
    assert_int_equal(vmcb_clean_for_entry(&b, 0, &last, vmcb_b, VMCB_CLEAN_USED), 0);
    assert_int_equal(vmcb_clean_for_entry(&a, 0, &last, vmcb_a, VMCB_CLEAN_USED), 0);
    assert_int_equal(vmcb_clean_for_entry(&a, 0, &last, vmcb_a, VMCB_CLEAN_USED),
                     VMCB_CLEAN_USED);
}

static void unsupported_cpu_gets_zero(void **state)
{
    (void)state;
    struct vmcb_clean c;
    const void *last = NULL;
    vmcb_clean_forget(&c);
    for (int i = 0; i < 4; i++)
        assert_int_equal(vmcb_clean_for_entry(&c, 0, &last, vmcb_a, 0), 0);
}

/* A simulated CPU as the APM permits at its most aggressive: each CPU keeps
 * a copy of every VMCB it ever VMRUN'd (keyed by address) and, at VMRUN,
 * takes a group from its copy whenever that group's clean bit is set. The
 * guest state it loads must always equal the VMCB in memory. Random writes
 * go through vmcb_clean_group() as the backend's accessors do. */
#define SIM_CPUS  3
#define SIM_VMCBS 3
#define SIM_SIZE  0x700
static uint8_t mem[SIM_VMCBS][SIM_SIZE];
static uint8_t copy[SIM_CPUS][SIM_VMCBS][SIM_SIZE];
static bool has_copy[SIM_CPUS][SIM_VMCBS];

static void sim_vmrun(int cpu, int n, uint32_t clean)
{
    for (size_t off = 0; off < SIM_SIZE; off++) {
        uint32_t g = vmcb_clean_group(off);
        bool cached = g && has_copy[cpu][n] && (clean & g) == g;
        uint8_t loaded = cached ? copy[cpu][n][off] : mem[n][off];
        assert_int_equal(loaded, mem[n][off]);
    }
    memcpy(copy[cpu][n], mem[n], SIM_SIZE);
    has_copy[cpu][n] = true;
    /* The guest ran; the CPU writes its state back to both (#VMEXIT). */
    size_t off = 0x548 + (size_t)(rand() % 24);             /* CR4, CR3, CR0 */
    mem[n][off] = copy[cpu][n][off] = (uint8_t)rand();
}

static void simulated_cpu_never_runs_stale_state(void **state)
{
    (void)state;
    struct vmcb_clean c[SIM_VMCBS];
    const void *last[SIM_CPUS] = { NULL };
    int where[SIM_VMCBS];
    srand(1);
    for (int n = 0; n < SIM_VMCBS; n++) {
        vmcb_clean_forget(&c[n]);
        where[n] = n % SIM_CPUS;
    }
    unsigned clean_runs = 0;
    for (int step = 0; step < 20000; step++) {
        int n = rand() % SIM_VMCBS;
        switch (rand() % 8) {
        case 0:                             /* the vCPU moves */
            where[n] = rand() % SIM_CPUS;
            break;
        case 1:                             /* a state load from outside */
            memset(mem[n], rand(), SIM_SIZE);
            vmcb_clean_forget(&c[n]);
            break;
        default: {                          /* a few field writes */
            int k = rand() % 3;
            for (int i = 0; i < k; i++) {
                size_t off = (size_t)rand() % SIM_SIZE;
                mem[n][off] = (uint8_t)rand();
                vmcb_clean_mark(&c[n], vmcb_clean_group(off));
            }
            break;
        }
        }
        int cpu = where[n];
        uint32_t clean = vmcb_clean_for_entry(&c[n], cpu, &last[cpu], mem[n], VMCB_CLEAN_USED);
        clean_runs += clean != 0;
        sim_vmrun(cpu, n, clean);
    }
    assert_true(clean_runs > 1000);         /* the cache was used, not just avoided */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(groups_follow_the_apm_table),
        cmocka_unit_test(uncached_fields_have_no_group),
        cmocka_unit_test(unknown_offsets_dirty_everything),
        cmocka_unit_test(mask_on_one_cpu),
        cmocka_unit_test(never_groups_keel_does_not_track),
        cmocka_unit_test(cpu_change_clears_everything),
        cmocka_unit_test(another_vmcb_between_clears_everything),
        cmocka_unit_test(unsupported_cpu_gets_zero),
        cmocka_unit_test(simulated_cpu_never_runs_stale_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
