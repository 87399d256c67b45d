#!/usr/bin/env bash
# .ci/install-deps.sh — installs, on Debian 12, the packages the build and the tests need, and
# nothing else. Idempotent: installs only what dpkg reports missing, and runs apt-get update
# only when something must be installed. Runs as root, or through sudo otherwise.
# With --bench it also installs the peer libraries `skv-bench` compares skv with (RocksDB,
# LevelDB, LMDB); without it nothing more is installed.
# The Python package's tests run in a virtual environment inside the build tree
# (build-python/venv) holding what they need from PyPI: cffi, setuptools, wheel, build,
# pytest. --python-bench also makes build-python/bench-venv with the peers of the Python
# benchmark (py-lmdb, RocksDict), which are never dependencies of the package.
set -euo pipefail

bench=0
python_bench=0
for arg in "$@"; do
    case "$arg" in
        --bench) bench=1 ;;
        --python-bench) python_bench=1 ;;
        *) echo "install-deps: unknown argument '$arg' (usage: $0 [--bench] [--python-bench])" >&2; exit 2 ;;
    esac
done
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(gcc make clang clang-format git cmake ninja-build pkg-config libzstd-dev libxxhash-dev libcjson-dev
          binutils python3 python3-dev python3-venv)
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
else
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
fi

# python_env <dir> <module>...: a virtual environment at <dir> in which every <module> (a
# PyPI package of the same name) imports; creates and installs only what is missing.
python_env() {
    local dir=$1
    shift
    [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
    local want=()
    for m in "$@"; do
        "$dir/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$m') is None)" ||
            want+=("$m")
    done
    if [ "${#want[@]}" -eq 0 ]; then
        echo "install-deps: $dir has $*"
    else
        echo "install-deps: installing ${want[*]} into $dir"
        "$dir/bin/python" -m pip install -q "${want[@]}"
    fi
}
python_env "$root/build-python/venv" cffi setuptools wheel build pytest
if [ "$python_bench" -eq 1 ]; then
    python_env "$root/build-python/bench-venv" cffi setuptools wheel lmdb rocksdict
fi
