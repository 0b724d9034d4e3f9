"""The vendored charting library is the npm package's file, byte for byte, with its licence."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import ROOT

VENDOR = ROOT / "src" / "liturgia" / "server" / "static" / "vendor"


def test_chart_js_is_the_pinned_npm_file() -> None:
    script = (ROOT / "scripts" / "vendor-assets.sh").read_text()
    pinned = re.search(r"^SHA256=([0-9a-f]{64})$", script, re.M)
    version = re.search(r"^VERSION=(\S+)$", script, re.M)
    assert pinned and version
    body = (VENDOR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(body).hexdigest() == pinned[1]
    assert f"Chart.js v{version[1]}".encode() in body[:200]
    assert "MIT License" in (VENDOR / "chart.js-LICENSE.md").read_text()
