"""The quality page charts the load p95, the error rate and the chaos availability.

Records with and without those figures are written through a real server's API with a real
token; Chromium draws the page with the vendored Chart.js: each chart holds the records'
figures (a gap where a release has none), the table says the same, and the page is
screenshotted at desktop and phone width.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from .conftest import console_problems, shoot
from .test_dashboard import Cockpit, _put, _record, cockpit

__all__ = ["cockpit"]

pytestmark = pytest.mark.browser

FIGURES = {
    "1.0.0": {"load_p95_ms": 180.0, "error_rate_percent": 0.2, "chaos_availability_percent": 99.9},
    "1.1.0": None,  # a release whose gate had no load or chaos check
    "1.2.0": {"load_p95_ms": 240.5, "error_rate_percent": 1.25, "chaos_availability_percent": 99.5},
}


def test_load_and_chaos_figures_are_charted(
    browser: Browser, cockpit: Cockpit, screenshots: Path
) -> None:
    token = cockpit.token("acme")
    for version, figures in FIGURES.items():
        changes = {} if figures is None else {"resilience": figures}
        _put(cockpit, token, _record("acme", version, **changes))
    context = browser.new_context()
    page = context.new_page()
    problems = console_problems(page)
    page.goto(f"{cockpit.url}/projects/acme/quality", wait_until="networkidle")
    chart = "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data"
    assert page.evaluate(f"({chart})('chart-latency')") == [180.0, None, 240.5]
    assert page.evaluate(f"({chart})('chart-errors')") == [0.2, None, 1.25]
    assert page.evaluate(f"({chart})('chart-availability')") == [99.9, None, 99.5]
    assert page.locator("td.load-p95").all_inner_texts() == ["180 ms", "", "240.5 ms"]
    assert page.locator("td.error-rate").all_inner_texts() == ["0.20%", "", "1.25%"]
    assert page.locator("td.availability").all_inner_texts() == ["99.90%", "", "99.50%"]
    assert not problems, problems
    context.close()
    twin = httpx.get(f"{cockpit.url}/projects/acme/quality?format=json", timeout=30).json()
    assert [r["loadP95Ms"] for r in twin["releases"]] == [180.0, None, 240.5]
    shoot(browser, f"{cockpit.url}/projects/acme/quality", screenshots, "quality-resilience")
