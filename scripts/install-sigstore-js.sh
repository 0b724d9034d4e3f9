#!/usr/bin/env bash
# Installs sigstore-js, the independent verifier of our bundles, into DIR (default: .peers/sigstore-js
# in the project, git-ignored): the exact package tree pinned by scripts/peers/sigstore-js/
# package-lock.json, from the npm registry, plus our driver verify.js. Needs node and npm (Debian
# nodejs, npm). Idempotent: a folder already holding this lockfile's tree is left as it is.
# Then: node DIR/verify.js BUNDLE TRUSTED_ROOT KEY_PEM [ARTIFACT] [--tlog N] [--ts N]
# Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(bash "$HERE/install-npm-peer.sh" sigstore-js node_modules/@sigstore/verify "$@")"
cp "$HERE/peers/sigstore-js/verify.js" "$DIR/verify.js"
echo "$DIR"
