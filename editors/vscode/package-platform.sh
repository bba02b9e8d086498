#!/usr/bin/env bash
# Packages a platform vsix that carries the taskmark server (as rust-analyzer's do): the
# binary goes into the package as server/taskmark (server/taskmark.exe for win32 targets),
# stripped of its debug information, and the extension starts it unless
# `taskmark.server.path` names another one. The result is taskmark-<target>-<version>.vsix
# beside this script.
#
#   bash editors/vscode/package-platform.sh [--target linux-x64] [--binary PATH]
#
# --target: a vsce target (linux-x64, linux-arm64, linux-armhf, alpine-x64, alpine-arm64,
#   darwin-x64, darwin-arm64, win32-x64, win32-arm64); default: this machine's.
# --binary: the taskmark binary built for that target; default: $TASKMARK_BIN, else the
#   repository's target/dist/taskmark (`cargo build --profile dist -p taskmark`: the shipped
#   build, link-time optimised), else its target/release/taskmark.
# Needs node_modules (npm ci; editors/vscode/ci.sh runs it) and python3 (to check the package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$(cd ../.. && pwd)"

fail() { echo "package-platform.sh: $*" >&2; exit 1; }

host_target() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux; if ldd --version 2>&1 | grep -qi musl; then os=alpine; fi ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=win32 ;;
    *) fail "cannot tell this machine's vsce target from $(uname -s); pass --target" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    armv7l) arch=armhf ;;
    *) fail "cannot tell this machine's vsce target from $(uname -m); pass --target" ;;
  esac
  echo "$os-$arch"
}

target=""
default_binary="$ROOT/target/release/taskmark"
[ -x "$ROOT/target/dist/taskmark" ] && default_binary="$ROOT/target/dist/taskmark"
binary="${TASKMARK_BIN:-$default_binary}"
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="${2:?--target needs a value}"; shift 2 ;;
    --target=*) target="${1#--target=}"; shift ;;
    --binary) binary="${2:?--binary needs a value}"; shift 2 ;;
    --binary=*) binary="${1#--binary=}"; shift ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]##*/}"; exit 0 ;;
    *) fail "unknown argument $1 (see --help)" ;;
  esac
done
[ -n "$target" ] || target="$(host_target)"

# The binary must exist and be built for the target (its header: ELF machine, Mach-O, PE).
[ -f "$binary" ] && [ -x "$binary" ] || fail "$binary is not an executable file (cargo build --profile dist -p taskmark, or --binary)"
header="$(od -An -tx1 -N20 "$binary" | tr -d ' \n')"
case "$target" in
  linux-* | alpine-*)
    [ "${header:0:8}" = 7f454c46 ] || fail "$binary is not an ELF executable, not for $target"
    machine="${header:36:4}"
    case "$target" in
      *-x64) [ "$machine" = 3e00 ] || fail "$binary is not an x86-64 executable (ELF machine $machine), not for $target" ;;
      *-arm64) [ "$machine" = b700 ] || fail "$binary is not an aarch64 executable (ELF machine $machine), not for $target" ;;
      *-armhf) [ "$machine" = 2800 ] || fail "$binary is not an arm executable (ELF machine $machine), not for $target" ;;
    esac
    name=taskmark ;;
  darwin-*)
    case "${header:0:8}" in cffaedfe | cafebabe) ;; *) fail "$binary is not a Mach-O executable, not for $target" ;; esac
    name=taskmark ;;
  win32-*)
    [ "${header:0:4}" = 4d5a ] || fail "$binary is not a Windows executable, not for $target"
    name=taskmark.exe ;;
  *) fail "unknown target $target (linux-x64, linux-arm64, linux-armhf, alpine-x64, alpine-arm64, darwin-x64, darwin-arm64, win32-x64, win32-arm64)" ;;
esac

[ -d node_modules ] || fail "no node_modules: run npm ci (or bash editors/vscode/ci.sh) first"

# server/ exists only while vsce packages it: the plain vsix must not pick it up.
rm -rf server
mkdir server
trap 'rm -rf server' EXIT
cp "$binary" "server/$name"
chmod 755 "server/$name"
# The release and dist profiles keep line tables (for backtraces): 97 MB instead of 15 MB. The package
# gets a stripped copy when this machine's strip reads the target's format.
if command -v strip >/dev/null && strip "server/$name" 2>/dev/null; then
  stripped=" (stripped)"
else
  cp "$binary" "server/$name"
  chmod 755 "server/$name"
  stripped=""
fi

version="$(node -p 'require("./package.json").version')"
vsix="taskmark-$target-$version.vsix"
rm -f "$vsix"
# (vsce runs `vscode:prepublish`, the bundle, first.)
if ! output="$(npx --no-install vsce package --target "$target" --out "$vsix" \
  --allow-missing-repository --no-dependencies --no-rewrite-relative-links 2>&1)"; then
  echo "$output" >&2
  fail "vsce package --target $target failed"
fi

# The package carries the binary, executable, and nothing from images/.
python3 - "$vsix" "extension/server/$name" <<'EOF'
import sys, zipfile
vsix, wanted = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(vsix) as package:
    names = package.namelist()
    if wanted not in names:
        sys.exit(f"package-platform.sh: {vsix} has no {wanted}: {names}")
    mode = package.getinfo(wanted).external_attr >> 16
    if not mode & 0o111:
        sys.exit(f"package-platform.sh: {wanted} in {vsix} is not executable (mode {oct(mode)})")
    images = [name for name in names if name.startswith("extension/images/")]
    if images:
        sys.exit(f"package-platform.sh: {vsix} packages images: {images}")
EOF
echo "editors/vscode: $vsix ($(du -k "$vsix" | cut -f1) KiB) with $(basename "$binary")$stripped ($(du -k "server/$name" | cut -f1) KiB)"
