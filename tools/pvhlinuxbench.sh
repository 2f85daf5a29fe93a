#!/bin/bash
# tools/pvhlinuxbench.sh [RUNS]: Linux PV against Linux PVH on Keel, the
# same kernel and workload (issue 6). Debian's cloud kernel as a domU
# (1 vCPU, 512 MiB) beside the PV test kernel console as dom0, QEMU TCG,
# -cpu max, 2 CPUs, 1 GiB, built once as PV (domu=...) and once as PVH
# (domu=...:pvh), RUNS boots each (default 3), taking turns. Two figures:
#  - boot to /init: host wall time from QEMU's start to the domU's first
#    /init line ("(d1) keel-linux: init reached");
#  - fork/exec: 500 x /bin/true (busybox, a real fork + exec each) in the
#    guest's shell, timed by the guest (/proc/uptime before and after).
# Prints each run, then markdown table rows with the medians (PVH/PV).
# Without -icount the guest's clock is the host's: a loaded machine spreads
# the runs, so compare medians taken in the same session only.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
RUNS=${1:-3}
T=${PVHLINUXBENCH_TIMEOUT:-400}
LOOPS=500
make -s all guests >/dev/null || exit 1
cloud=$(tools/fetch-kernels.sh | awk '$1 == "cloud" { print $3 }')
OUT=$(mktemp -d "${TMPDIR:-/tmp}/keel-pvhlinuxbench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cat >"$OUT/forkexec.sh" <<SCRIPT
#!/bin/sh
read -r t0 _ < /proc/uptime
i=0
while [ \$i -lt $LOOPS ]; do /bin/true; i=\$((i + 1)); done
read -r t1 _ < /proc/uptime
echo "bench-forkexec: \$i \$t0 \$t1"
echo poweroff > /run/keel-end
SCRIPT
chmod +x "$OUT/forkexec.sh"
initrd=$(tools/mkinitramfs.sh cloud --autorun "$OUT/forkexec.sh" 2>/dev/null | awk '{ print $3 }')
[ -f "$cloud" ] && [ -f "$initrd" ] || { echo "pvhlinuxbench: no kernel or initramfs" >&2; exit 1; }

kill_tree() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
    kill "$1" 2>/dev/null
}

start() {
    local pvh=
    [ "$1" = pvh ] && pvh=:pvh
    exec timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot \
        -display none -net none -monitor none -serial stdio -kernel build/keel.elf \
        -append "console=com1 com1=115200,8n1 dom0_mem=256M dom0_exit=wait domu=1:linux:512M:1:initrd=2$pvh" \
        -initrd "build/guests/console.elf,$cloud console=hvc0,$initrd" </dev/null
}

# one_run MODE N: prints "BOOT_MS LOOP_MS"; 1 if a marker was not reached.
one_run() {
    local log=$OUT/$1.$2 fifo=$OUT/fifo pid t0 t1= line loop=
    rm -f "$fifo" && mkfifo "$fifo"
    t0=$(date +%s%N)
    start "$1" >"$fifo" 2>&1 &
    pid=$!
    while IFS= read -r line; do
        line=${line%$'\r'}
        printf '%s\n' "$line" >>"$log"
        case $line in
            "(d1) keel-linux: init reached"*) t1=$(date +%s%N) ;;
            "(d1) bench-forkexec: "*)
                loop=$(awk '{ printf "%d", ($5 - $4) * 1000 }' <<<"$line")
                break ;;
        esac
    done <"$fifo"
    kill_tree "$pid"
    wait "$pid" 2>/dev/null
    [ -n "$t1" ] && [ -n "$loop" ] || return 1
    echo "$(((t1 - t0) / 1000000)) $loop"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
secs() { printf '%d.%02d s' $(($1 / 1000)) $((($1 % 1000) / 10)); }

declare -A boot loop failed
for ((i = 1; i <= RUNS; i++)); do
    for m in pv pvh; do
        [ -n "${failed[$m]:-}" ] && continue
        if r=$(one_run "$m" "$i"); then
            read -r b l <<<"$r"
            echo "$m run $i: boot to /init $(secs "$b"), $LOOPS fork/exec $(secs "$l")"
            boot[$m]="${boot[$m]:-} $b"
            loop[$m]="${loop[$m]:-} $l"
        else
            last=$(grep -a -m1 -E 'crashed|Kernel panic|PANIC' "$OUT/$m.$i" || grep -a . "$OUT/$m.$i" | tail -1)
            echo "$m run $i: failed: $(cut -c1-120 <<<"$last")"
            failed[$m]=1
        fi
    done
done
cell() { [ -n "${failed[$1]:-}" ] && { echo "failed"; return; }; secs "$(printf '%s\n' $2 | median)"; }
ratio() {
    [ -n "${failed[pv]:-}${failed[pvh]:-}" ] && { echo -; return; }
    awk -v a="$(printf '%s\n' $2 | median)" -v b="$(printf '%s\n' $1 | median)" 'BEGIN { printf "%.2f", a / b }'
}
echo
echo "| Linux domU on Keel (cloud kernel, 1 vCPU, 512 MiB, QEMU TCG, median of $RUNS) | PV | PVH | PVH/PV |"
echo "|---|---:|---:|---:|"
echo "| boot to /init (host wall time from QEMU start) | $(cell pv "${boot[pv]:-}") | $(cell pvh "${boot[pvh]:-}") | $(ratio "${boot[pv]:-}" "${boot[pvh]:-}") |"
echo "| $LOOPS x fork+exec of /bin/true (guest's clock) | $(cell pv "${loop[pv]:-}") | $(cell pvh "${loop[pvh]:-}") | $(ratio "${loop[pv]:-}" "${loop[pvh]:-}") |"
[ -z "${failed[pv]:-}${failed[pvh]:-}" ]
