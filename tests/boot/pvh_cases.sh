# tests/boot/pvh_cases.sh: boot cases for PVH guests on the SVM backend
# (QEMU TCG -cpu max emulates SVM with nested paging), sourced by run.sh.
#   pvh-smoke       the PVH smoke kernel as dom0 (dom0=pvh) with 2 vCPUs:
#                   hypercalls, events through the callback vector, timers,
#                   its second vCPU started with VCPUOP_initialise + up
#   pvh-smoke-domu  a PV dom0 test kernel beside the smoke kernel as a PVH
#                   domU with one vCPU
#   pvh-smoke-1cpu  the same on one CPU: the scheduler switches between the
#                   PV and the PVH vCPU (iretq frames and VMRUN) on it
#   pvh-vmrun       the guest's VMRUN raises #UD in the guest
#   pvh-npf         a read outside its memory crashes the domain, not Keel
#   pvh-no-npt      a CPU with SVM but no nested paging: "hvm: none", a PVH
#                   dom0 refused with its reason, PV self-tests still pass
# pvh-smoke and pvh-smoke-domu/-1cpu boot with svm_clean_check: every VMCB
# field Keel wrote between an exit and the next VMRUN must have had its
# clean bit cleared (arch/x86_64/svm/svm_clean_check.c; TCG has no clean
# bits, so this is how their bookkeeping is checked here).

PVH_SMOKE_ELF=${PVH_SMOKE_ELF:-$ROOT/build/pvh_smoke/pvh_smoke.elf}

pvh_cases() { echo pvh-smoke pvh-smoke-domu pvh-smoke-1cpu pvh-vmrun pvh-npf pvh-no-npt; }

pvh_need_smoke() {
    [ -f "$PVH_SMOKE_ELF" ] || "${MAKE:-make}" -s -C "$ROOT" guests >/dev/null 2>&1
    need_file "$KEEL_ELF" "$PVH_SMOKE_ELF"
}

# The smoke kernel's lines, prefixed by its domain.
pvh_expect_smoke() {
    local id=$1 d=d$1
    expect_regex '^hvm: SVM \(NPT, ASIDs [0-9]+' "'hvm: SVM (NPT, ASIDs N, ...)'"
    expect_regex "build: domain $id '.*': PVH ELF kernel, entry 0x100000" "the PVH build line"
    expect_line "($d) pvh_smoke: in long mode through the PVH entry, start_info magic ok"
    expect_line "($d) pvh_smoke: CPUID 0x40000000 says XenVMMXenVMM"
    expect_line "($d) pvh_smoke: hello through port 0xe9"
    expect_line "($d) pvh_smoke: xen_version through the hypercall page: 4.17"
    expect_line "($d) pvh_smoke: XSETBV set XCR0 to x87|SSE"
    expect_line "($d) pvh_smoke: 3 VIRQ_TIMER events through callback vector 0xf3"
    log_has "($d) keel-test: pvh_smoke: FAIL" && fail "the smoke kernel says FAIL"
    expect_line "mem: all domains gone"
    log_has "free but" && fail "memory not returned"
}

# svm_clean_check found no VMCB write that missed its clean bit.
pvh_expect_clean_check() {
    expect_line "svm: VMCB clean-bit check on (svm_clean_check)"
    log_has "svm: clean-bit check:" && fail "a VMCB write missed its clean bit"
}

case_pvh_smoke() {
    pvh_need_smoke || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -kernel "$KEEL_ELF" \
        -append "console=com1 dom0=pvh dom0_mem=16M dom0_max_vcpus=2 svm_clean_check" \
        -initrd "$PVH_SMOKE_ELF"
    expect_banner
    pvh_expect_clean_check
    pvh_expect_smoke 0
    expect_line "(d0) pvh_smoke: vCPU 1 up in long mode (VCPUOP_initialise + up)"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
    expect_line "domain 0 ('dom0'): shut down, reason 0"
    expect_poweroff
}

case_pvh_vmrun() {
    pvh_need_smoke || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -kernel "$KEEL_ELF" \
        -append "console=com1 dom0=pvh dom0_mem=16M dom0_max_vcpus=1" -initrd "$PVH_SMOKE_ELF vmrun"
    expect_banner
    pvh_expect_smoke 0
    expect_line "(d0) pvh_smoke: VMRUN raised #UD in the guest"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
    expect_poweroff
}

# The domain is crashed with its reason and a register dump; as dom0 its
# crash ends the machine (a reboot: QEMU exits under -no-reboot).
case_pvh_npf() {
    pvh_need_smoke || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -kernel "$KEEL_ELF" \
        -append "console=com1 dom0=pvh dom0_mem=16M dom0_max_vcpus=1" -initrd "$PVH_SMOKE_ELF npf"
    expect_banner
    expect_line "(d0) pvh_smoke: reading guest-physical 128 MiB, outside its memory"
    expect_line "domain 0 vcpu 0: nested page fault at guest-physical 0x8000000 (read, not present), outside its memory"
    expect_regex "domain 0 \('dom0'\): crashed: PVH vcpu 0: access outside its memory \(exit npf" "the crash line"
    expect_regex "^RIP: 0000000000100" "a register dump"
    expect_line "domain 0 vcpu 0: 1 npf exits"
    log_has "(d0) keel-test: pvh_smoke: PASS" && fail "the guest went on after the fault"
    expect_line "mem: all domains gone"
    expect_exit_clean
}

case_pvh_smoke_domu() {
    local dom0=$ROOT/build/guests/console.elf smp=${1:-2}
    pvh_need_smoke || return
    need_file "$dom0" || return
    qemu_run "$T_DIRECT" -m 256 -smp "$smp" -kernel "$KEEL_ELF" \
        -append "console=com1 dom0_mem=32M domu=1:smoke:16M:pvh dom0_exit=wait:60 svm_clean_check" \
        -initrd "$dom0,$PVH_SMOKE_ELF"
    expect_banner
    pvh_expect_clean_check
    expect_line "(d0) keel-test: console: PASS"
    pvh_expect_smoke 1
    expect_line "(d1) pvh_smoke: one vCPU"
    expect_line "(d1) keel-test: pvh_smoke: PASS"
    expect_regex "domain 1 \('smoke'\): shut down, reason 0" "domain 1 shut down"
    expect_poweroff
}

case_pvh_no_npt() {
    pvh_need_smoke || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -cpu qemu64,+svm,-npt -kernel "$KEEL_ELF" \
        -append "console=com1 keel.selftest dom0=pvh" -initrd "$PVH_SMOKE_ELF"
    expect_banner
    expect_line "hvm: none (SVM unusable: no nested paging)"
    expect_selftest
    expect_poweroff
}

run_pvh_case() {
    case $1 in
        pvh-smoke)      case_pvh_smoke ;;
        pvh-smoke-domu) case_pvh_smoke_domu 2 ;;
        pvh-smoke-1cpu) case_pvh_smoke_domu 1 ;;
        pvh-vmrun)      case_pvh_vmrun ;;
        pvh-npf)        case_pvh_npf ;;
        pvh-no-npt)     case_pvh_no_npt ;;
        *)              fail "no such case" ;;
    esac
}
