#!/usr/bin/env bash
# A new user's first minutes, timed: from the wheel to taskmark's diagnostics in Neovim through
# one package-manager command (`pipx install`) and the plugin (`setup({})`), with no Rust and no
# taskmark on PATH before. Prints the wall time from the install's start to the first
# diagnostics of the bundled example's TODO.md. pipx itself and Neovim are the user's (installed
# first, not timed).
#
#   bash tests/dist/first-diagnostics.sh path/to/taskmark-*.whl [path/to/nvim]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
wheel="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
nvim="${2:-$repo/target/pytest-venv/bin/nvim}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 -m venv "$scratch/tools"
"$scratch/tools/bin/pip" install --quiet pipx
cp -r "$repo/tests/fixtures/example" "$scratch/project"
mkdir -p "$scratch/home"

export HOME="$scratch/home" PIPX_HOME="$scratch/pipx" PIPX_BIN_DIR="$scratch/bin"
export XDG_STATE_HOME="$scratch/state" XDG_RUNTIME_DIR="$scratch/run" XDG_CACHE_HOME="$scratch/cache"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PATH="$scratch/bin:/usr/bin:/bin"
if command -v cargo >/dev/null || command -v taskmark >/dev/null; then
  echo "cargo or taskmark is on PATH before the install" >&2
  exit 1
fi

start=$(date +%s%N)
"$scratch/tools/bin/pipx" install --quiet "$wheel"
installed=$(date +%s%N)
cd "$scratch/project"
result="$("$nvim" --headless -u NONE -i NONE \
  --cmd 'filetype on' --cmd "set runtimepath^=$repo/editors/neovim" \
  -c "lua require('taskmark').setup({})" \
  -c 'edit specs/TODO.md' \
  -c "lua local ok = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 20); io.stdout:write(ok and #vim.diagnostic.get(0) or 0, '\n')" \
  -c 'qa!' 2>&1 | tail -1)"
done=$(date +%s%N)
echo "pipx install: $(( (installed - start) / 1000000 )) ms; Neovim to the first diagnostics: $(( (done - installed) / 1000000 )) ms; in all $(( (done - start) / 1000000 )) ms; $result diagnostics in specs/TODO.md"
if ! [ "$result" -gt 0 ] 2>/dev/null; then
  echo "no diagnostics in Neovim" >&2
  exit 1
fi
if [ $(( (done - start) / 1000000 )) -ge 120000 ]; then
  echo "over two minutes from nothing to diagnostics" >&2
  exit 1
fi
