#!/usr/bin/env bash
# The PyPI wheel, built by maturin from this folder against the tree under test (the debug
# profile, reusing what the test suite built; it replaces target/debug/taskmark with a build
# without the suite's test hooks, so it runs after the suite), installed offline into a fresh
# virtualenv with no Rust toolchain on PATH, and run: --version, check, lsp, mcp.
#
#   TASKMARK_BIN=target/debug/taskmark bash editors/pypi/ci.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
binary="${TASKMARK_BIN:?set TASKMARK_BIN to the taskmark binary of the target folder to build in}"
python="${PYTHON_WITH_MATURIN:-$repo/target/pytest-venv/bin/python}"
"$python" -m maturin --version >/dev/null 2>&1 || { echo "editors/pypi/ci.sh needs maturin: tests/pytest/run.sh installs it into target/pytest-venv" >&2; exit 1; }
PATH="$(dirname "$python"):$PATH" "$python" "$repo/editors/pypi/test_wheel.py" "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
