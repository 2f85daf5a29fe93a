# tests/boot/bochs_lib.sh: one Keel boot in Bochs (source it, bash): used by
# bochs.sh, bochs_svm.sh and tests/guests/pvh/run-keel.sh -b.
#
# bochs_boot BASE ISO TIMEOUT STOP: boots ISO from a CD with COM1 into
# BASE.log (Bochs' own log BASE.bochs.log, its output BASE.bochs.out, its
# config BASE.bochsrc) until a serial line matches the extended regular
# expression STOP, Bochs exits, or TIMEOUT seconds pass; sets BOCHS_STATUS
# (124: timed out). Bochs' exit status means nothing (1 for a clean
# shutdown as for a panic): the serial log decides, and Bochs is stopped
# once STOP shows, in case the emulated power-off does not end it. The
# machine: BXCPU (model), BXCOUNT CPUs (2), BXIPS instructions per emulated
# second (20 M), BXMEGS MiB (256), BXINFO (report: Bochs' info messages).
# shellcheck disable=SC2034

# Headless: Debian's Bochs lacks the 'nogui' display, and rfb with
# timeout=0 does not wait for a VNC client. clock sync=none makes runs
# deterministic (emulated time = instructions).
bochs_rc() {    # FILE ISO SERIAL-LOG BOCHS-LOG
    cat >"$1" <<EOB
megs: ${BXMEGS:-256}
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=$BXCPU, count=${BXCOUNT:-2}, ips=${BXIPS:-20000000}, reset_on_triple_fault=0
ata0-master: type=cdrom, path=$2, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, mode=file, dev=$3
speaker: enabled=0
sound: driver=dummy
mouse: enabled=0
log: $4
panic: action=fatal
error: action=report
info: action=${BXINFO:-report}
debug: action=ignore
clock: sync=none, time0=1
EOB
}

bochs_boot() {
    local base=$1 iso=$2 t=$3 stop=$4 pid i
    bochs_rc "$base.bochsrc" "$iso" "$base.log" "$base.bochs.log"
    rm -f "$base.log"
    echo c >"$base.rc"      # the debugger build stops before the first instruction
    timeout --kill-after=5 "$t" bochs -q -f "$base.bochsrc" -rc "$base.rc" \
        </dev/null >"$base.bochs.out" 2>&1 &
    pid=$!
    for ((i = 0; i < t * 2; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        if tr -d '\r\000' 2>/dev/null <"$base.log" | grep -qE -- "$stop"; then
            sleep 2         # let the last lines reach the log
            break
        fi
        sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    BOCHS_STATUS=$?
}
