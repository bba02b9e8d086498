#!/usr/bin/env bash
# taskmark.el in a real Emacs (Debian's emacs-nox with elpa-eglot), end to end: a copy of the
# example workspace in a fresh git repository, opened through Eglot; diagnostics, a quick fix
# and a status change (test/taskmark-test.el). Installs Emacs with apt-get when it is missing
# and this runs as root (CI); elsewhere, install emacs-nox and elpa-eglot first.
#
#   TASKMARK_BIN=target/debug/taskmark bash editors/emacs/ci.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
binary="${TASKMARK_BIN:?set TASKMARK_BIN to the taskmark binary}"
if ! command -v emacs >/dev/null || ! ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "editors/emacs/ci.sh: installing emacs-nox and elpa-eglot with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq emacs-nox elpa-eglot >/dev/null
  else
    echo "editors/emacs/ci.sh needs Emacs 28+ with Eglot: apt-get install emacs-nox elpa-eglot" >&2
    exit 1
  fi
fi
emacs --version | head -1
# Debian's ELPA packages (eglot and the project, xref and seq it needs) on the load path.
load=()
for dir in /usr/share/emacs/site-lisp/elpa/*/; do load+=(-L "$dir"); done
workspace="$(mktemp -d)"
private="$(mktemp -d)"
trap 'rm -rf "$workspace" "$private"' EXIT
cp -r "$repo/tests/fixtures/example/." "$workspace/"
git -C "$workspace" init -q
git -C "$workspace" add -A
git -C "$workspace" -c user.name=ci -c user.email=ci@example.com -c commit.gpgsign=false commit -q -m example
chmod 700 "$private"
export TASKMARK_RUNTIME_DIR="$private/run" TASKMARK_STATE_DIR="$private/state"
timeout 180 emacs --batch -Q "${load[@]}" -L "$here" -l "$here/test/taskmark-test.el" "$workspace" "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
