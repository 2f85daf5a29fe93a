#!/bin/sh
# tests/linux/domu-checks.sh: what a Linux domU checks by itself (its console
# is output only), run by the initramfs's /init (tools/mkinitramfs.sh
# --autorun); tests/linux/domu.py fills in @END@ and @LOOPS@ and reads the
# "domu-check: KEY VALUE" lines.
echo "domu-check: cmdline $(cat /proc/cmdline)"
echo "domu-check: nproc $(nproc)"
echo "domu-check: hypervisor $(cat /sys/hypervisor/type 2>/dev/null)"
# sleep 2, three times (the check takes the median: see checks.judge_sleeps)
for n in 1 2 3; do
    read -r u _ < /proc/uptime; echo "domu-check: sleep-start $u"
    sleep 2
    read -r u _ < /proc/uptime; echo "domu-check: sleep-end $u"
done

# A CPU-bound job pinned to each vCPU, which says where it ended; the busy
# time of each vCPU (user + nice + system, USER_HZ) over the jobs.
cat > /tmp/cpujob.sh <<'JOB'
j=$1 n=$2 i=0
while [ $i -lt $n ]; do i=$((i+1)); done
read -r s < /proc/self/stat
set -- $s
echo "domu-check: cpujob $j: $i loops on CPU ${39}"
JOB
grep '^cpu[0-9]' /proc/stat > /tmp/stat0
for c in $(seq 0 $(($(nproc) - 1))); do taskset -c "$c" sh /tmp/cpujob.sh "$c" @LOOPS@ & done
wait
grep '^cpu[0-9]' /proc/stat > /tmp/stat1
echo "domu-check: busy $(awk 'NR == FNR { a[$1] = $2 + $3 + $4; next } { printf "%.2f ", ($2 + $3 + $4 - a[$1]) / 100 }' /tmp/stat0 /tmp/stat1)"
# how /init ends the domain afterwards
echo @END@ > /run/keel-end
