#!/usr/bin/env bash
# check_pkgconfig.sh — the install check: installs a build into a temporary prefix, then builds
# tests/abi/pkgconfig_consumer.c as an outside program would (only the installed skv.h and the
# flags from the installed skv.pc) and runs it against the installed libskv.so.1.
#
# Usage: check_pkgconfig.sh <build dir> <source dir>
# Environment: CC (compiler, default cc); SKV_SANITIZE (address|thread: the build was
# instrumented, so the consumer must be too).
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 <build-dir> <source-dir>" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
: "${CC:=cc}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || {
    cat "$tmp/install.log" >&2
    echo "check_pkgconfig: cmake --install failed" >&2
    exit 1
}

pc=$(find "$prefix" -name skv.pc -path '*/pkgconfig/*' | head -n 1)
if [ -z "$pc" ]; then
    echo "check_pkgconfig: no skv.pc installed under $prefix" >&2
    exit 1
fi
pcdir=$(dirname "$pc")
if [ ! -f "$prefix/include/skv.h" ]; then
    echo "check_pkgconfig: include/skv.h not installed" >&2
    exit 1
fi
if ! find "$prefix" -name 'libskv.so.1' | grep -q .; then
    echo "check_pkgconfig: libskv.so.1 not installed" >&2
    exit 1
fi

# skv.pc records the configure-time prefix; point it at the temporary one.
pkgconf() {
    PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir \
        pkg-config --define-variable=prefix="$prefix" "$@" skv
}
if ! pkgconf --exists; then
    echo "check_pkgconfig: pkg-config does not accept $pc" >&2
    exit 1
fi
read -r -a cflags <<< "$(pkgconf --cflags)"
read -r -a libs <<< "$(pkgconf --libs)"
echo "check_pkgconfig: skv $(pkgconf --modversion): ${cflags[*]} ${libs[*]}"

san=()
case "${SKV_SANITIZE:-}" in
    address) san=("-fsanitize=address,undefined" -fno-sanitize-recover=all) ;;
    thread) san=(-fsanitize=thread) ;;
    "") ;;
    *) echo "check_pkgconfig: unknown SKV_SANITIZE '$SKV_SANITIZE'" >&2; exit 2 ;;
esac

"$CC" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror ${san[@]+"${san[@]}"} \
    "${cflags[@]}" "$src/tests/abi/pkgconfig_consumer.c" -o "$tmp/consumer" \
    "${libs[@]}" ${san[@]+"${san[@]}"}

libdir=$(pkgconf --variable=libdir)
mkdir "$tmp/db"
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$tmp/consumer" "$tmp/db"
