#!/usr/bin/env bash
# The Claude Code plugin (this folder, listed by ../.claude-plugin/marketplace.json), checked by
# Claude Code itself (npm @anthropic-ai/claude-code, pinned, no account needed): the marketplace
# and the plugin validate, a broken copy does not, and the plugin installs from the marketplace
# into a scratch home and loads enabled, with its MCP server declared.
#
#   bash editors/agents/claude-code/ci.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
command -v npm >/dev/null || { echo "editors/agents/claude-code/ci.sh needs node and npm" >&2; exit 1; }
tools="$repo/target/claude-code"
claude="$tools/node_modules/.bin/claude"
if [ ! -x "$claude" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --no-save --prefix . @anthropic-ai/claude-code@2.1.197 >/dev/null)
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Its own home (settings, plugin cache) and no traffic of its own.
export HOME="$scratch/home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1
mkdir -p "$HOME"
"$claude" --version

"$claude" plugin validate "$repo/editors/agents"
"$claude" plugin validate "$here"
cp -r "$here" "$scratch/broken"
echo '{"hooks": {"PostToolUse": [{"matcher": 3}]}}' > "$scratch/broken/hooks/hooks.json"
if "$claude" plugin validate "$scratch/broken" >/dev/null 2>&1; then
  echo "claude plugin validate accepted a broken hooks.json: the check above checks nothing" >&2
  exit 1
fi

"$claude" plugin marketplace add "$repo/editors/agents"
"$claude" plugin install taskmark@taskmark
listed="$("$claude" plugin list --json)"
echo "$listed"
python3 - "$listed" <<'PY'
import json, sys
plugins = {it["id"]: it for it in json.loads(sys.argv[1])}
plugin = plugins.get("taskmark@taskmark")
assert plugin, f"taskmark@taskmark is not installed: {sorted(plugins)}"
assert plugin["enabled"] is True, plugin
assert plugin.get("mcpServers", {}).get("taskmark", {}).get("args") == ["mcp"], plugin
PY
# Loaded, not merely installed: a plugin that fails to load (a hooks file named twice did) says so.
if "$claude" plugin list | grep -q "failed to load"; then
  "$claude" plugin list >&2
  exit 1
fi
echo "ok the plugin validates, installs from the marketplace and loads enabled"
