#!/usr/bin/env bash
# Installs, from Debian, the toolchains the bundled example (examples/vertice) is released with,
# when they are missing: its Go command is built offline (GOPROXY=off) from Debian's Go source
# packages, its front end with npm. The README's first command runs this; scripts/test.sh
# passes the packages the tests need too, so that one `apt-get install` does both.
#   golang-go                       the Go toolchain
#   golang-github-spf13-pflag-dev   Go modules the example's command imports (its go.debian.mod
#   golang-gopkg-yaml.v2-dev        replaces them with these source folders)
#   nodejs npm                      the front end's `npm ci` and TypeScript build
# Usage: bash scripts/install-example-tools.sh [MORE_DEBIAN_PACKAGES...]
# Idempotent: nothing is installed when everything is present.
set -euo pipefail

need_apt=("$@")
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
[ -d /usr/share/gocode/src/github.com/spf13/pflag ] || need_apt+=(golang-github-spf13-pflag-dev)
[ -d /usr/share/gocode/src/gopkg.in/yaml.v2 ] || need_apt+=(golang-gopkg-yaml.v2-dev)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install these Debian packages first (as root): apt-get install ${need_apt[*]}" >&2
    exit 2
  fi
  echo "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    "${need_apt[@]}" >/dev/null
fi
