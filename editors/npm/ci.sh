#!/usr/bin/env bash
# The npm packages, built from the binary under test and installed as a user would, offline,
# with no Rust toolchain on PATH: `taskmark --version`, `check`, `lsp` and `mcp` through
# `npx taskmark` in a project and through `npm install -g`.
#
#   TASKMARK_BIN=target/debug/taskmark bash editors/npm/ci.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
binary="${TASKMARK_BIN:?set TASKMARK_BIN to the taskmark binary to package}"
command -v node >/dev/null || { echo "editors/npm/ci.sh needs node (18 or newer) and npm" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# A stripped copy: the debug binary's symbols are 100 MB the test does not need.
cp "$binary" "$out/taskmark-bin"
strip "$out/taskmark-bin" 2>/dev/null || true
node "$repo/editors/npm/build.cjs" --binary "$out/taskmark-bin" --out "$out/packages"
node "$repo/editors/npm/test.cjs" "$out/packages" "$repo/tests/fixtures/example"
