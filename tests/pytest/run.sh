#!/usr/bin/env bash
# The independent-client suite of `taskmark lsp` (pytest-lsp): makes a virtualenv in
# target/pytest-venv, installs tests/pytest/requirements.txt into it, builds the debug binary
# (unless TASKMARK_BIN already names one) and runs pytest on tests/pytest. Extra arguments go
# to pytest (e.g. `tests/pytest/run.sh -k hover -x`). Exits non-zero on any failure.
#
# Needs python3 (3.10 or newer; tested with 3.11) and PyPI. Set PYTHON to use another
# interpreter, PYTEST_VENV to put the virtualenv elsewhere.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"

echo "== tests/pytest: the language server end to end with pytest-lsp"

python="${PYTHON:-python3}"
venv="${PYTEST_VENV:-$repo/target/pytest-venv}"
requirements="$repo/tests/pytest/requirements.txt"
stamp="$venv/.requirements.sha256"

command -v "$python" >/dev/null || { echo "run.sh: $python not found; install Python 3.10+" >&2; exit 1; }
"$python" - <<'EOF' || exit 1
import sys
if sys.version_info < (3, 10):
    sys.exit(f"run.sh: Python 3.10 or newer is needed, {sys.executable} is {sys.version.split()[0]}")
EOF

# A virtualenv with a working pip. `python -m venv` needs ensurepip, which Debian and Ubuntu
# ship separately (python3-venv); pyenv and python.org builds have it. Without it, fall back
# to `virtualenv` (which brings its own pip wheels): already importable, or installed from
# PyPI with the interpreter's own pip into a scratch folder under target/ (`--target` leaves
# the system and user site-packages alone, so PEP 668's "externally managed" marker does not
# apply). As a last resort, as root on Debian/Ubuntu, install python3-venv with apt-get.
make_venv() {
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if "$python" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    return 0
  fi
  rm -rf "$venv"
  echo "run.sh: '$python -m venv' cannot make a virtualenv with pip here (no ensurepip?); trying virtualenv" >&2
  if "$python" -m virtualenv --version >/dev/null 2>&1; then
    "$python" -m virtualenv -q "$venv" && return 0
  fi
  if "$python" -m pip --version >/dev/null 2>&1; then
    local bootstrap="$repo/target/pytest-bootstrap"
    rm -rf "$bootstrap"
    # Only the tool that makes the venv (tested: virtualenv 21.15.8); not used by the tests.
    if "$python" -m pip install -q --disable-pip-version-check --target "$bootstrap" "virtualenv==21.15.8"; then
      PYTHONPATH="$bootstrap" "$python" -m virtualenv -q "$venv" && return 0
    fi
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing python3-venv with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv" && "$venv/bin/python" -m pip --version >/dev/null 2>&1 && return 0
  fi
  echo "run.sh: cannot create a virtualenv: install python3-venv (Debian/Ubuntu) or virtualenv" >&2
  return 1
}

wanted="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys' 2>/dev/null \
  && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] \
  && "$venv/bin/python" -c 'import pytest_lsp, pytest_asyncio, pytest_timeout' 2>/dev/null; then
  echo "reusing $venv"
else
  if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
    echo "creating $venv"
    make_venv
  fi
  echo "installing tests/pytest/requirements.txt into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --progress-bar off -r "$requirements"
  echo "$wanted" >"$stamp"
fi

if [ -n "${TASKMARK_BIN:-}" ]; then
  case "$TASKMARK_BIN" in
    /*) ;;
    *) TASKMARK_BIN="$repo/$TASKMARK_BIN" ;;
  esac
else
  echo "cargo build --bin taskmark"
  cargo build --quiet --bin taskmark
  target_dir="${CARGO_TARGET_DIR:-target}"
  case "$target_dir" in
    /*) ;;
    *) target_dir="$repo/$target_dir" ;;
  esac
  TASKMARK_BIN="$target_dir/debug/taskmark"
fi
[ -x "$TASKMARK_BIN" ] || { echo "run.sh: TASKMARK_BIN=$TASKMARK_BIN is not an executable" >&2; exit 1; }
export TASKMARK_BIN
echo "TASKMARK_BIN=$TASKMARK_BIN"

# No __pycache__ or .pytest_cache in the source tree (pytest.ini turns the cache off).
export PYTHONDONTWRITEBYTECODE=1
cd "$repo/tests/pytest"
exec "$venv/bin/python" -m pytest "$@"
