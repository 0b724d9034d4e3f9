"""Untrusted text from a real release is shown as text; its load and chaos figures are charted.

A real ``liturgia serve`` on loopback and two real ``liturgia release`` processes of a copy of
examples/vertice in a git repository in tmp. The first (tagged) is the SBOM the second is
compared with. Before the second, the front end's lockfile gains a package named
``<script>alert(1)</script>``, the commit's subject carries HTML, and the policy gains a
``load`` check (a k6 summary) and a ``chaos`` check (a ``liturgia chaos report`` twin). In
Chromium the release page shows the name and the subject as text (no dialog, no element made
of them, the DOM text equal to the input), and the quality page charts the figures the gate
measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.integration.release.conftest import commit_all, vertice_repo
from tests.serving import Server, make_token
from tests.unit.release.test_gate_policy import K6_SUMMARY, _chaos_twin

from .conftest import console_problems, dialogs_of, shoot

pytestmark = pytest.mark.browser

NAME = "<script>alert(1)</script>"
SUBJECT = 'fix: handle <img src=x onerror="alert(2)"> & "quotes"'
#: The built-in golden rule's checks, then a chaos and a load check.
POLICY = "".join(
    f'\n[[gates.checks]]\nkind = "{kind}"\n'
    for kind in ("tests", "coverage", "vulnerabilities", "sbom", "inputs", "signatures",
                 "changelog", "chaos")
) + (
    '[[gates.checks]]\nkind = "load"\nreport = "perf/k6.json"\nformat = "k6"\n'
    "p95_ms = 300\nmax_error_rate = 1\n"
)  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "cockpit" / "log.db", tmp_path)
    yield running
    running.stop()


def _release(repo: Path, server: Server, env: dict[str, str], *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "liturgia", "release", "--project", str(repo), "--server",
         server.url, "--format", "json", *extra],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "record not sent" not in done.stderr, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _hostile_lockfile(repo: Path) -> None:
    """A production package whose lockfile ``name`` is a script element."""
    lockfile = repo / "frontend" / "package-lock.json"
    document = json.loads(lockfile.read_text())
    document["packages"]["node_modules/hostile"] = {
        "name": NAME,
        "version": "1.0.0",
        "license": "MIT",
    }
    lockfile.write_text(json.dumps(document, indent=2) + "\n")


def test_a_real_release_shows_untrusted_text_as_text_and_charts_its_figures(
    browser: Browser, server: Server, tmp_path: Path, screenshots: Path
) -> None:
    env = {
        **os.environ,
        "LITURGIA_TOKEN": make_token(server.db, "vertice"),
        "LITURGIA_KEY": str(tmp_path / "keys" / "release.key"),
        "LITURGIA_PASSWORD": "correct horse",
        "SOURCE_DATE_EPOCH": "1764400000",
        "LITURGIA_PYTHON": sys.executable,  # the example's build and test tools
    }
    repo = vertice_repo(tmp_path / "vertice")
    first = _release(repo, server, env)  # tagged: the SBOM the next release is compared with
    _hostile_lockfile(repo)
    (repo / "perf").mkdir()
    (repo / "perf" / "k6.json").write_text(json.dumps(K6_SUMMARY))  # p95 210.5 ms, 0.30 %
    (repo / "docs" / "chaos").mkdir(parents=True)
    (repo / "docs" / "chaos" / "report.json").write_text(_chaos_twin(0.995, 0))  # 99.75 %
    config = repo / "liturgia.toml"
    config.write_text(config.read_text() + POLICY)
    commit_all(repo, SUBJECT)
    second = _release(repo, server, env, "--dry-run")
    version = str(second["version"])
    assert version != str(first["version"])
    names = [check["name"] for check in second["checks"]]  # type: ignore[attr-defined]
    assert names[-3:] == ["chaos", "load", "cockpit"]

    context = browser.new_context()
    page = context.new_page()
    dialogs, problems = dialogs_of(page), console_problems(page)
    page.goto(f"{server.url}/projects/vertice/releases/{version}", wait_until="networkidle")
    added = page.locator("pre.changes").inner_text().splitlines()
    assert f"- {NAME} 1.0.0" in added, added  # the lockfile's name, as text
    notes = page.locator("#notes").inner_text()
    assert SUBJECT.removeprefix("fix: ") in notes, notes  # the commit's subject, as text
    assert page.locator("script:not([src])").count() == 0  # nothing inline came through
    assert page.locator("img").count() == 0
    page.goto(f"{server.url}/projects/vertice", wait_until="networkidle")
    page.goto(f"{server.url}/projects/vertice/quality", wait_until="networkidle")
    chart = "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data"
    assert page.evaluate(f"({chart})('chart-latency')") == [None, 210.5]
    assert page.evaluate(f"({chart})('chart-errors')") == [None, 0.3]
    assert page.evaluate(f"({chart})('chart-availability')") == [None, 99.75]
    assert dialogs == []
    assert not problems, problems
    context.close()
    shoot(browser, f"{server.url}/projects/vertice/releases/{version}", screenshots, "hostile")
    shoot(browser, f"{server.url}/projects/vertice/quality", screenshots, "quality-real")
