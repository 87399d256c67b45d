#!/usr/bin/env bash
# check_exports.sh — the ABI export check: the shared library exports exactly the functions
# listed in bindings/abi/skv.symbols (no more, no fewer, no data symbols), under the SKV_1.0
# version node, with SONAME libskv.so.1; and skv.h (every SKV_API function), capi/skv.map and
# skv.symbols name the same functions, so the three cannot drift apart.
#
# Usage: check_exports.sh <path to libskv.so.1 (or the file it links to)> <source dir>
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 <libskv.so> <source-dir>" >&2
    exit 2
fi
lib=$1
src=$2
header=$src/capi/include/skv.h
map=$src/capi/skv.map
list=$src/bindings/abi/skv.symbols
export LC_ALL=C

for f in "$lib" "$header" "$map" "$list"; do
    if [ ! -f "$f" ]; then
        echo "check_exports: missing file: $f" >&2
        exit 2
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Compares two sorted name lists; prints what only one side has.
compare() { # <label-a> <file-a> <label-b> <file-b>
    if ! cmp -s "$2" "$4"; then
        echo "check_exports: $1 and $3 differ:" >&2
        comm -23 "$2" "$4" | sed "s/^/  only in $1: /" >&2
        comm -13 "$2" "$4" | sed "s/^/  only in $3: /" >&2
        fail=1
    fi
}

# The expected list: one name per line; blank lines and '#' comments are ignored.
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$list" | sed 's/[[:space:]]//g' > "$tmp/list.raw"
sort -u "$tmp/list.raw" > "$tmp/list"
if ! cmp -s "$tmp/list.raw" "$tmp/list"; then
    echo "check_exports: $list is not sorted or has duplicates" >&2
    fail=1
fi

# 1. The header: every function declared with SKV_API. Comments are stripped (strings and
#    character literals are kept intact), then preprocessor directive lines are dropped.
strip_comments() {
    awk 'BEGIN { st = 0 }  # 0 code, 1 block comment, 2 string, 3 char literal
    {
        line = $0; out = ""; n = length(line)
        for (i = 1; i <= n; i++) {
            c = substr(line, i, 1); d = substr(line, i, 2)
            if (st == 1) { if (d == "*/") { st = 0; i++; out = out " " } continue }
            if (st == 2 || st == 3) {
                out = out c
                if (c == "\\") { out = out substr(line, i + 1, 1); i++ }
                else if ((st == 2 && c == "\"") || (st == 3 && c == "\047")) st = 0
                continue
            }
            if (d == "/*") { st = 1; i++; continue }
            if (d == "//") break
            if (c == "\"") st = 2; else if (c == "\047") st = 3
            out = out c
        }
        print out
    }' "$1"
}
strip_comments "$header" |
    grep -v '^[[:space:]]*#' | tr '\n' ' ' |
    grep -oE 'SKV_API[^(;{}]*\(' |
    sed -E 's/^.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\($/\1/' |
    sort -u > "$tmp/header"
if [ ! -s "$tmp/header" ]; then
    echo "check_exports: found no SKV_API function in $header" >&2
    exit 1
fi
compare "skv.h" "$tmp/header" "skv.symbols" "$tmp/list"

# 2. The version script: the names between 'global:' and 'local:' of the SKV_* nodes.
sed -e 's#/\*.*\*/##g' -e '/\/\*/,/\*\//d' "$map" | tr ';{}' '\n' |
    sed 's/[[:space:]]//g' |
    awk '/^global:/ { g = 1; sub(/^global:/, "") } /^local:/ { g = 0 } g && NF' |
    grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | sort -u > "$tmp/map"
compare "skv.map" "$tmp/map" "skv.symbols" "$tmp/list"
if ! tr '\n' ' ' < "$map" | grep -Eq 'local:[[:space:]]*\*[[:space:]]*;'; then
    echo "check_exports: $map does not hide everything else ('local: *;')" >&2
    fail=1
fi

# 3. The library: defined dynamic symbols. Functions are T/W/i; the version node shows as an
#    absolute symbol (A) and is skipped; any data symbol is an unexpected export.
nm -D --defined-only "$lib" > "$tmp/nm"
awk 'NF >= 2 { t = $(NF-1); n = $NF; sub(/@.*/, "", n);
               if (t == "T" || t == "W" || t == "i") print n > "/dev/stdout";
               else if (t != "A") print t " " n > "/dev/stderr" }' \
    "$tmp/nm" 2> "$tmp/data" | sort -u > "$tmp/lib"
if [ -s "$tmp/data" ]; then
    echo "check_exports: $lib exports non-function symbols:" >&2
    sed 's/^/  /' "$tmp/data" >&2
    fail=1
fi
compare "$(basename "$lib")" "$tmp/lib" "skv.symbols" "$tmp/list"

# Every export carries the SKV_1.0 (or a later SKV_*) version.
if grep -q '@' "$tmp/nm"; then
    awk '($(NF-1) == "T" || $(NF-1) == "W" || $(NF-1) == "i") && $NF !~ /@@?SKV_[0-9]/ { print "  " $NF }' \
        "$tmp/nm" > "$tmp/unversioned"
    if [ -s "$tmp/unversioned" ]; then
        echo "check_exports: exports without an SKV_* symbol version:" >&2
        cat "$tmp/unversioned" >&2
        fail=1
    fi
fi
# (grep reads all of readelf's output: with pipefail, grep -q stopping early makes a large
# library's readelf die of SIGPIPE and the check fail)
if ! readelf -V "$lib" | grep 'SKV_1\.0' > /dev/null; then
    echo "check_exports: $lib defines no SKV_1.0 symbol version" >&2
    fail=1
fi

# 4. SONAME.
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libskv.so.1" ]; then
    echo "check_exports: SONAME is '${soname:-none}', expected libskv.so.1" >&2
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "check_exports: OK: $(wc -l < "$tmp/list") functions, SONAME $soname, version SKV_1.0"
