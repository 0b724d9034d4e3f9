#!/usr/bin/env bash
# Installs sigstore-js, the independent verifier of our bundles, into DIR (default: .peers/sigstore-js
# in the project, git-ignored): the exact package tree pinned by scripts/peers/sigstore-js/
# package-lock.json, from the npm registry, plus our driver verify.js. Needs node and npm (Debian
# nodejs, npm). Idempotent: a folder already holding this lockfile's tree is left as it is.
# Then: node DIR/verify.js BUNDLE TRUSTED_ROOT KEY_PEM [ARTIFACT] [--tlog N] [--ts N]
# Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SOURCE="$HERE/peers/sigstore-js"
DIR="${1:-$HERE/../.peers/sigstore-js}"
for tool in node npm flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-sigstore-js: $tool not found (apt-get install nodejs npm util-linux)" >&2; exit 2; }
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
# One installer at a time per folder (parallel test sessions share it).
exec 9>"$DIR/.install.lock"
flock 9
if ! cmp -s "$SOURCE/package-lock.json" "$DIR/package-lock.json" \
    || [ ! -d "$DIR/node_modules/@sigstore/verify" ]; then
  rm -rf "$DIR/node_modules"
  cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$SOURCE/verify.js" "$DIR/verify.js"
echo "$DIR"
