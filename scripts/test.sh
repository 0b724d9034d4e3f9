#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine and runs it (the README's second
# command). Idempotent: a second run reuses .venv and installed packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: git (real repositories in temporary folders).
need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
if ((${#need_apt[@]})); then
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need_apt[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# Line and branch coverage of the package must stay at or above 85 %.
exec .venv/bin/python -m pytest -p no:cacheprovider \
  --cov=liturgia --cov-branch --cov-report=term --cov-report=xml:coverage.xml \
  --cov-fail-under=85 "$@"
