#!/usr/bin/env bash
# test_tool_vlog.sh — the `skv` tool on databases with a value log: values above the threshold
# put and flushed into value-log files, `checkpoint` (the checkpoint checks clean with its
# value-log file), `check`, `restore` into another value-log database whose own value-log
# file carries the checkpoint's number, and every value read back exactly; a damaged
# value-log file makes `check` exit 2 naming the table, the key, the file and the offset.
# Usage: test_tool_vlog.sh <path of the skv tool>
set -euo pipefail
SKV=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/skv-tool-vlog-XXXXXX")
trap 'rm -rf "$dir"' EXIT
V=(--opt enable_vlog=true --opt vlog_value_threshold=8)
fail() { echo "test_tool_vlog: $*" >&2; exit 1; }
expect() { # expect <what> <wanted> <got>
    [[ "$3" == "$2" ]] || fail "$1: got '$3', expected '$2'"
}

"$SKV" "${V[@]}" "$dir/a" put alpha "value-of-alpha-in-the-log"
"$SKV" "${V[@]}" "$dir/a" put beta "short"
"$SKV" "${V[@]}" "$dir/a" put gamma "value-of-gamma-in-the-log"
"$SKV" "${V[@]}" "$dir/a" flush
expect "vlog-files of a" 2 "$("$SKV" "${V[@]}" "$dir/a" property vlog-files)"
"$SKV" "${V[@]}" "$dir/a" checkpoint "$dir/ck"
ls "$dir/ck" | grep -q '\.vlog$' || fail "the checkpoint holds no value-log file"
out=$("$SKV" "${V[@]}" "$dir/ck" check) || fail "check of the checkpoint: $out"
[[ "$out" == *"2 value-log files, 2 value pointers"*"clean, 0 problems, 0 orphans"* ]] ||
    fail "check of the checkpoint: $out"

# b: its own value-log file takes a number the checkpoint uses too
"$SKV" "${V[@]}" "$dir/b" put other "value-of-other-in-b-vlog"
"$SKV" "${V[@]}" "$dir/b" put other2 "x" # the open replays the log of the first into a table
same=$(comm -12 <(ls "$dir/b" | grep '\.vlog$') <(ls "$dir/ck" | grep '\.vlog$') | wc -l)
expect "value-log numbers shared by b and the checkpoint" 1 "$same"
"$SKV" "${V[@]}" "$dir/b" restore "$dir/ck"
expect "alpha" "value-of-alpha-in-the-log" "$("$SKV" "${V[@]}" "$dir/b" get alpha)"
expect "beta" "short" "$("$SKV" "${V[@]}" "$dir/b" get beta)"
expect "gamma" "value-of-gamma-in-the-log" "$("$SKV" "${V[@]}" "$dir/b" get gamma)"
rc=0
"$SKV" "${V[@]}" "$dir/b" get other >/dev/null 2>&1 || rc=$?
expect "other after the restore (exit status)" 1 "$rc"
out=$("$SKV" "${V[@]}" "$dir/b" check) || fail "check of b: $out"
[[ "$out" == *"clean, 0 problems, 0 orphans"* ]] || fail "check of b: $out"

# a flipped byte in the value of alpha (the first record of the checkpoint's first file)
f=$(ls "$dir/ck"/*.vlog | head -n 1)
printf 'X' | dd of="$f" bs=1 seek=$((24 + 16 + 5 + 3)) conv=notrunc status=none
rc=0
out=$("$SKV" "${V[@]}" "$dir/ck" check 2>&1) || rc=$?
expect "check of the damaged checkpoint (exit status)" 2 "$rc"
[[ "$out" == *"key 'alpha'"*"$(basename "$f"): record at offset 24: value checksum mismatch"* ]] ||
    fail "check of the damaged checkpoint: $out"
[[ "$out" == *"1 problem, 0 orphans"* ]] || fail "check of the damaged checkpoint: $out"
echo "test_tool_vlog: ok"
