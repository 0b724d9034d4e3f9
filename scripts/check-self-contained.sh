#!/usr/bin/env bash
# Fails (exit 1) when a file under src/, tests/, benchmarks/, scripts/ or .ci/ reads the folder
# beside the project that only the original workplace has ("../shared": its corpus and peers).
# A fresh clone has no such folder: fixtures belong under tests/fixtures (with their licence
# notice), peers are installed by scripts/install-*.sh. Run from anywhere; checks this project.
set -euo pipefail
cd "$(dirname "$0")/.."
# ../shared, an absolute /work/shared, shared/corpus or shared/peers, or a path join with a
# "shared" component (ROOT.parent / "shared").
pattern='\.\./shared|/work/shared|shared/(corpus|peers)|/[[:space:]]*["'"'"']shared["'"'"']|["'"'"']shared["'"'"'][[:space:]]*/'
self="scripts/$(basename "$0")"
status=0
found="$(grep -rInE --exclude-dir=.venv --exclude-dir=node_modules --exclude-dir=__pycache__ \
  "$pattern" src tests benchmarks scripts .ci)" || status=$?
if [ "$status" -gt 1 ]; then
  echo "check-self-contained: grep failed (exit $status); cannot tell" >&2
  exit 2
fi
hits="$(printf '%s\n' "$found" | grep -v -e "^$self:" -e '^$' || true)"
if [ -n "$hits" ]; then
  echo "not self-contained: these lines read ../shared, which a fresh clone does not have;" >&2
  echo "copy the fixture under tests/fixtures (with its licence notice) or install the peer" >&2
  echo "with scripts/install-*.sh:" >&2
  printf '%s\n' "$hits" >&2
  exit 1
fi
echo "self-contained: nothing under src tests benchmarks scripts .ci reads ../shared"
