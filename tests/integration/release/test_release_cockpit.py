"""``liturgia release --server``: a real release of examples/vertice sent to a real server.

``liturgia serve`` runs on a free loopback port (its log also records the release's bundles,
``--tlog-url``); a token is made with ``liturgia serve token create``; the release's events
and record arrive, and the stored record agrees with the release folder: every gate of
gate-report.json with the same result, the findings of vulnerabilities.json, each digest of
SHA256SUMS, each log index naming an entry whose inclusion proof verifies. A server that is
down is a failed "cockpit" row of the gate report: advisory (the release still succeeds, with a
warning), unless ``[server] required = true`` (then blocking: NO-GO).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from liturgia.cli import main
from liturgia.release.checksums import parse_sha256sums
from liturgia.release.cockpit import CockpitSender
from liturgia.tlog import rekor
from tests.chromium import chromium
from tests.integration.release.conftest import commit_all
from tests.serving import HOST, Server, make_token


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "cockpit" / "log.db", tmp_path)
    yield running
    running.stop()


def _token(server: Server, project: str) -> str:
    return make_token(server.db, project)


def _release(repo: Path, *extra: str) -> tuple[int, str]:
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json", *extra])
    return code, str(repo / "dist")


@pytest.mark.browser
def test_release_record_reaches_the_server(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_vertice()
    monkeypatch.setenv("LITURGIA_TOKEN", _token(server, "vertice"))
    code, _ = _release(repo, "--server", server.url, "--tlog-url", server.url)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "record not sent" not in out.err
    folder = Path(json.loads(out.out)["directory"])

    with httpx.Client(base_url=server.url, timeout=30) as client:
        projects = client.get("/api/v1/projects").json()
        assert projects[0]["name"] == "vertice"
        assert projects[0]["latest"]["decision"] == "GO"
        version = projects[0]["latest"]["version"]
        release = client.get(f"/api/v1/projects/vertice/releases/{version}").json()
        record = release["record"]
        # Every gate of gate-report.json, with the same result and summary.
        report = json.loads((folder / "gate-report.json").read_text())
        assert report["checks"][-1]["name"] == "cockpit"  # the server took every event
        assert report["checks"][-1]["status"] == "pass"
        assert [(g["name"], g["passed"], g["summary"]) for g in record["gates"]] == [
            (c["name"], c["passed"], c["summary"]) for c in report["checks"]
        ]
        vulnerabilities = json.loads((folder / "vulnerabilities.json").read_text())
        unsuppressed = [f for f in vulnerabilities["findings"] if not f["suppressed"]]
        assert len(record["findings"]["items"]) == len(unsuppressed)
        sums = parse_sha256sums((folder / "SHA256SUMS").read_text())
        assert {a["name"]: a["sha256"] for a in record["artifacts"]} == sums
        # Each logged artifact's index opens its entry in this server's log, and it verifies.
        key_pem = client.get("/api/v1/log/publicKey").content
        log_key = serialization.load_pem_public_key(key_pem)
        logged = [a for a in record["artifacts"] if a["log_index"] is not None]
        assert {a["name"] for a in logged} >= {n for n in sums if n.endswith((".whl", ".tar.gz"))}
        tree_id = client.get("/api/v1/log").json()["treeID"]
        for artifact in logged:
            answer = client.get("/api/v1/log/entries", params={"logIndex": artifact["log_index"]})
            entry = rekor.LogEntry.from_api_json(answer.json())
            rekor.verify_log_entry(
                entry,
                log_key,
                key_name=HOST,
                origin=f"{HOST} - {tree_id}",  # type: ignore[arg-type]
            )
        # The same, as a person sees it in Chromium.
        _check_in_browser(server.url, version, report, record, sums)
        # Every stage started and finished, in order, in the run's events.
        stages = [(e["stage"], e["kind"]) for e in release["events"]]
        assert stages[:2] == [("version", "stage-started"), ("version", "stage-finished")]
        assert ("gate", "stage-finished") in stages and len(stages) % 2 == 0
        assert [e["seq"] for e in release["events"]] == list(range(1, len(stages) + 1))


def test_a_server_that_is_down_is_a_gate_report_line(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A real server, with a real token of the project, stopped before the release: the gate
    report gets a failed "cockpit" row, advisory (the release is GO, with a warning), then,
    with ``[server] required = true``, blocking (NO-GO, exit 1)."""
    repo = make_vertice()
    monkeypatch.setenv("LITURGIA_TOKEN", _token(server, "vertice"))
    url = server.url
    assert server.stop() == 0
    monkeypatch.setenv("LITURGIA_SERVER_DEADLINE", "2")  # the gate waits 2 s for the server
    code, _ = _release(repo, "--server", url)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"warning: record not sent to {url}" in out.err
    folder = Path(json.loads(out.out)["directory"])
    report = json.loads((folder / "gate-report.json").read_text())
    assert report["decision"] == "GO"
    row = report["checks"][-1]
    assert (row["name"], row["status"], row["severity"]) == ("cockpit", "fail", "advisory")
    assert row["summary"].startswith(f"record not sent: {url} took 0 of ")
    assert row["evidence"][-1] == "[server].required = false: advisory"
    assert re.fullmatch(r"\d+ event\(s\) still unsent, last error: .*", row["evidence"][0])
    assert row["evidence"][0].endswith(
        f"{url}: unreachable: [Errno 111] Connection refused after 5 attempts"
    )
    assert (
        "| cockpit | FAIL (advisory) | record not sent: " in (folder / "gate-report.md").read_text()
    )
    # With [server] required = true the same server being down makes the release NO-GO.
    config = repo / "liturgia.toml"
    config.write_text(config.read_text() + f'\n[server]\nurl = "{url}"\nrequired = true\n')
    commit_all(repo, "chore: require the cockpit")
    code, _ = _release(repo)
    out = capsys.readouterr()
    assert code == 1, out.err
    folder = Path(json.loads(out.out)["directory"])
    report = json.loads((folder / "gate-report.json").read_text())
    assert report["decision"] == "NO-GO"
    row = report["checks"][-1]
    assert (row["name"], row["status"], row["severity"]) == ("cockpit", "fail", "blocking")
    assert row["evidence"][-1] == "[server].required = true: blocking"
    assert (folder / "NO-GO").read_text() == "NO-GO: failed checks: cockpit\n"
    assert "[server].required is true" not in out.err  # the gate said it: no exit 3


def _check_in_browser(
    url: str, version: str, report: dict[str, Any], record: dict[str, Any], sums: dict[str, str]
) -> None:
    """The dashboard lists the release with its version and GO; its page shows every gate of
    gate-report.json with the same result, the findings count, each digest of SHA256SUMS, and
    each log link opens the entry at that index."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{url}/", wait_until="networkidle")
        row = page.locator("table.stack tbody tr", has_text="vertice")
        assert version in row.inner_text() and "GO" in row.inner_text()
        row.get_by_role("link", name=version).click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#decision").inner_text() == report["decision"]
        shown = {
            page.locator(".gate").nth(i).get_attribute("data-gate"): page.locator(".gate")
            .nth(i)
            .locator(".result")
            .inner_text()
            for i in range(page.locator(".gate").count())
        }
        assert shown == {
            c["name"]: c.get("status", "pass" if c["passed"] else "fail").upper()
            for c in report["checks"]
        }
        assert int(page.locator("#findings-total").inner_text()) == len(record["findings"]["items"])
        digests = page.locator(".artifact .digest").all_inner_texts()
        assert sorted(digests) == sorted(sums.values())
        links = page.locator("a.log-link")
        targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert len(targets) == len([a for a in record["artifacts"] if a["log_index"] is not None])
        for target in targets:
            page.goto(f"{url}{target}", wait_until="networkidle")
            assert page.locator("#entry-index").inner_text() == str(target).split("=")[1]


@pytest.mark.browser
def test_a_no_go_release_turns_red_live(
    make_vertice: Callable[[], Path], signing_env: Path, server: Server
) -> None:
    """With the project page open, a real release (a vulnerable pin) runs in another process:
    its stages appear in order without a reload, and the NO-GO gate turns the run red."""
    repo = make_vertice()
    requirements = repo / "backend" / "requirements.txt"
    # PYSEC-2018-28: requests < 2.20.0 (as test_release_nogo.py).
    requirements.write_text(
        requirements.read_text().replace("requests==2.32.3", "requests==2.19.0")
    )
    commit_all(repo, "fix(deps): pin requests")
    token = _token(server, "vertice")
    # A first event, so that the project page exists before the release starts.
    warm = CockpitSender(server.url, token, "vertice")
    warm.stage_started("warm-up")
    assert warm.finish(None).complete
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/projects/vertice", wait_until="networkidle")
        page.evaluate("window.__notReloaded = true")
        env = {**os.environ, "LITURGIA_TOKEN": token}
        release = subprocess.Popen(
            [sys.executable, "-m", "liturgia", "release", "--dry-run", "--project", str(repo),
             "--server", server.url],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            page.wait_for_selector('#stages li.bad[data-stage="gate"]', timeout=240_000)
        finally:
            _, err = release.communicate(timeout=240)
        assert release.returncode == 1, err
        order = page.locator("#stages li").evaluate_all("i => i.map(x => x.dataset.stage)")
        assert order[:4] == ["version", "preflight", "build", "test"]
        assert order.index("gate") > order.index("scan")
        assert "nogo-run" in (page.locator("#run").get_attribute("class") or "")
        assert page.evaluate("window.__notReloaded") is True
