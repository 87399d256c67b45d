#!/usr/bin/env bash
# .ci/install-deps.sh — installs, on Debian 12, the packages the build and the tests need, and
# nothing else. Idempotent: installs only what dpkg reports missing, and runs apt-get update
# only when something must be installed. Runs as root, or through sudo otherwise.
# With --bench it also installs the peer libraries `skv-bench` compares skv with (RocksDB,
# LevelDB, LMDB); without it nothing more is installed.
# Go: the Go package needs Go >= 1.23 (`go` on PATH or /usr/local/go/bin/go). When there is
# none, Debian's golang-go is installed and fetches the Go 1.23 toolchain module through the Go
# module proxy into /usr/local/go.
# Node: the Node package's npm dependencies are installed in node/ with `npm ci`.
# Python: the Python package's tests run in a virtual environment inside the build tree
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
# the Node package (node/): a C++ compiler for its addon; Node 18 or newer with npm (a Node
# already on the PATH, e.g. from NodeSource, is used as it is)
packages+=(g++)
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 18 ] || ! command -v npm > /dev/null; then
    packages+=(nodejs npm)
fi
# clang's sanitizer runtimes (ASan, UBSan, TSan) are only recommended by clang-14 on Debian 12.
os_id=$(sed -n 's/^ID=//p' /etc/os-release 2>/dev/null | tr -d '"')
os_version=$(sed -n 's/^VERSION_ID=//p' /etc/os-release 2>/dev/null | tr -d '"')
if [ "$os_id" = debian ] && [ "$os_version" = 12 ]; then
    packages+=(libclang-rt-14-dev)
fi
if [ "$bench" -eq 1 ]; then
    packages+=(librocksdb-dev libleveldb-dev liblmdb-dev)
fi

# The Go toolchain: the first of `go` on PATH and /usr/local/go/bin/go that is >= GO_MIN.
GO_MIN_MINOR=23
GO_TOOLCHAIN=go1.23.12
go_ok() {
    local v
    v=$("$1" env GOVERSION 2>/dev/null) || return 1
    v=${v#go}
    [ "${v%%.*}" -gt 1 ] 2>/dev/null && return 0
    local minor=${v#*.}
    minor=${minor%%.*}
    [ "${v%%.*}" = 1 ] && [ "${minor%%[!0-9]*}" -ge "$GO_MIN_MINOR" ] 2>/dev/null
}
need_go=1
for g in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go; do
    if [ -n "$g" ] && [ -x "$g" ] && go_ok "$g"; then
        need_go=0
        break
    fi
done
if [ "$need_go" -eq 1 ]; then
    packages+=(golang-go ca-certificates)
fi
# the Node package's npm dependencies (node-addon-api, node-api-headers; typescript and
# @types/node for the tests), from the npm registry, when node/package-lock.json changed
node_deps() {
    local dir
    dir="$root/node"
    if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
        [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        echo "install-deps: npm ci in node/"
        (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
    fi
}

missing=()
for p in "${packages[@]}"; do
    if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$p")
    fi
done
# Go >= 1.23 from Debian's Go (1.19 on Debian 12): the toolchain module golang.org/toolchain,
# fetched by `go mod download` through the Go module proxy, is a complete Go installation.
install_go_toolchain() {
    local arch tmp dir
    arch=$(dpkg --print-architecture)
    tmp=$(mktemp -d)
    (cd "$tmp" && /usr/lib/go/bin/go mod init bootstrap > /dev/null 2>&1 &&
        GOPATH="$tmp/gopath" GOFLAGS=-modcacherw GOPROXY=https://proxy.golang.org \
            /usr/lib/go/bin/go mod download "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch")
    dir="$tmp/gopath/pkg/mod/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch"
    if [ ! -f "$dir/bin/go" ]; then
        echo "install-deps: could not fetch the Go toolchain $GO_TOOLCHAIN" >&2
        rm -rf "$tmp"
        exit 1
    fi
    ${sudo[@]+"${sudo[@]}"} rm -rf /usr/local/go
    ${sudo[@]+"${sudo[@]}"} cp -a "$dir" /usr/local/go
    # a module zip keeps no file modes: make the programs executable again
    ${sudo[@]+"${sudo[@]}"} chmod -R u+w /usr/local/go
    ${sudo[@]+"${sudo[@]}"} chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
    rm -rf "$tmp"
    echo "install-deps: installed $(/usr/local/go/bin/go version) in /usr/local/go"
}

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo > /dev/null; then
    sudo=(sudo)
elif [ "${#missing[@]}" -gt 0 ] || [ "$need_go" -eq 1 ]; then
    echo "install-deps: missing ${missing[*]:-a Go toolchain}; run as root or install sudo" >&2
    exit 1
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi
if [ "$need_go" -eq 1 ]; then
    install_go_toolchain
fi
node_deps

# python_env <dir> <module>...: a virtual environment at <dir> in which every <module> (a
# PyPI package of the same name) imports; creates and installs only what is missing. The
# check runs isolated (-I): from the checkout, the CMake directory build/ would otherwise pass
# for the module `build`.
python_env() {
    local dir=$1
    shift
    [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
    local want=()
    for m in "$@"; do
        "$dir/bin/python" -I -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$m') is None)" ||
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
