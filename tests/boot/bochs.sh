#!/bin/bash
# tests/boot/bochs.sh [CASE...]: boots on Bochs' Skylake-X model, the only
# rig here with Intel VMX and EPT (QEMU TCG has no VMX), x2APIC and the
# TSC-deadline timer. Cases:
#   selftest       the self-test ISO: +vmx/+ept, x2APIC, both CPUs, the
#                  'hvm: VMX (...)' line, and the VMX self-tests' guests
#                  (arch/x86_64/vmx/selftest_vmx*.c) among all self-tests
#   guest-smp, guest-fpu   PV test kernels smp (2 vCPUs) and fpu as dom0
#   pvh-smoke      the PVH smoke kernel as dom0 with 2 vCPUs on VMX
#   pvh-npf        its read outside its memory: the domain is crashed
#   pvh-domu-1cpu  an LDT-using PV dom0 and the smoke kernel as a PVH domU,
#                  on one CPU
#   pvh-bench      the smoke kernel's bench mode (instructions per exit)
#   linux-pvh, linux-pvh-2  Debian's cloud kernel as a PVH domU (1 and 2
#                  vCPUs) to its /init, its checks, poweroff, memory back
#                  (also on ryzen's SVM: BXCPU=ryzen BXNAME=ryzen BXHVM='hvm: SVM (...)',
#                  as tests/boot/bochs_svm.sh does)
# Prints one PASS/FAIL line per case and "bochs: N passed, M failed".
#
# Bochs' exit status says nothing (it is 1 for a clean shutdown as well as a
# panic), so the verdict comes from the serial log only. Bochs is stopped as
# soon as Keel says it powers off or dies, in case the emulated power-off does
# not end Bochs; `timeout` catches hangs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/bochs_lib.sh"

ISO=${ISO:-$ROOT/build/keel-selftest.iso}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
BXCPU=${BXCPU:-corei7_skylake_x}
BXIPS=${BXIPS:-20000000}
BXCOUNT=${BXCOUNT:-2}      # two CPUs: exercises x2APIC start-up IPIs
# Another model for the Linux cases (tests/boot/bochs_svm.sh runs them on
# ryzen's SVM): the case-name part and the 'hvm:' line it must print.
BXNAME=${BXNAME:-skylake-x}
BXHVM=${BXHVM:-hvm: VMX (EPT, VPID, unrestricted guest, preemption timer)}

# bochs_run: boot $ISO (bochs_lib.sh) until Keel powers off, crashes, halts
# or reboots (Bochs would boot again), a line matches the extended regular
# expression $BOCHS_STOP (if set), Bochs exits, or time runs out.
bochs_run() {
    bochs_boot "$LOG_DIR/$CASE" "$ISO" "$BOCHS_TIMEOUT" \
        "keel: powering off|\*\*\* FATAL|: halting the machine|keel: rebooting${BOCHS_STOP:+|$BOCHS_STOP}"
    CASE_STATUS=$BOCHS_STATUS
}

# expect_feature TOKEN: "+vmx" etc. on the "cpu: features:" line.
expect_feature() {
    log_text | grep -E '^.*cpu: features:' | tail -1 | grep -qE "(^| )\\$1( |\$)" ||
        fail "cpu: features line lacks $1"
}

case_bochs_selftest() {
    need_tool bochs timeout || return
    need_file "$KEEL_ELF" /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin || return
    # Rebuild a missing or stale ISO (run.sh makes a fresh one when it runs first).
    [ "$ISO" -nt "$KEEL_ELF" ] || "$ROOT/tools/mkiso.sh" "$KEEL_ELF" "$ISO" 1 || { fail "tools/mkiso.sh failed"; return; }
    bochs_run
    [ "$CASE_STATUS" = 124 ] && fail "timed out after ${BOCHS_TIMEOUT} s"
    [ -s "$CASE_LOG" ] || { fail "no serial output (see $CASE.bochs.log)"; return; }
    expect_banner
    expect_line "cpu: features:"
    expect_feature +vmx
    expect_feature +ept
    expect_line "apic: x2APIC mode, timer in TSC-deadline mode"
    expect_cpus "$BXCOUNT"
    expect_timers "$BXCOUNT"
    expect_line "hvm: VMX (EPT, VPID, unrestricted guest, preemption timer)"
    # The VMX backend's own guest (arch/x86_64/vmx/selftest_vmx.c).
    expect_line "selftest: vmx: exits CPUID, I/O, VMCALL, EPT violation in order"
    expect_line "selftest: vmx: guest read GPA 0x40000000 outside its memory"
    expect_line "vmx: VMRESUME failed: VM-instruction error 7 (entry with invalid control fields)"
    expect_line "selftest: vmx_guest: ok"
    expect_line "selftest: vmx ops: CPUID, I/O, hypercall, NPF through hvm_vendor_ops"
    expect_line "selftest: vmx_vendor_ops: ok"
    expect_line "selftest: vmx long mode: the guest entered long mode, EFER 0x500 seen"
    expect_line "selftest: vmx_long_mode: ok"
    expect_selftest
    expect_line "keel: powering off"
}

# A two-vCPU PV test kernel as dom0 (vCPU bring-up, TLB shootdown): Bochs
# keeps global TLB entries as real CPUs do, which QEMU TCG may hide.
case_bochs_guest() {
    local name=$1 opts=$2
    need_tool bochs timeout || return
    local elf="$ROOT/build/guests/$name.elf"
    need_file "$KEEL_ELF" "$elf" || return
    ISO="$ROOT/build/keel-bochs-$name.iso"
    "$ROOT/tools/mkiso.sh" "$KEEL_ELF" "$ISO" 0 "$opts" "$elf" || { fail "tools/mkiso.sh failed"; return; }
    bochs_run
    [ "$CASE_STATUS" = 124 ] && fail "timed out after ${BOCHS_TIMEOUT} s"
    expect_line "(d0) keel-test: $name: PASS"
    expect_line "mem: all domains gone"
    expect_line "keel: powering off"
}

# The PVH smoke kernel (tests/guests/pvh_smoke) as dom0 on the VMX backend;
# MODE (npf) is its command line: GRUB passes the module's file name first,
# and Keel gives the kernel the words after it.
PVH_SMOKE_ELF=${PVH_SMOKE_ELF:-$ROOT/build/pvh_smoke/pvh_smoke.elf}

# bochs_pvh_iso MODE OPTS [DOM0]: with DOM0 (a PV kernel) first, the smoke
# kernel is the next module (domain 1), else it is dom0.
bochs_pvh_iso() {
    local mode=$1 opts=$2 dom0=${3:-} dir="$LOG_DIR/$CASE.mod" d=d0
    need_tool bochs timeout || return 1
    need_file "$KEEL_ELF" "$PVH_SMOKE_ELF" || return 1
    mkdir -p "$dir"
    local mod="$dir/pvh_smoke.elf${mode:+ $mode}"
    cp "$PVH_SMOKE_ELF" "$mod"
    ISO="$ROOT/build/keel-bochs-$CASE.iso"
    [ -n "$dom0" ] && d=d1
    "$ROOT/tools/mkiso.sh" "$KEEL_ELF" "$ISO" 0 "$opts" ${dom0:+"$dom0"} "$mod" ||
        { fail "tools/mkiso.sh failed"; return 1; }
    bochs_run
    [ "$CASE_STATUS" = 124 ] && fail "timed out after ${BOCHS_TIMEOUT} s"
    expect_line "hvm: VMX (EPT, VPID, unrestricted guest, preemption timer)"
    expect_line "($d) pvh_smoke: in long mode through the PVH entry, start_info magic ok"
}

case_bochs_pvh_smoke() {
    bochs_pvh_iso "" "dom0=pvh dom0_mem=16M dom0_max_vcpus=2" || return
    expect_line "(d0) pvh_smoke: CPUID 0x40000000 says XenVMMXenVMM"
    expect_line "(d0) pvh_smoke: hello through port 0xe9"
    expect_line "(d0) pvh_smoke: xen_version through the hypercall page: 4.17"
    expect_line "(d0) pvh_smoke: XSETBV set XCR0 to x87|SSE"
    expect_line "(d0) pvh_smoke: 3 VIRQ_TIMER events through callback vector 0xf3"
    expect_line "(d0) pvh_smoke: vCPU 1 up in long mode (VCPUOP_initialise + up)"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
    expect_line "domain 0 ('dom0'): shut down, reason 0"
    expect_line "mem: all domains gone"
    expect_line "keel: powering off"
}

# A read outside the guest's memory: an EPT violation that crashes the
# domain with its reason, never Keel.
case_bochs_pvh_npf() {
    bochs_pvh_iso npf "dom0=pvh dom0_mem=16M dom0_max_vcpus=1 noreboot" || return
    expect_line "(d0) pvh_smoke: reading guest-physical 128 MiB, outside its memory"
    expect_line "domain 0 vcpu 0: nested page fault at guest-physical 0x8000000 (read, not present), outside its memory"
    log_text | grep -qE "domain 0 \('dom0'\): crashed: PVH vcpu 0: access outside its memory \(exit npf" ||
        fail "no crash line"
    log_has "(d0) keel-test: pvh_smoke: PASS" && fail "the guest went on after the fault"
    expect_line "mem: all domains gone"
    expect_line "dom0 crashed (code 0): halting the machine"
}

# A PV dom0 using an LDT beside the smoke kernel as a PVH domU, on one CPU:
# the scheduler switches between PV frames and VMX entries there, and every
# VM exit leaves LDTR null and the guest's syscall MSRs to be put back.
case_bochs_pvh_domu_1cpu() {
    local dom0=$ROOT/build/guests/ldt.elf
    need_file "$dom0" || return
    bochs_pvh_iso "" "maxcpus=1 dom0_mem=32M domu=1:smoke:16M:pvh dom0_exit=wait:60" "$dom0" || return
    expect_line "(d0) keel-test: ldt: PASS"
    expect_line "(d1) pvh_smoke: 3 VIRQ_TIMER events through callback vector 0xf3"
    expect_line "(d1) keel-test: pvh_smoke: PASS"
    expect_line "domain 1 ('smoke'): shut down, reason 0"
    expect_line "keel: powering off"
}

# Debian's cloud kernel as a PVH domU (256 MiB, VCPUS vCPUs on as many Bochs
# CPUs) beside a PV dom0 test kernel: it boots to its initramfs's /init,
# which runs tests/boot/bochs-linux-pvh.sh and powers the domain off; Keel
# then destroys it and gets all its memory back. Needs
# tools/fetch-kernels.sh (make unit runs it).
case_bochs_linux_pvh() {
    local vcpus=$1 kernel initrd dir="$LOG_DIR/$CASE.mod" dom0=$ROOT/build/guests/console.elf
    need_tool bochs timeout || return
    kernel=$("$ROOT/tools/fetch-kernels.sh" 2>/dev/null | awk '$1 == "cloud" { print $3 }')
    initrd=$("$ROOT/tools/mkinitramfs.sh" cloud --autorun "$HERE/bochs-linux-pvh.sh" 2>/dev/null |
             tail -1 | awk '{ print $NF }')
    need_file "$KEEL_ELF" "$dom0" "$kernel" "$initrd" || return
    mkdir -p "$dir"
    cp "$kernel" "$dir/vmlinuz console=hvc0 loglevel=4"   # the file name carries the command line
    ISO="$ROOT/build/keel-bochs-$CASE.iso"
    "$ROOT/tools/mkiso.sh" "$KEEL_ELF" "$ISO" 0 \
        "dom0_mem=32M domu=1:linux:256M:$vcpus:initrd=2:pvh dom0_exit=wait:600" \
        "$dom0" "$dir/vmlinuz console=hvc0 loglevel=4" "$initrd" || { fail "tools/mkiso.sh failed"; return; }
    BXMEGS=512 BXCOUNT=$vcpus bochs_run
    [ "$CASE_STATUS" = 124 ] && fail "timed out after ${BOCHS_TIMEOUT} s"
    expect_line "$BXHVM"
    expect_line "build: domain 1 'linux': PVH ELF kernel"
    expect_line "(d1) keel-linux: init reached"
    expect_line "(d1) keel-vmx-linux: kernel ${kernel##*vmlinuz-}"
    expect_line "(d1) keel-vmx-linux: nproc $vcpus"
    expect_line "(d1) keel-vmx-linux: hypervisor xen"
    expect_line "(d1) keel-vmx-linux: fork/exec ........"
    expect_line "(d1) keel-vmx-linux: done"
    log_has "crashed" && fail "a domain crashed"
    expect_line "domain 1 ('linux'): shut down, reason 0"
    log_text | grep -qE "mem: all domains gone, .* free as before" || fail "memory not all returned"
}

# The smoke kernel's bench mode (as tools/pvhbench.sh on QEMU): Bochs' TSC
# counts instructions (clock sync=none), so the figures are instructions per
# round trip, Keel's exit path included, not cycles of a real CPU.
case_bochs_pvh_bench() {
    bochs_pvh_iso bench "dom0=pvh dom0_mem=16M dom0_max_vcpus=1" || return
    log_text | grep -qE "pvh_smoke: bench: vmmcall [0-9]+ cycles, cpuid [0-9]+ cycles, xapic-read [0-9]+ cycles" ||
        fail "no bench line"
    expect_line "(d0) keel-test: pvh_smoke: PASS"
}

# run_case NAME CMD...: one case, unless names were given and NAME is not one.
run_case() {
    local name=$1; shift
    if [ ${#ONLY[@]} -gt 0 ] && ! printf '%s\n' "${ONLY[@]}" | grep -qxF "$name"; then
        return
    fi
    case_begin "bochs-$BXNAME-$name"
    "$@"
    OUT+=$(case_end)$'\n'
}

# bochs.sh [CASE...]: every case, or only those named (selftest, guest-smp,
# guest-fpu, pvh-smoke, pvh-npf, pvh-domu-1cpu, pvh-bench, linux-pvh, linux-pvh-2).
main() {
    local p f
    ONLY=("$@") OUT=
    run_case selftest case_bochs_selftest
    run_case guest-smp case_bochs_guest smp "dom0_max_vcpus=2 dom0_mem=64M"
    run_case guest-fpu case_bochs_guest fpu "dom0_mem=64M"   # XSAVE with AVX-512 present but hidden
    run_case pvh-smoke case_bochs_pvh_smoke
    run_case pvh-npf case_bochs_pvh_npf
    run_case pvh-domu-1cpu case_bochs_pvh_domu_1cpu
    run_case pvh-bench case_bochs_pvh_bench
    run_case linux-pvh case_bochs_linux_pvh 1
    run_case linux-pvh-2 case_bochs_linux_pvh 2
    printf '%s' "$OUT"
    p=$(grep -c '^PASS ' <<<"$OUT"); f=$(grep -c '^FAIL ' <<<"$OUT")
    echo "bochs: $p passed, $f failed"
    [ "$f" -eq 0 ]
}

main "$@"
