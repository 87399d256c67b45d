#!/usr/bin/env bash
# .ci/install-deps.sh — installs, on Debian 12, the packages the build and the tests need, and
# nothing else. Idempotent: installs only what dpkg reports missing, and runs apt-get update
# only when something must be installed. Runs as root, or through sudo otherwise.
# With --bench it also installs the peer libraries `skv-bench` compares skv with (RocksDB,
# LevelDB, LMDB); without it nothing more is installed.
set -euo pipefail

bench=0
for arg in "$@"; do
    case "$arg" in
        --bench) bench=1 ;;
        *) echo "install-deps: unknown argument '$arg' (usage: $0 [--bench])" >&2; exit 2 ;;
    esac
done

packages=(gcc make clang clang-format git cmake ninja-build pkg-config libzstd-dev libxxhash-dev libcjson-dev
          binutils python3)
# clang's sanitizer runtimes (ASan, UBSan, TSan) are only recommended by clang-14 on Debian 12.
os_id=$(sed -n 's/^ID=//p' /etc/os-release 2>/dev/null | tr -d '"')
os_version=$(sed -n 's/^VERSION_ID=//p' /etc/os-release 2>/dev/null | tr -d '"')
if [ "$os_id" = debian ] && [ "$os_version" = 12 ]; then
    packages+=(libclang-rt-14-dev)
fi
if [ "$bench" -eq 1 ]; then
    packages+=(librocksdb-dev libleveldb-dev liblmdb-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo > /dev/null; then
    sudo=(sudo)
else
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
