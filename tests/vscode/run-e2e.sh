#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server 4) driven by
# chromium through playwright-core. Installs what it needs into target/vscode-e2e/cache (once),
# builds the platform vsix of this machine carrying TASKMARK_BIN as its server
# (editors/vscode/package-platform.sh), installs it offline into a fresh extensions folder of
# a code-server that has no taskmark on PATH, no ~/.cargo/bin and no taskmark.server.path, opens
# a copy of tests/fixtures/example and checks that the server running is the one inside the
# extension, then diagnostics, hover, "Taskmark: Set Task Status…", "Taskmark: New Task…",
# "Taskmark: List Tasks", "Taskmark: Next Task", "Taskmark: Open Board" (the daemon's board in a
# new browser tab through code-server's port proxy, live) and "Taskmark: Archive Done Tasks".
#
#   TASKMARK_BIN=/path/to/taskmark bash tests/vscode/run-e2e.sh
#
# Env: TASKMARK_BIN (required: the binary packaged; the test's own second editor and its
# `taskmark check` run it too), UPDATE_SCREENSHOTS=1 (copy the screenshots to
# editors/vscode/images/), TASKMARK_E2E_KEEP=1 (keep the temporary folder), TASKMARK_E2E_SKIP_CI=1
# (reuse the platform vsix already built by `TASKMARK_BIN=... editors/vscode/ci.sh`).
set -euo pipefail
started=$SECONDS
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/target/vscode-e2e"
CACHE="${TASKMARK_E2E_CACHE:-$E2E/cache}"
ARTIFACTS="$E2E/artifacts"

fail() { echo "vscode e2e: FAILED: $*" >&2; exit 1; }

[ -n "${TASKMARK_BIN:-}" ] || fail "TASKMARK_BIN is not set: point it at a taskmark binary (cargo build; TASKMARK_BIN=\$PWD/target/debug/taskmark)"
TASKMARK_BIN="$(realpath -s -m -- "$TASKMARK_BIN")"
[ -x "$TASKMARK_BIN" ] || fail "TASKMARK_BIN=$TASKMARK_BIN is not an executable file"

# 1. The toolchain (cached).
bash "$ROOT/tests/vscode/install-deps.sh" "$CACHE"
NODE24="$CACHE/node24/node_modules/node/bin/node"
CODE_SERVER="$CACHE/code-server/node_modules/code-server/out/node/entry.js"
[ -f "$CODE_SERVER" ] || CODE_SERVER="$CACHE/code-server/node_modules/.bin/code-server"

# 2. The platform vsix, with TASKMARK_BIN inside.
case "$(uname -m)" in
  x86_64) TARGET=linux-x64 ;;
  aarch64) TARGET=linux-arm64 ;;
  *) fail "no vsce target for $(uname -m)" ;;
esac
if [ "${TASKMARK_E2E_SKIP_CI:-}" != 1 ] || ! ls "$ROOT"/editors/vscode/taskmark-"$TARGET"-*.vsix >/dev/null 2>&1; then
  [ -d "$ROOT/editors/vscode/node_modules" ] || (cd "$ROOT/editors/vscode" && npm ci --no-audit --no-fund >/dev/null)
  bash "$ROOT/editors/vscode/package-platform.sh" --target "$TARGET" --binary "$TASKMARK_BIN"
fi
VSIX="$(ls "$ROOT"/editors/vscode/taskmark-"$TARGET"-*.vsix | head -n 1)"

# code-server's environment: no taskmark anywhere the extension would look but its own folder.
# PATH without any folder holding a taskmark, HOME a fresh folder (no ~/.cargo/bin/taskmark).
CS_PATH=""
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [ -n "$dir" ] && [ ! -e "$dir/taskmark" ] && CS_PATH="${CS_PATH:+$CS_PATH:}$dir"
done
if PATH="$CS_PATH" command -v taskmark >/dev/null; then fail "taskmark is still on code-server's PATH: $CS_PATH"; fi

# 3. A fresh run folder: workspace copy, user data, extensions, taskmark runtime folder.
RUN="$(mktemp -d -t taskmark-vscode-e2e.XXXXXX)"
WS="$RUN/workspace"
cp -r "$ROOT/tests/fixtures/example" "$WS"
mkdir -p "$RUN/user-data/User" "$RUN/extensions" "$RUN/home" "$ARTIFACTS"
install -d -m 700 "$RUN/runtime"
export TASKMARK_RUNTIME_DIR="$RUN/runtime"
cat >"$RUN/user-data/User/settings.json" <<JSON
{
  "files.autoSave": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "taskmark.server.logLevel": "debug",
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "git.enabled": false,
  "editor.hover.delay": 300,
  "window.commandCenter": false,
  "chat.disableAIFeatures": true
}
JSON

echo "auth: none" >"$RUN/config.yaml"
# No taskmark.server.path anywhere (User or Machine settings): the extension must find its own.
CS_PID=""
cleanup() {
  local status=$?
  if [ -n "$CS_PID" ]; then
    # code-server's children (extension host, taskmark lsp, ...) outlive its main process:
    # end the whole process group it leads.
    kill -TERM -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
  fi
  # The taskmark daemon of this run (its own session; found by its runtime folder).
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"; pid="${pid%/environ}"
    if { tr "\0" "\n" <"$environ"; } 2>/dev/null | grep -qxF "TASKMARK_RUNTIME_DIR=$RUN/runtime"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  cp "$RUN/runtime/daemon.log" "$ARTIFACTS/daemon.log" 2>/dev/null || true
  cp "$RUN/code-server.log" "$ARTIFACTS/code-server.log" 2>/dev/null || true
  cp "$RUN/user-data/User/settings.json" "$ARTIFACTS/settings.json" 2>/dev/null || true
  find "$RUN/user-data/logs" -name '*taskmark*' -exec cp {} "$ARTIFACTS/" \; 2>/dev/null || true
  if [ "${TASKMARK_E2E_KEEP:-}" = 1 ]; then echo "vscode e2e: kept $RUN" >&2; else rm -rf "$RUN"; fi
  echo "vscode e2e: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CS=(env PATH="$CS_PATH" HOME="$RUN/home" "$NODE24" "$CODE_SERVER" --user-data-dir "$RUN/user-data" --extensions-dir "$RUN/extensions"
  --config "$RUN/config.yaml" --disable-telemetry --disable-update-check --disable-workspace-trust)
"${CS[@]}" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 ||
  { cat "$RUN/install.log" >&2; fail "code-server --install-extension $VSIX"; }
grep -q "successfully installed" "$RUN/install.log" || { cat "$RUN/install.log" >&2; fail "the vsix did not install"; }
# The server the vsix carries, where code-server unpacked it.
mapfile -t bundled < <(find "$RUN/extensions" -path '*/server/taskmark' -type f)
[ "${#bundled[@]}" = 1 ] || fail "expected one server/taskmark in the installed extension, found: ${bundled[*]:-none}"
[ -x "${bundled[0]}" ] || fail "${bundled[0]} (installed from $VSIX) is not executable"
BUNDLED="$(realpath "${bundled[0]}")"
echo "vscode e2e: $(basename "$VSIX") ($(du -k "$VSIX" | cut -f1) KiB) installed; its server: $BUNDLED ($("$BUNDLED" --version))"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
setsid "${CS[@]}" --auth none --bind-addr "127.0.0.1:$PORT" "$WS" >"$RUN/code-server.log" 2>&1 &
CS_PID=$!

rm -f "$ARTIFACTS"/*.png
E2E_JSONRPC="$ROOT/editors/vscode/node_modules/vscode-jsonrpc/node.js" E2E_BUNDLED="$BUNDLED" E2E_PORT="$PORT" E2E_WORKSPACE="$WS" E2E_ARTIFACTS="$ARTIFACTS" TASKMARK_BIN="$TASKMARK_BIN" \
  NODE_PATH="$CACHE/playwright/node_modules" \
  node "$ROOT/tests/vscode/drive.mjs" "$CACHE/playwright/node_modules/playwright-core/index.js" ||
  { echo "--- code-server log (tail) ---" >&2; tail -n 30 "$RUN/code-server.log" >&2; fail "the browser test failed (screenshots and logs in $ARTIFACTS)"; }

if [ "${UPDATE_SCREENSHOTS:-}" = 1 ]; then
  for name in diagnostics hover status-picker; do
    cp "$ARTIFACTS/$name.png" "$ROOT/editors/vscode/images/$name.png"
  done
  echo "vscode e2e: screenshots copied to editors/vscode/images/"
fi
