#!/usr/bin/env bash
# Validates the repository's GitHub workflows (.github/workflows) and the GitHub Action
# (editors/github-action/action.yml) against GitHub's schemas with action-validator (npm,
# pinned), installed under target/. (actionlint itself cannot be installed here: its PyPI
# package downloads the binary from GitHub at build time, and only package registries are
# reachable.)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
command -v npm >/dev/null || { echo "tests/workflows/lint.sh needs node and npm" >&2; exit 1; }
tools="$repo/target/workflow-lint"
if [ ! -x "$tools/node_modules/.bin/action-validator" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --no-save --prefix . @action-validator/cli@0.6.0 @action-validator/core@0.6.0 >/dev/null)
fi
status=0
for file in .github/workflows/*.yml editors/github-action/action.yml; do
  if "$tools/node_modules/.bin/action-validator" "$file"; then
    echo "ok $file"
  else
    echo "invalid: $file" >&2
    status=1
  fi
done
# A workflow that is wrong must fail, or the check above checks nothing.
broken="$(mktemp --suffix .yml)"
trap 'rm -f "$broken"' EXIT
printf 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n' > "$broken"
if "$tools/node_modules/.bin/action-validator" "$broken" >/dev/null 2>&1; then
  echo "action-validator accepted a broken workflow" >&2
  status=1
fi
exit $status
