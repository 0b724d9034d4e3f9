#!/usr/bin/env bash
# Fails (exit 1) when a file under src/, tests/, benchmarks/, scripts/ or .ci/ reads the
# workplace folder beside the project (its corpus and peers), which only the original workplace
# has. A fresh clone has no such folder: fixtures belong under tests/fixtures (with their licence
# notice), peers are installed by scripts/install-*.sh. Run from anywhere; checks this project.
# Exit 2 when grep itself fails (nothing can be told).
set -euo pipefail
cd "$(dirname "$0")/.."
# The folder's name, kept in one variable so that this script names no path outside the project.
folder="${LITURGIA_WORKPLACE_FOLDER:-shared}"
# ../<folder>, an absolute /work/<folder>, <folder>/corpus or <folder>/peers, or a path join
# with a "<folder>" component (ROOT.parent / "<folder>").
q="[\"']"
pattern="\\.\\./${folder}|/work/${folder}|${folder}/(corpus|peers)|/[[:space:]]*${q}${folder}${q}|${q}${folder}${q}[[:space:]]*/"
status=0
found="$(grep -rInE --exclude-dir=.venv --exclude-dir=node_modules --exclude-dir=__pycache__ \
  "$pattern" src tests benchmarks scripts .ci)" || status=$?
if [ "$status" -gt 1 ]; then
  echo "check-self-contained: grep failed (exit $status); cannot tell" >&2
  exit 2
fi
if [ -n "$found" ]; then
  echo "not self-contained: these lines read the workplace folder beside the project, which a" >&2
  echo "fresh clone does not have; copy the fixture under tests/fixtures (with its licence" >&2
  echo "notice) or install the peer with scripts/install-*.sh:" >&2
  printf '%s\n' "$found" >&2
  exit 1
fi
echo "self-contained: nothing under src tests benchmarks scripts .ci reads the workplace folder"
