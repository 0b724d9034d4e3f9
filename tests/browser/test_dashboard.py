"""The dashboard in Chromium: every page at desktop and phone width, untrusted text shown as
text, and the stages of a run arriving live over the WebSocket without a reload.

A real ``liturgia serve`` on loopback; records are written through its API with a real token
(the CLI-to-server path is proved in tests/integration/release/test_release_cockpit.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog

from liturgia.release.cockpit import CockpitSender
from liturgia.release.record import ReleaseRecord
from tests.serving import Server, make_token

from .conftest import console_problems, shoot

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
COMMIT = 'fix: handle <img src=x onerror="alert(2)"> & "quotes"'


class Cockpit:
    def __init__(self, tmp_path: Path) -> None:
        self.server = Server(tmp_path / "cockpit" / "log.db", tmp_path)
        self.url = self.server.url

    def token(self, project: str) -> str:
        return make_token(self.server.db, project)


@pytest.fixture
def cockpit(tmp_path: Path) -> Iterator[Cockpit]:
    running = Cockpit(tmp_path)
    yield running
    running.server.stop()


def _record(project: str, version: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "project": project,
        "version": version,
        "decision": "GO",
        "gates": [
            {
                "name": "tests",
                "passed": True,
                "summary": "12 tests, 0 failures",
                "evidence": ["junit.xml: 12 tests"],
                "figure": "12 tests",
                "threshold": ">= 1",
            },
            {
                "name": "vulnerabilities",
                "passed": True,
                "status": "waived",
                "summary": f"waived: {SCRIPT}",
                "evidence": [f"component {SCRIPT}"],
            },
        ],
        "sbom": {"components": 42, "changes": f"+ {SCRIPT} 1.0"},
        "findings": {
            "by_severity": {"HIGH": 1},
            "items": [
                {
                    "id": "GHSA-aaaa-bbbb-cccc",
                    "severity": "HIGH",
                    "package": SCRIPT,
                    "version": "1.0",
                }
            ],
        },
        "tests": {"summary": "12 tests, 0 failures", "passed": True, "coverage": "91.50% line"},
        "artifacts": [{"name": "app-1.0.tar.gz", "sha256": "ab" * 32, "log_index": None}],
        "notes": f"# {project} {version}\n\n- {COMMIT}\n",
    }
    document.update(changes)
    return ReleaseRecord.model_validate(document).model_dump(mode="json")


def _put(cockpit: Cockpit, token: str, record: dict[str, Any], what: str = "") -> None:
    """PUT a release's record (or, with ``what="/rollback"``, its rollback mark): 201."""
    answer = httpx.put(
        f"{cockpit.url}/api/v1/projects/{record['project']}/releases/{record['version']}{what}",
        json=record,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text


def test_untrusted_text_is_shown_never_run(browser: Browser, cockpit: Cockpit) -> None:
    _put(cockpit, cockpit.token("acme"), _record("acme", "1.0.0"))
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[Dialog] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    problems = console_problems(page)
    page.goto(f"{cockpit.url}/projects/acme/releases/1.0.0", wait_until="networkidle")
    assert page.locator(".finding .package").inner_text() == SCRIPT
    assert COMMIT in page.locator("#notes").inner_text()
    assert page.locator(".gate[data-gate=vulnerabilities] .summary").inner_text() == (
        f"waived: {SCRIPT}"
    )
    assert page.locator(".gate[data-gate=vulnerabilities] .result").inner_text() == "WAIVED"
    assert page.locator("script:not([src])").count() == 0  # nothing inline came through
    assert page.locator("img").count() == 0
    page.goto(f"{cockpit.url}/projects/acme", wait_until="networkidle")
    page.goto(f"{cockpit.url}/", wait_until="networkidle")
    assert dialogs == []
    assert not problems, problems
    context.close()


def test_every_page_at_desktop_and_phone_width(
    browser: Browser, cockpit: Cockpit, screenshots: Path
) -> None:
    token = cockpit.token("acme")
    _put(cockpit, token, _record("acme", "1.0.0"))
    _put(cockpit, token, _record("acme", "1.1.0", decision="NO-GO"))
    mark = {
        "project": "acme",
        "version": "1.1.0",
        "rolled_back_at": "2026-12-05T18:00:00Z",
        "reason": "the login service refuses every session token issued before the upgrade",
        "previous": "1.0.0",
    }
    _put(cockpit, token, mark, "/rollback")
    pages = {
        "projects": "/",
        "project": "/projects/acme",
        "release": "/projects/acme/releases/1.1.0",
        "quality": "/projects/acme/quality",
        "log": "/log?q=0",
    }
    for name, path in pages.items():
        shoot(browser, cockpit.url + path, screenshots, name)
        shoot(browser, cockpit.url + path, screenshots, f"{name}-nojs", javascript=False)
    # Readable without JavaScript: the facts are in the server's HTML.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{cockpit.url}/projects/acme")
    rows = page.locator("table.stack tbody tr")
    assert rows.count() == 2
    assert "NO-GO" in rows.nth(0).inner_text() or "NO-GO" in rows.nth(1).inner_text()
    assert page.locator(".rolled-back").count() == 1
    page.goto(f"{cockpit.url}/projects/acme/releases/1.1.0")
    banner = page.locator("#rollback")
    assert "ROLLED BACK" in banner.inner_text() and mark["reason"] in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == "/projects/acme/releases/1.0.0"
    page.goto(f"{cockpit.url}/")
    assert page.locator("td", has_text="acme").count() == 1
    context.close()
    # Every page has a JSON twin.
    for path in pages.values():
        separator = "&" if "?" in path else "?"
        answer = httpx.get(f"{cockpit.url}{path}{separator}format=json", timeout=30)
        assert answer.headers["content-type"] == "application/json", path


def _wait_for_events(cockpit: Cockpit, project: str, count: int) -> None:
    """Wait (up to 60 s) until the project's latest run on the server has ``count`` events."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = httpx.get(f"{cockpit.url}/projects/{project}?format=json", timeout=30)
        if answer.status_code == 200 and len(answer.json()["latestRun"]["events"]) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"the server did not store {count} events of {project} within 60 s")


def test_stages_arrive_live_and_a_no_go_turns_red(browser: Browser, cockpit: Cockpit) -> None:
    token = cockpit.token("live")
    context = browser.new_context()
    page = context.new_page()
    problems = console_problems(page)
    # A project page with no run yet: the first event of a run must still appear.
    sender = CockpitSender(cockpit.url, token, "live")
    sender.stage_started("version")
    sender.stage_finished("version", "2.0.0 (2 commits)")
    # The sender posts from its own thread: open the page once the server has both events
    # (before that the project is unknown and its page is a 404 with no run section).
    _wait_for_events(cockpit, "live", 2)
    page.goto(f"{cockpit.url}/projects/live", wait_until="networkidle")
    page.evaluate("window.__notReloaded = true")
    stages = [("build", "2 artifacts", True), ("test", "1 failed", False), ("gate", "NO-GO", False)]
    for stage, summary, ok in stages:
        sender.stage_started(stage)
        page.wait_for_selector(f'#stages li.running[data-stage="{stage}"]', timeout=30_000)
        sender.stage_finished(stage, summary, ok=ok)
        wanted = "ok" if ok else "bad"
        page.wait_for_selector(f'#stages li.{wanted}[data-stage="{stage}"]', timeout=30_000)
    order = page.locator("#stages li").evaluate_all("items => items.map(i => i.dataset.stage)")
    assert order == ["version", "build", "test", "gate"]
    assert page.locator("#stages li.bad").count() == 2
    assert "nogo-run" in (page.locator("#run").get_attribute("class") or "")
    assert page.evaluate("window.__notReloaded") is True
    assert sender.finish(None).complete
    assert not problems, problems
    context.close()


def test_quality_charts_are_drawn_by_the_vendored_chart_js(
    browser: Browser, cockpit: Cockpit
) -> None:
    token = cockpit.token("acme")
    versions = ["1.0.0", "1.1.0", "1.2.0"]
    for number, version in enumerate(versions):
        tests = {"summary": f"10 tests, {number} failures", "passed": True,
                 "coverage": f"{90 - number}.00% line"}  # fmt: skip
        _put(cockpit, token, _record("acme", version, tests=tests))
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems = console_problems(page)
    page.goto(f"{cockpit.url}/projects/acme/quality", wait_until="networkidle")
    chart = "id => { const c = Chart.getChart(document.getElementById(id)); "
    labels = page.evaluate(f"({chart} return c.data.labels; }})('chart-coverage')")
    assert labels == versions
    coverage = page.evaluate(f"({chart} return c.data.datasets[0].data; }})('chart-coverage')")
    assert coverage == [90.0, 89.0, 88.0]
    passing = page.evaluate(f"({chart} return c.data.datasets[0].data; }})('chart-tests')")
    assert passing == [100.0, 90.0, 80.0]
    stacks = page.evaluate(f"({chart} return c.data.datasets.length; }})('chart-findings')")
    assert stacks == 6
    assert page.evaluate("Chart.version") == "4.6.2"
    assert all(url.startswith(cockpit.url + "/") for url in requested), requested
    assert not problems, problems
    context.close()
