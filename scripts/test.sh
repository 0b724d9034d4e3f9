#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine and runs it (the README's second
# command). Idempotent: a second run reuses .venv and installed packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (real components, never mocks):
#   git         real repositories in temporary folders
#   postgresql  a throwaway cluster for the transparency log's PostgreSQL backend
#   softhsm2    a PKCS#11 token for the HSM signer
#   nodejs npm  sigstore-js, the independent verifier of our bundles
#   openssl     private keys as `openssl ec -aes256` writes them, for `keys import`
#   chromium    the browser the server's pages are tested in (Playwright drives it; it never
#               downloads a browser of its own)
#   prometheus  scrapes `liturgia serve`'s /metrics in the metrics test
#   docker-registry  the CNCF distribution registry (2.8) the OCI publish target is tested against
#   apache2-utils    its `htpasswd -B` makes the bcrypt password file of the registry with auth
#   curl        fetches the log key in docs/adopting.md's transparency-log example
# and, through scripts/install-example-tools.sh (one apt-get for all), the example's toolchains:
# golang-go with Debian's Go source packages (also the Go commands `liturgia init` writes, run
# for real), nodejs and npm.
need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  || need_apt+=(postgresql)
command -v softhsm2-util >/dev/null 2>&1 || need_apt+=(softhsm2)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
bash scripts/install-example-tools.sh "${need_apt[@]}"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# Line and branch coverage of the package must stay at or above 85 %.
exec .venv/bin/python -m pytest -p no:cacheprovider \
  --cov=liturgia --cov-branch --cov-report=term --cov-report=xml:coverage.xml \
  --cov-fail-under=85 "$@"
