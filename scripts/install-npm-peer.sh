#!/usr/bin/env bash
# Installs the npm package tree pinned by scripts/peers/NAME/package-lock.json, from the npm
# registry, into DIR (default: .peers/NAME in the project, git-ignored). CHECK is a path under
# DIR that the installed tree must hold (e.g. node_modules/verdaccio/bin/verdaccio). Needs node,
# npm (Debian nodejs, npm) and flock. Idempotent: a folder already holding this lockfile's tree
# is left as it is; one installer at a time per folder (parallel test sessions share it).
# Usage: install-npm-peer.sh NAME CHECK [DIR]. Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
NAME="$1"
CHECK="$2"
SOURCE="$HERE/peers/$NAME"
DIR="${3:-$HERE/../.peers/$NAME}"
for tool in node npm flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-$NAME: $tool not found (apt-get install nodejs npm util-linux)" >&2; exit 2; }
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
exec 9>"$DIR/.install.lock"
flock 9
if ! cmp -s "$SOURCE/package-lock.json" "$DIR/package-lock.json" || [ ! -e "$DIR/$CHECK" ]; then
  rm -rf "$DIR/node_modules"
  cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "$DIR"
