"""``/docs`` in Chromium: Swagger UI served by the server itself, no CDN, no CSP refusal.

A real ``liturgia serve`` on loopback; the page is loaded with JavaScript (Swagger UI lists
every operation of ``/openapi.json``) and without (the server-rendered table does), and every
request the browser makes goes to the server itself.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from tests.integration.server.conftest import Server

from .conftest import console_problems, shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> object:
    running = Server(tmp_path / "log.db", tmp_path)
    yield running
    running.stop()


def _operations(url: str) -> list[str]:
    document = httpx.get(f"{url}/openapi.json", timeout=30).json()
    return sorted(
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
    )


def test_swagger_ui_from_the_server_itself(
    browser: Browser, server: Server, screenshots: Path
) -> None:
    operations = _operations(server.url)
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems = console_problems(page)
    page.goto(f"{server.url}/docs", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    shown = page.locator(".swagger-ui .opblock").count()
    assert shown == len(operations)
    assert (
        page.locator(".swagger-ui .info .title")
        .inner_text()
        .startswith("liturgia transparency log")
    )
    assert requested and all(url.startswith(server.url + "/") for url in requested), requested
    assert not problems, problems
    context.close()
    shoot(browser, f"{server.url}/docs", screenshots, "docs")


def test_docs_readable_without_javascript(
    browser: Browser, server: Server, screenshots: Path
) -> None:
    operations = _operations(server.url)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/docs")
    rows = page.locator("table.operations tbody tr")
    assert rows.count() == len(operations)
    listed = sorted(rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count()))
    assert listed == operations
    assert page.get_by_role("link", name="/openapi.json").count() == 1
    context.close()
    shoot(browser, f"{server.url}/docs", screenshots, "docs-nojs", javascript=False)
