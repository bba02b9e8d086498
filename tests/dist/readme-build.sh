#!/usr/bin/env bash
# The README's first command on this clone, as a newcomer runs it: the shipped build (the dist
# profile) checks the bundled example and exits 1 for the errors it finds. Then the binary it
# built is held to what the user guide promises of a shipped one: under 20 MB, and holding no
# path of the machine that built it (the clone's folder, which a build would embed through
# `env!("CARGO_MANIFEST_DIR")` or debug info).
#
#   bash tests/dist/readme-build.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
command="$(grep -o 'cargo run --locked --profile dist -- check tests/fixtures/example' README.md | head -1)"
[ -n "$command" ] || { echo "README.md no longer has the first command this script runs" >&2; exit 1; }
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
set +e
$command >"$output" 2>&1
status=$?
set -e
if [ "$status" -ne 1 ]; then
  cat "$output" >&2
  echo "\`$command\` exited $status; the README says 1 (errors found)" >&2
  exit 1
fi
grep -q 'error\[status-mismatch\]' "$output" || { cat "$output" >&2; echo "the example's mismatch is not reported" >&2; exit 1; }

binary="${CARGO_TARGET_DIR:-$repo/target}/dist/taskmark"
size=$(stat -c %s "$binary")
echo "the shipped binary: $binary, $size bytes"
if [ "$size" -ge $((20 * 1024 * 1024)) ]; then
  echo "the shipped binary is $size bytes; the guide promises under 20 MB" >&2
  exit 1
fi
if grep -qaF "$repo" "$binary"; then
  echo "the shipped binary holds the path of the clone it was built in ($repo):" >&2
  strings -n 8 "$binary" | grep -F "$repo" | head -5 >&2
  exit 1
fi
echo "README's first command: exit 1 with the example's errors; binary under 20 MB, no build path in it"
