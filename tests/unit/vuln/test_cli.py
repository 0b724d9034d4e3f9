"""The ``scan`` and ``vulndb`` commands end to end, and osv.dev export downloads.

Downloads are tested against a real HTTP server on loopback serving the documented shape
(``<base>/<ecosystem>/all.zip``), including HTTP 503 and 404 answers.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import AdvisorySourceError, NetworkError
from liturgia.vuln.download import download_export

from .conftest import CORPUS, copy_subset


def _zip_of(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for path in sorted(folder.glob("*.json")):
            out.write(path, path.name)
    return buffer.getvalue()


class _Server:
    """Serves queued (status, body) answers per path; records the requests."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, bytes]]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                queue = server.answers.get(self.path, [])
                status, body = queue.pop(0) if len(queue) > 1 else (queue or [(404, b"")])[0]
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    yield running
    running.close()


def test_download_retries_then_succeeds(server: _Server, tmp_path: Path) -> None:
    body = _zip_of(CORPUS / "ghsa" / "npm")
    server.answers["/npm/all.zip"] = [(503, b"busy"), (429, b"slow down"), (200, body)]
    delays: list[float] = []
    path = download_export("npm", tmp_path / "npm.zip", base_url=server.url, sleep=delays.append)
    assert path.read_bytes() == body
    assert server.requests == ["/npm/all.zip"] * 3
    assert delays == [0.0, 1.0]  # Retry-After: 0, then backoff 0.5 * 2


def test_download_errors_name_the_source(server: _Server, tmp_path: Path) -> None:
    server.answers["/PyPI/all.zip"] = [(503, b"")]
    with pytest.raises(AdvisorySourceError, match=r"/PyPI/all.zip: HTTP 503 .* after 3 attempts"):
        download_export("PyPI", tmp_path / "a.zip", base_url=server.url, sleep=lambda _s: None)
    with pytest.raises(AdvisorySourceError, match=r"/Go/all.zip: HTTP 404"):
        download_export("Go", tmp_path / "a.zip", base_url=server.url)
    gone = _Server()
    closed = gone.url
    gone.close()  # nothing listens on its port any more
    with pytest.raises(NetworkError, match="cannot download after 2 attempts"):
        download_export(
            "Go", tmp_path / "a.zip", base_url=closed, attempts=2, sleep=lambda _s: None
        )
    with pytest.raises(NetworkError, match="only http"):
        download_export("Go", tmp_path / "a.zip", base_url="file:///etc")


def test_vulndb_import_status_update(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "db.sqlite3"
    assert main(["vulndb", "import", str(CORPUS / "ghsa" / "go"), "--db", str(db)]) == 0
    assert "3 files, 3 imported (0 withdrawn), 0 unchanged, 0 warnings" in capsys.readouterr().err
    server.answers["/npm/all.zip"] = [(200, _zip_of(CORPUS / "ghsa" / "npm"))]
    args = ["vulndb", "update", "--db", str(db), "--ecosystem", "npm", "--base-url", server.url]
    assert main(args) == 0
    assert main([*args, "--offline"]) == 2
    assert "--offline forbids it" in capsys.readouterr().err
    assert main(["vulndb", "status", "--db", str(db), "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["records"] == 31
    assert status["ecosystems"] == {"Go": 3, "npm": 28}
    assert status["newest_modified"] == "2024-09-11T21:13:47Z" or status["newest_modified"]
    assert main(["vulndb", "status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "31 advisories (0 withdrawn)" in out
    assert main(["vulndb"]) == 2
    assert main(["vulndb", "status", "--db", str(tmp_path / "none.db")]) == 2
    assert "no advisory index" in capsys.readouterr().err


def _sbom(tmp_path: Path, *components: dict[str, str]) -> Path:
    path = tmp_path / "sbom.cdx.json"
    path.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list(components)})
    )
    return path


def test_scan_sbom_exit_codes_and_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = str(CORPUS / "ghsa")
    vulnerable = _sbom(
        tmp_path,
        {
            "type": "library",
            "name": "lodash",
            "version": "4.17.15",
            "purl": "pkg:npm/lodash@4.17.15",
        },
        {"type": "library", "name": "left-pad"},
    )
    base = ["scan", str(vulnerable), "--osv", osv, "--max-age-days", "100000"]
    assert main([*base, "--format", "json"]) == 2  # left-pad has no version: incomplete
    capsys.readouterr()
    base.append("--accept-unchecked")
    assert main([*base, "--format", "json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert {f["id"] for f in report["findings"]} == {
        "GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw",
    }  # fmt: skip
    assert report["unchecked"][0]["name"] == "left-pad"
    # GHSA-29mw-wpgm-hmr9 is MODERATE; the other two are HIGH.
    assert "2 at or above HIGH" in captured.err
    assert main([*base, "--fail-on", "critical"]) == 0
    checks = {"sarif": '"version": "2.1.0"', "cyclonedx-vex": '"bomFormat"',
              "markdown": "# Vulnerability scan", "table": "# Vulnerability scan"}  # fmt: skip
    for fmt, check in checks.items():
        out = tmp_path / f"out.{fmt}"
        assert main([*base, "--format", fmt, "-o", str(out), "--fail-on", "critical"]) == 0
        assert check in out.read_text()
    assert main([*base, "--fail-on", "critical", "--format", "table"]) == 0
    assert "GHSA-29mw-wpgm-hmr9" in capsys.readouterr().out


def test_scan_suppression_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = _sbom(tmp_path, {"type": "library", "name": "minimist", "version": "1.2.0",
                            "purl": "pkg:npm/minimist@1.2.0"})  # fmt: skip
    ignore = tmp_path / "ignore.toml"
    ignore.write_text('[[ignore]]\nid = "GHSA-vh95-rmgr-6w4m"\nreason = "argv is trusted"\n')
    vex = tmp_path / "vex.json"
    vex.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-2021-44906"}, "products": ["pkg:npm/minimist"],
             "status": "not_affected",
             "justification": "vulnerable_code_not_present"}]}))  # fmt: skip
    args = ["scan", str(sbom), "--osv", str(CORPUS / "ghsa"), "--max-age-days", "100000",
            "--ignore", str(ignore), "--vex", str(vex), "--format", "json"]  # fmt: skip
    assert main(args) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert all(f["suppressed"] for f in findings) and len(findings) == 2


def test_stale_database_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = _sbom(
        tmp_path, {"type": "library", "name": "ms", "version": "2.0.0", "purl": "pkg:npm/ms@2.0.0"}
    )
    base = ["scan", str(sbom), "--osv", str(CORPUS / "ghsa"), "--format", "json"]
    assert main(base) == 2
    assert "newest advisory is" in capsys.readouterr().err
    assert main([*base, "--stale", "warn"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: advisory database" in captured.err
    assert json.loads(captured.out)["database_problems"][0].endswith("the limit is 7 days")


def test_scan_project_folder_and_bad_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("pyyaml==5.3\nrequests>=2\n")
    osv = copy_subset(tmp_path / "osv", "pypi/vulns/pyyaml")
    args = ["scan", str(project), "--osv", str(osv), "--max-age-days", "100000", "--format", "json"]
    assert main(args) == 2  # requests>=2 is a range: not checked, so the answer is incomplete
    report = json.loads(capsys.readouterr().out)
    assert {f["id"] for f in report["findings"]} == {"PYSEC-2020-96", "PYSEC-2021-142"}
    assert [u["name"] for u in report["unchecked"]] == ["requests"]
    assert main([*args, "--accept-unchecked"]) == 1
    capsys.readouterr()
    assert (
        main(["scan", str(tmp_path / "missing"), "--osv", str(osv), "--max-age-days", "99999"]) == 2
    )
    assert "scan target not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    assert main(["scan", str(bad), "--osv", str(osv), "--max-age-days", "99999"]) == 2
    assert "neither a CycloneDX" in capsys.readouterr().err
    assert main(["scan", str(bad), "--db", str(tmp_path / "none.db")]) == 2
    assert "no advisory index" in capsys.readouterr().err


def test_scan_against_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db.sqlite3"
    assert main(["vulndb", "import", str(CORPUS / "ghsa" / "pypi"), "--db", str(db)]) == 0
    sbom = tmp_path / "sbom.spdx.json"
    sbom.write_text(json.dumps({
        "spdxVersion": "SPDX-2.3",
        "packages": [{"SPDXID": "SPDXRef-urllib3", "name": "urllib3", "versionInfo": "2.2.1",
                      "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                        "referenceType": "purl",
                                        "referenceLocator": "pkg:pypi/urllib3@2.2.1"}]},
                     ]}))  # fmt: skip
    args = ["scan", str(sbom), "--db", str(db), "--max-age-days", "100000", "--format", "json"]
    assert main(args) == 0  # GHSA-34jh-p97f-mpxf is MODERATE
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["id"], f["severity"]) for f in findings] == [("GHSA-34jh-p97f-mpxf", "MEDIUM")]


def test_bad_environment_defaults_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LITURGIA_SCAN_FORMAT", "bogus")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "x"])
    assert exit_info.value.code == 2
    assert "invalid ScanFormat value: 'bogus'" in capsys.readouterr().err
    monkeypatch.delenv("LITURGIA_SCAN_FORMAT")
    monkeypatch.setenv("LITURGIA_FAIL_ON", "severe")
    with pytest.raises(SystemExit):
        main(["scan", "x"])
    assert "invalid severity 'severe'" in capsys.readouterr().err


def test_table_without_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = _sbom(
        tmp_path, {"type": "library", "name": "ms", "version": "2.0.0", "purl": "pkg:npm/ms@2.0.0"}
    )
    args = ["scan", str(sbom), "--osv", str(CORPUS / "ghsa"), "--max-age-days", "100000"]
    assert main(args) == 0
    assert "No findings in 1 components." in capsys.readouterr().out
