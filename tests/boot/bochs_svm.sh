#!/bin/bash
# tests/boot/bochs_svm.sh: the PVH smoke kernel (dom0=pvh, 2 vCPUs) on
# Bochs' AMD 'ryzen' model: a second SVM implementation beside QEMU TCG,
# with what TCG lacks (NRIP save, flush-by-ASID, 32768 ASIDs, an XSETBV
# intercept, the pause filter), so Keel's paths for those run too. Asserts
# the feature line and every smoke line; then a PVH kernel spinning on
# PAUSE (pvh_pause_spin, through tests/guests/pvh/run-keel.sh -b ryzen)
# must leave its loop through the pause filter and still count every PAUSE;
# then Debian's cloud kernel as a PVH domU with 2 vCPUs (tests/boot/bochs.sh
# linux-pvh-2 on ryzen, ~70 s).
# Bochs 2.7 has no VMCB clean bits nor decode assists. Prints "bochs-svm:
# N passed, M failed".
# Bochs' exit status says nothing: the verdict comes from the serial log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/bochs_lib.sh"
. "$HERE/pvh_cases.sh"

BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
SVM_LINE='hvm: SVM (NPT, ASIDs 32768, NRIPS, flush-by-ASID, no clean bits, no decode assists, pause filter)'

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
    expect_regex '^hvm: SVM \(NPT, ASIDs [0-9]+, NRIPS, flush-by-ASID, no clean bits, no decode assists, pause filter\)' \
        "'hvm: SVM (NPT, ASIDs N, NRIPS, flush-by-ASID, no clean bits, no decode assists, pause filter)'"
    pvh_expect_smoke 0
    expect_line "(d0) pvh_smoke: vCPU 1 up in long mode (VCPUOP_initialise + up)"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
    expect_line "keel: powering off"
}

# The pause filter: PAUSE exits only after a run of them (Keel sets 3000),
# Keel steps over it and yields; the guest counts each PAUSE once.
case_bochs_svm_pause_filter() {
    local elf=$ROOT/build/guests/pvh/pvh_pause_spin.elf out
    [ -f "$elf" ] || "${MAKE:-make}" -s -C "$ROOT" pvh-guests >/dev/null 2>&1
    need_file "$elf" || return
    out=$("$ROOT/tests/guests/pvh/run-keel.sh" -b ryzen pvh_pause_spin 2>&1)
    cp "$ROOT/build/guests/pvh/logs/pvh_pause_spin.bochs-ryzen.log" "$CASE_LOG" 2>/dev/null
    grep -q '^PASS pvh_pause_spin' <<<"$out" ||
        fail "run-keel.sh -b ryzen pvh_pause_spin: $(grep -m1 '^FAIL' <<<"$out")"
    expect_regex '^hvm: SVM \(.*, pause filter\)' "'hvm: SVM (..., pause filter)'"
    expect_line "hvm: domain 0 vcpu 0 spun past the pause filter: yields (logged once)"
    expect_line "(d0) pvh_pause_spin: 1000000 PAUSEs"
}

case_begin bochs-ryzen-pvh-smoke
case_bochs_svm_smoke
out=$(case_end)
case_begin bochs-ryzen-pause-filter
case_bochs_svm_pause_filter
out+=$'\n'$(case_end)
out+=$'\n'$(BXCPU=ryzen BXNAME=ryzen BXHVM="$SVM_LINE" "$HERE/bochs.sh" linux-pvh-2 | grep -v '^bochs: ')
printf '%s\n' "$out"
p=$(grep -c '^PASS ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
echo "bochs-svm: $p passed, $f failed"
[ "$f" -eq 0 ]
