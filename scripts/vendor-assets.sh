#!/usr/bin/env bash
# Vendors the dashboard's charting library from its npm package, verified, into the package's
# static files (served by `liturgia serve` itself: no CDN). Run it to upgrade; the test suite
# checks the committed file against the digest pinned here.
#   chart.js 4.6.2 (MIT, https://www.chartjs.org): dist/chart.umd.min.js and LICENSE.md
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.6.2
SHA256=3f288f4f26882c26b58931fb586a9b4f30370b5de38d69dc005b0bd05b08e113
dest=src/liturgia/server/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "chart.js@$VERSION" >/dev/null && tar xzf "chart.js-$VERSION.tgz")
echo "$SHA256  $work/package/dist/chart.umd.min.js" | sha256sum --check --quiet
mkdir -p "$dest"
cp "$work/package/dist/chart.umd.min.js" "$dest/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$dest/chart.js-LICENSE.md"
echo "vendored chart.js $VERSION into $dest"
