#!/bin/bash
# tests/boot/bochs_svm.sh: the PVH smoke kernel (dom0=pvh, 2 vCPUs) on
# Bochs' AMD 'ryzen' model: a second SVM implementation beside QEMU TCG,
# with what TCG lacks (NRIP save, flush-by-ASID, 32768 ASIDs, an XSETBV
# intercept), so Keel's paths for those run too. Asserts the feature line
# and every smoke line; prints "bochs-svm: N passed, M failed".
# Bochs' exit status says nothing: the verdict comes from the serial log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/bochs_lib.sh"
. "$HERE/pvh_cases.sh"

BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}

case_bochs_svm_smoke() {
    local iso=$ROOT/build/keel-bochs-svm.iso
    need_tool bochs timeout || return
    pvh_need_smoke || return
    need_file /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin || return
    "$ROOT/tools/mkiso.sh" "$KEEL_ELF" "$iso" 0 "dom0=pvh dom0_mem=16M dom0_max_vcpus=2" \
        "$PVH_SMOKE_ELF" >/dev/null 2>&1 || { fail "tools/mkiso.sh failed"; return; }
    BXCPU=ryzen BXCOUNT=2 BXINFO=ignore bochs_boot "$LOG_DIR/$CASE" "$iso" "$BOCHS_TIMEOUT" \
        'keel: powering off|\*\*\* FATAL|keel: rebooting'
    expect_banner
    expect_regex '^hvm: SVM \(NPT, ASIDs [0-9]+, NRIPS, flush-by-ASID\)' "'hvm: SVM (NPT, ASIDs N, NRIPS, flush-by-ASID)'"
    pvh_expect_smoke 0
    expect_line "(d0) pvh_smoke: vCPU 1 up in long mode (VCPUOP_initialise + up)"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
    expect_line "keel: powering off"
}

case_begin bochs-ryzen-pvh-smoke
case_bochs_svm_smoke
out=$(case_end)
printf '%s\n' "$out"
p=$(grep -c '^PASS ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
echo "bochs-svm: $p passed, $f failed"
[ "$f" -eq 0 ]
