# tests/boot/lib.sh: helpers shared by the boot tests (source it, bash only).
#
# A test case is a function that boots Keel once, then makes assertions on
# the serial log. Assertions never stop the case: each failed one is recorded,
# and case_end prints exactly one line for the case:
#     PASS <case>
#     FAIL <case>: <reason>[; <reason>...]
# followed, on failure, by the tail of the serial log. The runner counts those
# lines. Everything the case prints is buffered and written at once, so cases
# running in parallel do not interleave their output.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LOG_DIR=${LOG_DIR:-$ROOT/build/test-logs}
KEEL_ELF=${KEEL_ELF:-$ROOT/build/keel.elf}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

# The options every QEMU boot shares: TCG only (no /dev/kvm here), headless,
# and -no-reboot so that a reboot or triple fault ends QEMU instead of looping.
QEMU_COMMON=(-accel tcg -cpu max -nographic -no-reboot -display none
             -net none -monitor none)

CASE= CASE_LOG= CASE_FAILS=() CASE_STATUS= CASE_START=

# case_begin NAME: start a case; its serial log is $LOG_DIR/NAME.log.
case_begin() {
    CASE=$1 CASE_LOG=$LOG_DIR/$1.log CASE_FAILS=() CASE_STATUS= CASE_START=$SECONDS
    mkdir -p "$LOG_DIR"
    rm -f "$CASE_LOG" "$LOG_DIR/$1.qemu"
}

# fail REASON: record a failed assertion for the current case.
fail() { CASE_FAILS+=("$1"); }

# need_tool NAME...: a missing tool is a failure with a reason, never a skip.
need_tool() {
    local t ok=0
    for t in "$@"; do
        command -v "$t" >/dev/null || { fail "$t not installed (run tools/deps.sh test)"; ok=1; }
    done
    return $ok
}

# need_file PATH...: same for input files (the image, firmware).
need_file() {
    local f ok=0
    for f in "$@"; do
        [ -f "$f" ] || { fail "$f missing"; ok=1; }
    done
    return $ok
}

# qemu_run TIMEOUT ARGS...: boot QEMU with the common options and serial on
# COM1 into the case log. Sets CASE_STATUS to QEMU's exit status; 124 means
# the timeout killed it. QEMU's own stdout/stderr go to NAME.qemu.
qemu_run() {
    local t=$1; shift
    need_tool qemu-system-x86_64 timeout || { CASE_STATUS=127; return; }
    timeout --kill-after=5 "$t" qemu-system-x86_64 "${QEMU_COMMON[@]}" \
        -serial "file:$CASE_LOG" "$@" </dev/null >"$LOG_DIR/$CASE.qemu" 2>&1
    CASE_STATUS=$?
}

# ovmf_args: pflash drives for UEFI boots. Each boot gets its own fresh copy
# of the variable store: OVMF records boot entries there, and an entry left
# by another machine type sends the next boot into the UEFI shell.
ovmf_args() {
    local vars=$LOG_DIR/$CASE.vars.fd
    cp "$OVMF_VARS" "$vars" || return 1
    printf '%s\n' -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
                  -drive "if=pflash,format=raw,file=$vars"
}

# log_text: the serial log without carriage returns or NUL bytes.
log_text() { tr -d '\r\000' 2>/dev/null <"$CASE_LOG"; }

# log_has TEXT: fixed-string match in the serial log.
log_has() { log_text | grep -qF -- "$1"; }

# expect_line TEXT [WHAT]: assert the serial log contains TEXT.
expect_line() {
    log_has "$1" || fail "no '${2:-$1}' line"
}

# expect_regex ERE WHAT: assert some serial line matches ERE.
expect_regex() {
    log_text | grep -qE -- "$1" || fail "no line matching $2"
}

# expect_banner: "Keel hypervisor" must be there.
expect_banner() { expect_line "Keel hypervisor" "banner"; }

# expect_exit_clean: QEMU exited by itself with status 0 (power-off or,
# with -no-reboot, a reboot), not killed by the timeout.
expect_exit_clean() {
    case $CASE_STATUS in
        0) ;;
        124|137) fail "timed out (hang)" ;;
        *) fail "QEMU exit status $CASE_STATUS: $(head -c 300 "$LOG_DIR/$CASE.qemu" 2>/dev/null | tr '\n' ' ')" ;;
    esac
}

# expect_cpus N: "smp: N of M CPUs online" with N equal to the -smp count.
expect_cpus() {
    local want=$1 got
    got=$(log_text | sed -n 's/.*smp: \([0-9]*\) of \([0-9]*\) CPUs online.*/\1/p' | tail -1)
    [ -n "$got" ] || { fail "no 'smp: N of M CPUs online' line"; return; }
    [ "$got" = "$want" ] || fail "smp: $got CPUs online, expected $want"
}

# expect_mem MIB: "mem: total T KiB" within 2% of the QEMU -m size. Firmware
# and the low 1 MiB hole legitimately take a little; more than 2% is a bug
# (memory map misread) or firmware behaviour the lead needs to know about.
expect_mem() {
    local mib=$1 total want lo
    total=$(log_text | sed -n 's/.*mem: total \([0-9]*\) KiB, free [0-9]* KiB.*/\1/p' | tail -1)
    [ -n "$total" ] || { fail "no 'mem: total T KiB, free F KiB' line"; return; }
    want=$((mib * 1024))
    lo=$((want - want * 2 / 100))
    if [ "$total" -lt "$lo" ] || [ "$total" -gt "$want" ]; then
        fail "mem: total $total KiB not within 2% of $want KiB ($((total * 1000 / want / 10)).$((total * 1000 / want % 10))%)"
    fi
}

# expect_timers N: one "timer: cpu i: k ticks" line with k > 0 for each CPU.
expect_timers() {
    local n=$1 i k
    for ((i = 0; i < n; i++)); do
        k=$(log_text | sed -n "s/.*timer: cpu $i: \([0-9]*\) ticks.*/\1/p" | tail -1)
        if [ -z "$k" ]; then fail "no 'timer: cpu $i' line"
        elif [ "$k" -eq 0 ]; then fail "timer: cpu $i: 0 ticks"
        fi
    done
}

# expect_selftest: "keel: selftest: P passed, F failed" with P > 0, F == 0.
expect_selftest() {
    local line p f
    line=$(log_text | grep -oE 'keel: selftest: [0-9]+ passed, [0-9]+ failed' | tail -1)
    [ -n "$line" ] || { fail "no 'keel: selftest: P passed, F failed' line"; return; }
    p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
    f=$(echo "$line" | sed 's/.*, \([0-9]*\) failed/\1/')
    [ "$f" -eq 0 ] || fail "selftest: $f failed"
    [ "$p" -gt 0 ] || fail "selftest: nothing passed"
}

# expect_poweroff: the power-off line and a clean exit of QEMU.
expect_poweroff() {
    expect_line "keel: powering off"
    expect_exit_clean
}

# case_end: print the verdict line (and the log tail on failure).
case_end() {
    local out reason
    if [ ${#CASE_FAILS[@]} -eq 0 ]; then
        out="PASS $CASE ($((SECONDS - CASE_START)) s)"
    else
        reason=$(printf '%s; ' "${CASE_FAILS[@]}")
        out="FAIL $CASE: ${reason%; } ($((SECONDS - CASE_START)) s)"
        out+=$'\n'"---- tail of $CASE_LOG ----"$'\n'
        out+=$(log_text | tail -n 25)
        out+=$'\n'"----"
    fi
    # One case's output is written under a lock: a failure's log tail can
    # exceed PIPE_BUF, and parallel cases must not interleave.
    { flock 9; printf '%s\n' "$out"; } 9>"$LOG_DIR/.print.lock"
    [ ${#CASE_FAILS[@]} -eq 0 ]
}

# count_results FILE: "PASSED FAILED" from the verdict lines in FILE.
count_results() {
    local p f
    p=$(grep -c '^PASS ' "$1")
    f=$(grep -c '^FAIL ' "$1")
    echo "$p $f"
}
