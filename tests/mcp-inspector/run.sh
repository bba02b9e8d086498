#!/usr/bin/env bash
# `taskmark mcp` under the MCP Inspector's command-line mode (npm @modelcontextprotocol/inspector,
# `--cli`), a second independent client after the Python SDK of tests/pytest: it lists the
# tools and resources, calls set_status on a copy of the example workspace, checks that every
# place of the task changed and `taskmark check` finds nothing new, and that a refused call is
# a tool error that writes nothing.
#
# Needs node and npm (the inspector is installed into target/mcp-inspector) and TASKMARK_BIN,
# the binary to test (default: target/debug/taskmark, built if missing).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"

INSPECTOR_VERSION=0.15.0
prefix="$repo/target/mcp-inspector"
inspector="$prefix/node_modules/.bin/mcp-inspector"
if ! [ -x "$inspector" ] || ! grep -q "\"version\": \"$INSPECTOR_VERSION\"" \
  "$prefix/node_modules/@modelcontextprotocol/inspector/package.json" 2>/dev/null; then
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"name":"taskmark-mcp-inspector","private":true}' >"$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
fi

bin="${TASKMARK_BIN:-$repo/target/debug/taskmark}"
[ -x "$bin" ] || cargo build --quiet --bin taskmark

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -R tests/fixtures/example "$scratch/ws"
export TASKMARK_STATE_DIR="$scratch/state" TASKMARK_RUNTIME_DIR="$scratch/run"

inspect() {
  (cd "$scratch/ws" && timeout 120 "$inspector" --cli "$bin" mcp --no-daemon "$@")
}

python="${PYTHON:-python3}"
expect() { # expect FILE PYTHON-ASSERTION: the inspector's JSON answer in FILE passes the check
  "$python" - "$1" "$2" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
if not eval(sys.argv[2], {"answer": answer}):
    sys.exit(f"mcp-inspector: expected {sys.argv[2]}, got:\n{json.dumps(answer, indent=1)[:3000]}")
PY
}

echo "== MCP Inspector $INSPECTOR_VERSION --cli: tools/list"
inspect --method tools/list >"$scratch/tools.json"
expect "$scratch/tools.json" '{t["name"] for t in answer["tools"]} == {"list_tasks","show_task","set_status","check","fix","new_task","edit_task","archive_tasks","claim_task","release_task","next_tasks"} and all(t.get("outputSchema") for t in answer["tools"])'

echo "== MCP Inspector --cli: resources/list"
inspect --method resources/list >"$scratch/resources.json"
expect "$scratch/resources.json" '{r["uri"] for r in answer["resources"]} == {"taskmark://trackers","taskmark://tasks"}'

"$bin" check --root "$scratch/ws" --format json >"$scratch/before.json" || true

echo "== MCP Inspector --cli: a refused set_status is a tool error and writes nothing"
before="$(cat "$scratch/ws/specs/TODO.md" "$scratch/ws/specs/state.json" | sha256sum)"
inspect --method tools/call --tool-name set_status --tool-arg task=14 --tool-arg status=researching >"$scratch/refused.json"
expect "$scratch/refused.json" 'answer["isError"] is True and answer["structuredContent"]["data"]["kind"] == "invalidTransition"'
[ "$before" = "$(cat "$scratch/ws/specs/TODO.md" "$scratch/ws/specs/state.json" | sha256sum)" ] ||
  { echo "mcp-inspector: a refused set_status changed the files" >&2; exit 1; }

echo "== MCP Inspector --cli: set_status 14 implementing"
inspect --method tools/call --tool-name set_status --tool-arg task=14 --tool-arg status=implementing \
  --tool-arg expect_from=planned >"$scratch/set.json"
expect "$scratch/set.json" 'answer["isError"] is False and answer["structuredContent"]["applied"] is True and len(answer["structuredContent"]["written"]) >= 2'
grep -q '^- \*\*14\*\* \[IMPLEMENTING\]' "$scratch/ws/specs/TODO.md" || { echo "mcp-inspector: TODO.md not changed" >&2; exit 1; }
grep -q '"status": "implementing"' "$scratch/ws/specs/state.json" || { echo "mcp-inspector: state.json not changed" >&2; exit 1; }

"$bin" check --root "$scratch/ws" --format json >"$scratch/after.json" || true
"$python" - "$scratch/before.json" "$scratch/after.json" <<'PY'
import json, sys
def counts(path):
    found = {}
    for d in json.load(open(path))["diagnostics"]:
        key = (d["code"], d["file"], d.get("task"))
        found[key] = found.get(key, 0) + 1
    return found
before, after = counts(sys.argv[1]), counts(sys.argv[2])
new = [key for key, count in after.items() if count > before.get(key, 0)]
if new:
    sys.exit(f"mcp-inspector: set_status left new diagnostics: {new}")
PY
echo "mcp-inspector: tools, resources, a refusal and a compare-and-swap set_status all as expected"
