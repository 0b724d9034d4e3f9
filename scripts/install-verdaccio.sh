#!/usr/bin/env bash
# Installs verdaccio, the npm registry the publish tests start on loopback, into DIR (default:
# .peers/verdaccio, git-ignored): the tree pinned by scripts/peers/verdaccio/package-lock.json.
# Then: node DIR/node_modules/verdaccio/bin/verdaccio -c CONFIG -l 127.0.0.1:PORT
# Prints DIR on success.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
exec bash "$HERE/install-npm-peer.sh" verdaccio node_modules/verdaccio/bin/verdaccio "$@"
