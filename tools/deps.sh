#!/bin/bash
# deps.sh [build|test|run]: install the Debian packages Keel needs, if missing.
#   build  compile the hypervisor and its ISO
#   run    build + boot it in QEMU (make run)
#   test   everything: unit tests, QEMU (BIOS and UEFI) and Bochs boots
# Cheap when nothing is missing: one dpkg-query, no apt call at all.
set -u

BUILD_PKGS="gcc make binutils grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools"
RUN_PKGS="$BUILD_PKGS qemu-system-x86 ovmf python3 e2fsprogs"
# lz4, xz-utils, zstd, gzip: reference decompressors the unit tests compare with.
TEST_PKGS="$RUN_PKGS libcmocka-dev bochs bochsbios vgabios lz4 xz-utils zstd gzip e2fsprogs"

case ${1:-test} in
    build) want=$BUILD_PKGS ;;
    run)   want=$RUN_PKGS ;;
    test)  want=$TEST_PKGS ;;
    *)     echo "usage: $0 [build|test|run]" >&2; exit 2 ;;
esac

# missing_packages PKG...: the ones dpkg does not list as installed.
missing_packages() {
    local installed p
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null |
                awk '$2 == "installed" { print $1 }')
    for p in "$@"; do
        grep -qx "$p" <<<"$installed" || echo "$p"
    done
}

command -v dpkg-query >/dev/null || { echo "deps: not a Debian system; install by hand: $want" >&2; exit 1; }
# shellcheck disable=SC2086  # word splitting of the package lists is intended
missing=$(missing_packages $want | tr '\n' ' ')
[ -z "${missing// /}" ] && exit 0

echo "deps: installing $missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine: update once.
$sudo apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing </dev/null ||
    { echo "deps: apt-get install failed: $missing" >&2; exit 1; }
