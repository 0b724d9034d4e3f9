"""gate-report.html in Chromium: readable at desktop and phone width, loads nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request

from liturgia.release.gates import render_gate_html
from tests.unit.release.test_gate_report_formats import REPORT

from .conftest import WIDTHS, console_problems, shoot

pytestmark = pytest.mark.browser


def test_gate_report_page(browser: Browser, screenshots: Path, tmp_path: Path) -> None:
    page_file = tmp_path / "gate-report.html"
    page_file.write_text(render_gate_html(REPORT), encoding="utf-8")
    url = page_file.as_uri()
    requests: list[str] = []
    for width, height in WIDTHS.values():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        requests.clear()
        page.on("request", lambda request: _record(requests, request))
        problems = console_problems(page)
        page.goto(url, wait_until="networkidle")
        assert requests == [url]  # the page itself, nothing else
        assert problems == []
        assert page.locator(".decision").inner_text() == "NO-GO"
        # Nothing wider than the screen: the digests and long evidence wrap.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("section.check").count() == len(REPORT.checks)
        context.close()
    shoot(browser, url, screenshots, "gate-report", javascript=False)
    for name in WIDTHS:
        assert (screenshots / f"gate-report-{name}.png").stat().st_size > 10_000


def _record(requests: list[str], request: Request) -> None:
    requests.append(request.url)
