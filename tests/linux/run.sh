#!/bin/bash
# tests/linux/run.sh [--hv keel|xen] [--name NAME] [SET...]: Debian Linux
# boot tests, driven over the serial console, on Keel (default) or on Xen
# 4.17 (../shared/tools/xen-ref, the reference: the same tests must pass
# there). Sets (default: dom0):
#   dom0       the generic kernel as dom0, 2 CPUs, 1 GiB, virtio-blk ext4 disk
#   dom0-1cpu  the same on 1 CPU
#   domu-N     the cloud kernel as a domU with N vCPUs (1, 2, 4), beside a PV
#              test kernel as dom0; it checks itself and powers off
#              (domu-256m: 1 vCPU with 256 MiB; domu-2g: 2 vCPUs with 2 GiB)
#              (tests/linux/domu.py); domu-N-reboot: it reboots instead. On Xen
#              (no toolstack in xen-ref) the same checks run in the generic
#              kernel as dom0: the reference for what they expect.
#   domu-pvh-N the same checks with the domU built as PVH (domu.py --pvh),
#              N vCPUs (1, 2); domu-pvh-N-reboot: it reboots instead
#   domu-shell-N, domu-shell-pvh-N  the cloud kernel as a PV / PVH domU
#              with N vCPUs driven from its console (tests/linux/domu_shell.py:
#              serial input switched to it, shell checks as dom0's, ended by
#              Keel's debug key p through its xenstore control/shutdown)
#   domu-pair  two cloud-kernel domUs (1 and 2 vCPUs) and a PV test kernel as
#              dom0 at once (tests/linux/multi.py): each completes its work,
#              consoles apart, all memory returned
#   domu-crash a Linux domU beside two test kernels that fault early and a
#              dom0 test kernel: the faulting ones crashed with a reason and
#              their memory returned while Linux completes its checks
#   dom0-domu  the generic kernel as dom0 and a cloud-kernel domU together
#   (domu-pvh-*, domu-shell-* and the last three are Keel only: they start domUs with Keel's domu=, and
#   xen-ref has no toolstack to start domUs, so --hv xen refuses them)
# Prints "PASS ..."/"FAIL ..." lines, then "NAME: N passed, M failed"
# (NAME: linux on Keel, linux-xen on Xen). Logs: build/test-logs/linux/.
# Environment: KEEL_LINUX_OPTS extra Keel options; KEEL_DOMU_OPTS the Keel
# option starting the domU (tests/linux/domu.py); XEN_REF the xen-ref script.
# Builds what it needs: Keel (make), the kernels (tools/fetch-kernels.sh),
# the initramfs (tools/mkinitramfs.sh), the disk (tools/mkdisk.sh).
set -u
cd "$(dirname "$0")/../.." || exit 2
hv=keel name=
while [ $# -gt 0 ]; do
    case $1 in
        --hv) hv=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
[ -n "$name" ] || { [ "$hv" = keel ] && name=linux || name=linux-$hv; }
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(dom0)
if [ "$hv" != keel ]; then
    for s in "${sets[@]}"; do
        case $s in domu-pair|domu-crash|dom0-domu|domu-pvh-*|domu-shell-*)
            echo "run.sh: set $s starts domUs with Keel's domu= option; xen-ref has no toolstack" \
                 "to start domUs, so it cannot run with --hv $hv: refused (run it on Keel)" >&2
            echo "FAIL $s: not runnable on $hv (refused)"
            echo "$name: 0 passed, 1 failed"
            exit 2 ;;
        esac
    done
fi

if [ "$hv" = keel ]; then
    make -s all guests >/dev/null || { echo "$name: 0 passed, 1 failed (make failed)"; exit 1; }
fi
pass=0 fail=0
pass_fail() { pass=$((pass + $1)) fail=$((fail + $2)); }
out=$(mktemp "${TMPDIR:-/tmp}/keel-linux.XXXXXX")
trap 'rm -f "$out"' EXIT
for s in "${sets[@]}"; do
    case $s in
        dom0)      cmd=(tests/linux/dom0.py --hv "$hv" --smp 2) ;;
        dom0-1cpu) cmd=(tests/linux/dom0.py --hv "$hv" --smp 1) ;;
        domu-256m) cmd=(tests/linux/domu.py --hv "$hv" --vcpus 1 --mem 256) ;;
        domu-2g)   cmd=(tests/linux/domu.py --hv "$hv" --vcpus 2 --mem 2048) ;;
        domu-shell-pvh-[0-9]) cmd=(tests/linux/domu_shell.py --pvh --vcpus "${s#domu-shell-pvh-}") ;;
        domu-shell-[0-9]) cmd=(tests/linux/domu_shell.py --vcpus "${s#domu-shell-}") ;;
        domu-pvh-[0-9]-reboot) cmd=(tests/linux/domu.py --hv "$hv" --pvh --vcpus "${s:9:1}" --end reboot) ;;
        domu-pvh-[0-9]) cmd=(tests/linux/domu.py --hv "$hv" --pvh --vcpus "${s#domu-pvh-}") ;;
        domu-[0-9]-reboot) cmd=(tests/linux/domu.py --hv "$hv" --vcpus "${s:5:1}" --end reboot) ;;
        domu-[0-9]) cmd=(tests/linux/domu.py --hv "$hv" --vcpus "${s#domu-}") ;;
        domu-pair|domu-crash|dom0-domu) cmd=(tests/linux/multi.py "$s") ;;
        *) echo "FAIL $s: no such set"; pass_fail 0 1; continue ;;
    esac
    "${cmd[@]}" 2>&1 | tee "$out"
    st=${PIPESTATUS[0]}
    # each set ends with "linux-set: TAG: N passed, M failed"
    line=$(grep -a '^linux-set: .*: [0-9]* passed, [0-9]* failed$' "$out" | tail -1)
    if [ -z "$line" ]; then
        echo "FAIL $s: the test script ended without its counts (status $st)"
        pass_fail 0 1
    else
        pass_fail "$(sed 's/.*: \([0-9]*\) passed.*/\1/' <<<"$line")" "$(sed 's/.*, \([0-9]*\) failed$/\1/' <<<"$line")"
    fi
done
echo "$name: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
