#!/usr/bin/env bash
# The web board: its TypeScript type-checked and bundled (the bundle compiled into the binary
# must be the one its sources build), then its end-to-end test in a real Chromium (Debian's,
# driven by playwright-core): tests/board/drive.mjs. Screenshots of every step are kept in
# target/board-e2e/screenshots.
#
#   TASKMARK_BIN=/path/to/taskmark bash tests/board/run-e2e.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fail() { echo "board e2e: FAILED: $*" >&2; exit 1; }

[ -n "${TASKMARK_BIN:-}" ] || fail "TASKMARK_BIN is not set: point it at a taskmark binary (cargo build; TASKMARK_BIN=\$PWD/target/debug/taskmark)"
TASKMARK_BIN="$(realpath -s -m -- "$TASKMARK_BIN")"
[ -x "$TASKMARK_BIN" ] || fail "TASKMARK_BIN=$TASKMARK_BIN is not an executable file"

if [ ! -x /usr/bin/chromium ]; then
  [ "$(id -u)" = 0 ] || fail "chromium is missing (apt-get install chromium as root)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
fi

cd "$ROOT/editors/board"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null
npm run --silent typecheck
npm run --silent build >/dev/null 2>&1
if ! git -C "$ROOT" diff --quiet -- server/board/assets/board.js; then
  git -C "$ROOT" diff --stat -- server/board/assets/board.js >&2
  fail "server/board/assets/board.js is not what editors/board/src builds: run \`npm run build\` in editors/board and commit it"
fi

SHOTS="$ROOT/target/board-e2e/screenshots"
rm -rf "$SHOTS"
cd "$ROOT"
TASKMARK_BIN="$TASKMARK_BIN" SHOTS="$SHOTS" node tests/board/drive.mjs
ls "$SHOTS"
