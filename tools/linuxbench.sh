#!/bin/bash
# tools/linuxbench.sh [RUNS] [keel|xen|keel-domu ...]: Linux boot time, Keel
# against Xen 4.17. Wall time from QEMU's start to the first line of the
# initramfs's /init ("keel-linux: init reached"), QEMU TCG, -cpu max, 2 CPUs,
# 1 GiB (dom0_mem=512M on both: what xen-ref gives dom0), Debian's generic
# kernel (console=hvc0) and the initramfs of tools/mkinitramfs.sh, on Keel
# (direct -kernel boot) and on Xen 4.17 (../shared/tools/xen-ref, same
# kernel and initramfs), RUNS boots each (default 5), one at a time, the
# hypervisors taking turns. Prints
# each run, then markdown table rows with the medians (and Keel/Xen).
# keel-domu: the cloud kernel as a domU on Keel (1 vCPU, 512 MiB, beside the
# PV test kernel console as dom0; the Keel option that starts it is the
# template KEEL_DOMU_OPTS of tests/linux/domu.py), timed to its first /init
# line ("(d1) keel-linux: init reached").
# KEEL_LINUX_OPTS: extra Keel options for both (e.g. loglvl=debug).
# A run that does not reach the line counts as failed; its hypervisor's cell
# says so with the first crash line or the last serial line.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
RUNS=${1:-5}
shift $(($# > 0 ? 1 : 0))
hvs=("$@")
[ ${#hvs[@]} -gt 0 ] || hvs=(keel xen keel-domu)
T=${LINUXBENCH_TIMEOUT:-300}
MARK="keel-linux: init reached"

XEN_REF=${XEN_REF:-}
for c in "$XEN_REF" /work/shared/tools/xen-ref ../shared/tools/xen-ref; do
    [ -n "$c" ] && [ -x "$c" ] && { XEN_REF=$(readlink -f "$c"); break; }
done
kernel=$(tools/fetch-kernels.sh | awk '$1 == "generic" { print $3 }')
kver=$(basename "$kernel" | sed 's/^vmlinuz-//')
initrd=$(tools/mkinitramfs.sh generic 2>/dev/null | awk '{ print $3 }')
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "linuxbench: no kernel or initramfs" >&2; exit 1; }
cloud=$(tools/fetch-kernels.sh | awk '$1 == "cloud" { print $3 }')
case " ${hvs[*]} " in *" keel"*) make -s all guests >/dev/null || exit 1 ;; esac
DOMU_OPTS='domu={kernel}:linux:{mem}M:{vcpus}:initrd={initrd}'
[ -n "${KEEL_DOMU_OPTS:-}" ] && DOMU_OPTS=$KEEL_DOMU_OPTS
domu_opts=$(sed 's/{kernel}/1/; s/{initrd}/2/; s/{mem}/512/; s/{vcpus}/1/' <<<"$DOMU_OPTS")
domu_initrd=$(tools/mkinitramfs.sh cloud 2>/dev/null | awk '{ print $3 }')
OUT=$(mktemp -d "${TMPDIR:-/tmp}/keel-linuxbench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# kill_tree PID: PID and everything under it (xen-ref's timeout has its own group).
kill_tree() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
    kill "$1" 2>/dev/null
}

# start HV LOG: start the machine with the serial console on standard output.
start() {
    if [ "$1" = keel ]; then
        exec timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot \
            -display none -net none -monitor none -serial stdio -kernel build/keel.elf \
            -append "console=com1 com1=115200,8n1 dom0_mem=512M ${KEEL_LINUX_OPTS:-}" -initrd "$kernel console=hvc0,$initrd" </dev/null
    elif [ "$1" = keel-domu ]; then
        exec timeout "$T" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot \
            -display none -net none -monitor none -serial stdio -kernel build/keel.elf \
            -append "console=com1 com1=115200,8n1 dom0_mem=256M dom0_exit=wait $domu_opts ${KEEL_LINUX_OPTS:-}" \
            -initrd "build/guests/console.elf,$cloud console=hvc0,$domu_initrd" </dev/null
    else
        exec "$XEN_REF" -t "$T" -m 1024 -s 2 "$kernel" "console=hvc0" "$initrd" </dev/null
    fi
}

# one_run HV N: print the milliseconds to the marker; 1 if not reached.
one_run() {
    local log=$OUT/$1.$2 fifo=$OUT/fifo pid t0 t1= line
    rm -f "$fifo" && mkfifo "$fifo"
    t0=$(date +%s%N)
    start "$1" >"$fifo" 2>&1 &
    pid=$!
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        case $1:$line in keel-domu:"(d1) $MARK"*|keel:*"$MARK"*|xen:*"$MARK"*) t1=$(date +%s%N); break ;; esac
    done <"$fifo"
    kill_tree "$pid"
    wait "$pid" 2>/dev/null
    [ -n "$t1" ] || return 1
    echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
secs() { printf '%d.%02d s' $(($1 / 1000)) $((($1 % 1000) / 10)); }

# Rounds interleave the hypervisors (keel, xen, keel-domu, keel, ...), so
# that a change in host load over the minutes of a run weighs on each alike.
declare -A cell med times
for hv in "${hvs[@]}"; do
    [ "$hv" = xen ] && [ ! -x "$XEN_REF" ] && cell[$hv]="no xen-ref"
done
for ((i = 1; i <= RUNS; i++)); do
    for hv in "${hvs[@]}"; do
        [ -n "${cell[$hv]:-}" ] && continue
        if ms=$(one_run "$hv" "$i"); then
            echo "$hv run $i: $(secs "$ms")"
            times[$hv]="${times[$hv]:-} $ms"
        else
            # the first sign of a crash or a refused option, else the last line
            last=$(tr -d '\r' <"$OUT/$hv.$i" 2>/dev/null | grep -a -m1 -E 'crashed|Kernel panic|PANIC|cmdline: bad value|unknown option' ||
                   tr -d '\r' <"$OUT/$hv.$i" 2>/dev/null | grep -a . | tail -1)
            last=$(cut -c1-120 <<<"$last")
            echo "$hv run $i: did not reach /init: $last"
            cell[$hv]="did not boot (\`$last\`)"
        fi
    done
done
for hv in "${hvs[@]}"; do
    if [ -z "${cell[$hv]:-}" ]; then
        med[$hv]=$(printf '%s\n' ${times[$hv]} | median)
        cell[$hv]=$(secs "${med[$hv]}")
    fi
done

ratio=-
if [ -n "${med[keel]:-}" ] && [ -n "${med[xen]:-}" ]; then
    ratio=$(awk -v k="${med[keel]}" -v x="${med[xen]}" 'BEGIN { printf "%.2f", k / x }')
fi
echo
echo "| Linux boot to /init ($kver, QEMU TCG, 2 CPUs, 1 GiB, median of $RUNS) | Keel | Xen 4.17 | Keel/Xen |"
echo "|---|---|---|---|"
echo "| generic kernel as dom0 | ${cell[keel]:--} | ${cell[xen]:--} | $ratio |"
case " ${hvs[*]} " in *" keel-domu "*)
    echo "| cloud kernel as a domU (1 vCPU, 512 MiB) | ${cell[keel-domu]:--} | - | - |" ;; esac
