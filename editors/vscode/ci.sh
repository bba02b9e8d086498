#!/usr/bin/env bash
# The VS Code extension's cheap CI: npm ci, typecheck, unit tests, bundle, package the vsix
# (the plain one, which finds taskmark on PATH), and with TASKMARK_BIN set the platform vsix
# of this machine carrying that binary (package-platform.sh). Quiet on success except a summary.
# Runs on node 20.
#   bash editors/vscode/ci.sh
#   TASKMARK_BIN=$PWD/target/release/taskmark bash editors/vscode/ci.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
started=$SECONDS
LOG="$(mktemp -t taskmark-vscode-ci.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

run() {
  local what="$1"; shift
  if ! "$@" >"$LOG" 2>&1; then
    echo "editors/vscode/ci.sh: $what failed:" >&2
    cat "$LOG" >&2
    exit 1
  fi
}

run "npm ci" npm ci --no-audit --no-fund
run "typecheck" npx --no-install tsc -p . --noEmit
run "unit tests" npm test
# The test runner's closing lines, for whoever reads the CI log.
grep -E '^# (tests|pass|fail) ' "$LOG" || true
grep -q '^# fail 0$' "$LOG" || { echo "editors/vscode/ci.sh: unit tests failed" >&2; cat "$LOG" >&2; exit 1; }
run "bundle" npm run bundle
rm -f taskmark-*.vsix
run "vsce package" npx --no-install vsce package --allow-missing-repository --no-dependencies --no-rewrite-relative-links
vsix="$(ls taskmark-[0-9]*.vsix)"
# The plain vsix: the bundle, the manifest, README, LICENSE, CHANGELOG; no screenshots.
run "the plain vsix's contents" python3 - "$vsix" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
unexpected = [name for name in names if name.startswith(("extension/images/", "extension/server/", "extension/src/", "extension/node_modules/"))]
if unexpected or "extension/dist/extension.js" not in names:
    sys.exit(f"{sys.argv[1]} holds {names}")
EOF
echo "editors/vscode: $vsix ($(du -k "$vsix" | cut -f1) KiB)"
if [ -n "${TASKMARK_BIN:-}" ]; then
  run "package-platform.sh" bash package-platform.sh --binary "$TASKMARK_BIN"
  cat "$LOG"
fi
echo "editors/vscode: done in $((SECONDS - started)) s"
