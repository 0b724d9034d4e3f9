"""Chromium (Debian's ``chromium``, driven by Playwright for Python) and a real server.

The browser is the one ``scripts/test.sh`` installs with apt (``/usr/bin/chromium``); Playwright
never downloads one here. Screenshots go to ``$LITURGIA_SCREENSHOTS`` when set, else to
``screenshots/`` under the test run's base temporary folder; each test names its files after
the page and the width (``desktop`` 1280 px, ``phone`` 390 px).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page

from tests.chromium import chromium

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope, not session: Playwright's sync API keeps an asyncio loop running in the
    # main thread while it is started, and later tests' ``asyncio.run``/``anyio.run`` refuse
    # to run beside it ("Already running asyncio in this thread").
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(
        os.environ.get("LITURGIA_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(browser: Browser, url: str, folder: Path, name: str, *, javascript: bool = True) -> None:
    """Screenshot ``url`` (full page) at each width of :data:`WIDTHS` into ``folder``."""
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        page.screenshot(path=str(folder / f"{name}-{width_name}.png"), full_page=True)
        context.close()


def console_problems(page: Page) -> list[str]:
    """Collect the page's console errors and CSP refusals as they happen (a live list)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def dialogs_of(page: Page) -> list[str]:
    """Dismiss every dialog the page opens (``alert``...), collecting its message (a live
    list: empty while no script of the page's content ran)."""
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened
