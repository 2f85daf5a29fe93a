# tests/boot/pvh_cases.sh: boot cases for PVH guests on the SVM backend
# (QEMU TCG -cpu max emulates SVM with nested paging), sourced by run.sh.
#   pvh-smoke       the PVH smoke kernel as dom0 (dom0=pvh)
#   pvh-smoke-domu  a PV dom0 test kernel beside the smoke kernel as a PVH domU
#   pvh-no-npt      a CPU with SVM but no nested paging: "hvm: none", a PVH
#                   dom0 refused with its reason, PV self-tests still pass

PVH_SMOKE_ELF=${PVH_SMOKE_ELF:-$ROOT/build/pvh_smoke/pvh_smoke.elf}

pvh_cases() { echo pvh-smoke pvh-smoke-domu pvh-no-npt; }

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
    expect_line "($d) keel-test: pvh_smoke: PASS"
    log_has "($d) keel-test: pvh_smoke: FAIL" && fail "the smoke kernel says FAIL"
    expect_line "mem: all domains gone"
    log_has "free but" && fail "memory not returned"
}

case_pvh_smoke() {
    pvh_need_smoke || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -kernel "$KEEL_ELF" \
        -append "console=com1 dom0=pvh dom0_mem=16M" -initrd "$PVH_SMOKE_ELF"
    expect_banner
    pvh_expect_smoke 0
    expect_line "domain 0 ('dom0'): shut down, reason 0"
    expect_poweroff
}

case_pvh_smoke_domu() {
    local dom0=$ROOT/build/guests/console.elf
    pvh_need_smoke || return
    need_file "$dom0" || return
    qemu_run "$T_DIRECT" -m 256 -smp 2 -kernel "$KEEL_ELF" \
        -append "console=com1 dom0_mem=32M domu=1:smoke:16M:pvh dom0_exit=wait:60" \
        -initrd "$dom0,$PVH_SMOKE_ELF"
    expect_banner
    expect_line "(d0) keel-test: console: PASS"
    pvh_expect_smoke 1
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
        pvh-smoke-domu) case_pvh_smoke_domu ;;
        pvh-no-npt)     case_pvh_no_npt ;;
        *)              fail "no such case" ;;
    esac
}
