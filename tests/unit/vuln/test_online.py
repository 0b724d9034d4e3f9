"""Online sources against a real HTTP server on loopback answering in the documented shapes.

Shapes: osv.dev API v1 (``POST /v1/querybatch`` -> ``results[].vulns[].id`` with
``next_page_token`` paging; ``GET /v1/vulns/{id}`` -> an OSV record), the PyPI JSON API
(``GET /pypi/{name}/{version}/json`` -> ``vulnerabilities[]`` with ``id``, ``aliases``,
``details``, ``fixed_in``, ``link``, ``withdrawn``), and the npm registry's bulk advisory
endpoint (``POST /-/npm/v1/security/advisories/bulk`` with ``{name: [versions]}`` -> per name,
advisories with ``id``, ``url``, ``title``, ``severity``, ``vulnerable_versions``, ``cvss``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import AdvisorySourceError, NetworkError
from liturgia.model import Component
from liturgia.vuln import Severity, scan
from liturgia.vuln.ecosystems import PackageKey
from liturgia.vuln.http import CachedClient, HttpRequest, HttpResponse
from liturgia.vuln.online import (
    NpmBulkDatabase,
    OsvApiDatabase,
    PyPIJsonDatabase,
    npm_range_intervals,
)
from liturgia.vuln.rustsec import Bound

from .conftest import CORPUS

Route = Callable[[str, str, bytes], tuple[int, bytes]]


class _Api:
    def __init__(self, route: Route) -> None:
        self.calls: list[tuple[str, str, bytes]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                api.calls.append((method, self.path, body))
                status, payload = route(method, self.path, body)
                self.send_response(status)
                if status in (429, 503):
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

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
def api() -> Iterator[Callable[[Route], _Api]]:
    servers: list[_Api] = []

    def start(route: Route) -> _Api:
        servers.append(_Api(route))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _client(tmp_path: Path, **options: object) -> CachedClient:
    return CachedClient(
        source="test API", cache_dir=tmp_path / "cache", sleep=lambda _s: None, **options
    )  # type: ignore[arg-type]


LODASH_IDS = ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"]


def _osv_route(method: str, path: str, body: bytes) -> tuple[int, bytes]:
    if method == "POST" and path == "/v1/querybatch":
        results = []
        for query in json.loads(body)["queries"]:
            name = query["package"]["name"]
            if name == "lodash" and not query.get("page_token"):
                page = {
                    "vulns": [
                        {"id": i, "modified": "2023-09-05T00:00:00Z"} for i in LODASH_IDS[:2]
                    ],
                    "next_page_token": "p2",
                }
            elif name == "lodash":
                page = {"vulns": [{"id": LODASH_IDS[2], "modified": "2022-02-08T00:00:00Z"}]}
            else:
                page = {}
            results.append(page)
        return 200, json.dumps({"results": results}).encode()
    if method == "GET" and path.startswith("/v1/vulns/"):
        file = CORPUS / "ghsa" / "npm" / f"{path.rsplit('/', 1)[1]}.json"
        return (200, file.read_bytes()) if file.is_file() else (404, b"{}")
    return 404, b"{}"


def test_osv_api_querybatch_with_paging(api: Callable[[Route], _Api], tmp_path: Path) -> None:
    server = api(_osv_route)
    database = OsvApiDatabase(_client(tmp_path), base_url=server.url)
    components = [
        Component(name="lodash", version="4.17.15", purl="pkg:npm/lodash@4.17.15"),
        Component(name="left-pad", version="1.3.0", purl="pkg:npm/left-pad@1.3.0"),
    ]
    report = scan(components, database)
    assert sorted(f.id for f in report.findings) == LODASH_IDS
    assert report.unchecked == ()
    assert [c[:2] for c in server.calls].count(("POST", "/v1/querybatch")) == 2
    # A second scan with a new database object is answered from the disk cache.
    calls = len(server.calls)
    again = scan(components, OsvApiDatabase(_client(tmp_path, offline=True), base_url=server.url))
    assert sorted(f.id for f in again.findings) == LODASH_IDS
    assert len(server.calls) == calls


def test_osv_api_errors_make_components_unchecked(
    api: Callable[[Route], _Api], tmp_path: Path
) -> None:
    server = api(lambda method, path, body: (503, b"{}"))
    database = OsvApiDatabase(_client(tmp_path), base_url=server.url)
    report = scan([Component(name="lodash", version="4.17.15", ecosystem="npm")], database)
    assert report.findings == ()
    (item,) = report.unchecked
    assert item.reason.startswith("advisory source failed: test API: ")
    assert item.reason.endswith("/v1/querybatch: HTTP 503 after 3 attempts")
    assert len(server.calls) == 3
    offline = OsvApiDatabase(_client(tmp_path / "empty", offline=True), base_url=server.url)
    report = scan([Component(name="lodash", version="4.17.15", ecosystem="npm")], offline)
    assert "not in the cache and --offline is set" in report.unchecked[0].reason


def test_osv_api_bad_answers(api: Callable[[Route], _Api], tmp_path: Path) -> None:
    def route(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path == "/v1/querybatch":
            return 200, json.dumps({"results": [{"vulns": [{"id": "GHSA-none"}]}]}).encode()
        return 404, b""

    server = api(route)
    database = OsvApiDatabase(_client(tmp_path), base_url=server.url)
    with pytest.raises(AdvisorySourceError, match="unknown id GHSA-none"):
        database.prepare([(next(iter(_keys("lodash"))), "1.0.0")])
    broken = api(lambda method, path, body: (200, b"not json"))
    with pytest.raises(AdvisorySourceError, match="answer is not JSON"):
        OsvApiDatabase(_client(tmp_path / "b"), base_url=broken.url).prepare(
            [(next(iter(_keys("lodash"))), "1.0.0")]
        )
    short = api(lambda method, path, body: (200, b'{"results": []}'))
    with pytest.raises(AdvisorySourceError, match="expected 1 results"):
        OsvApiDatabase(_client(tmp_path / "c"), base_url=short.url).prepare(
            [(next(iter(_keys("lodash"))), "1.0.0")]
        )
    with pytest.raises(AdvisorySourceError, match="was not queried"):
        database.entries_for(next(iter(_keys("never"))))


def _keys(name: str) -> set[PackageKey]:
    return {PackageKey(ecosystem="npm", name=name)}


def test_pypi_json_api(api: Callable[[Route], _Api], tmp_path: Path) -> None:
    def route(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path == "/pypi/requests/2.31.0/json":
            vulns = [
                {
                    "id": "GHSA-9wx4-h78v-vm56",
                    "aliases": ["CVE-2024-35195"],
                    "details": "Session verify=False persists",
                    "fixed_in": ["2.32.0"],
                    "link": "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56",
                    "source": "osv",
                    "summary": None,
                    "withdrawn": None,
                },
                {
                    "id": "PYSEC-0000-1",
                    "aliases": [],
                    "details": "gone",
                    "fixed_in": [],
                    "withdrawn": "2024-01-01T00:00:00Z",
                },
            ]
            return 200, json.dumps(
                {"info": {"name": "requests"}, "vulnerabilities": vulns}
            ).encode()
        if path == "/pypi/requests/2.32.3/json":
            return 200, json.dumps({"info": {}, "vulnerabilities": []}).encode()
        return 404, b'{"message": "Not Found"}'

    server = api(route)
    database = PyPIJsonDatabase(_client(tmp_path), base_url=server.url)
    components = [
        Component(name="requests", version="2.31.0", ecosystem="PyPI", bom_ref="old"),
        Component(name="requests", version="2.32.3", ecosystem="PyPI", bom_ref="new"),
        Component(name="private-pkg", version="1.0", ecosystem="PyPI", bom_ref="priv"),
        Component(name="lodash", version="1.0.0", ecosystem="npm", bom_ref="npm"),
    ]
    report = scan(components, database)
    (finding,) = report.findings
    assert (finding.component_ref, finding.id, finding.aliases) == (
        "old",
        "GHSA-9wx4-h78v-vm56",
        ("CVE-2024-35195",),
    )
    assert finding.fixed_versions == ("2.32.0",)
    assert report.upgrades[0].upgrade_to == "2.32.0"
    assert [u.component_ref for u in report.unchecked] == ["npm"]  # PyPI-only source
    bad = api(lambda method, path, body: (200, b'{"info": {}}'))
    with pytest.raises(AdvisorySourceError, match="no 'vulnerabilities' list"):
        PyPIJsonDatabase(_client(tmp_path / "x"), base_url=bad.url).prepare(
            [(finding_key("requests"), "1.0")]
        )


def finding_key(name: str) -> PackageKey:
    return PackageKey(ecosystem="PyPI", name=name)


def test_npm_bulk(api: Callable[[Route], _Api], tmp_path: Path) -> None:
    seen: list[object] = []

    def route(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        assert (method, path) == ("POST", "/-/npm/v1/security/advisories/bulk")
        request = json.loads(body)
        seen.append(request)
        answer = {
            "lodash": [
                {
                    "id": 1523,
                    "url": "https://github.com/advisories/GHSA-p6mc-m468-83gw",
                    "title": "Prototype Pollution in lodash",
                    "severity": "high",
                    "vulnerable_versions": "<4.17.19",
                    "cwe": ["CWE-1321"],
                    "cvss": {
                        "score": 7.4,
                        "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H",
                    },
                },
                {
                    "id": 1097140,
                    "url": "https://github.com/advisories/GHSA-29mw-wpgm-hmr9",
                    "title": "ReDoS in lodash",
                    "severity": "moderate",
                    "vulnerable_versions": ">=4.0.0 <4.17.21",
                    "cvss": {"score": 5.3, "vectorString": None},
                },
            ]
        }
        return 200, json.dumps({k: v for k, v in answer.items() if k in request}).encode()

    server = api(route)
    database = NpmBulkDatabase(_client(tmp_path), base_url=server.url)
    components = [
        Component(name="lodash", version="4.17.15", ecosystem="npm", bom_ref="a"),
        Component(name="lodash", version="4.17.20", ecosystem="npm", bom_ref="b"),
        Component(name="ms", version="2.0.0", ecosystem="npm", bom_ref="c"),
    ]
    report = scan(components, database)
    assert seen == [{"lodash": ["4.17.15", "4.17.20"], "ms": ["2.0.0"]}]
    assert [(f.component_ref, f.id) for f in report.findings] == [
        ("a", "GHSA-29mw-wpgm-hmr9"),
        ("a", "GHSA-p6mc-m468-83gw"),
        ("b", "GHSA-29mw-wpgm-hmr9"),
    ]
    severities = {f.id: f.severity for f in report.findings}
    assert severities == {
        "GHSA-p6mc-m468-83gw": Severity.HIGH,
        "GHSA-29mw-wpgm-hmr9": Severity.MEDIUM,
    }
    assert report.findings[1].aliases == ("NPM-1523",)
    garbage = api(
        lambda m, p, b: (
            200,
            json.dumps({"lodash": [{"id": 1, "vulnerable_versions": "><"}]}).encode(),
        )
    )
    with pytest.raises(AdvisorySourceError, match="bad vulnerable_versions"):
        NpmBulkDatabase(_client(tmp_path / "g"), base_url=garbage.url).prepare(
            [(next(iter(_keys("lodash"))), "1.0.0")]
        )
    listy = api(lambda m, p, b: (200, b"[]"))
    with pytest.raises(AdvisorySourceError, match="expected an object"):
        NpmBulkDatabase(_client(tmp_path / "l"), base_url=listy.url).prepare(
            [(next(iter(_keys("lodash"))), "1.0.0")]
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<4.17.21", [(None, ("4.17.21", False))]),
        (
            ">=3.7.0 <3.7.2 || >=4.0.0 <4.0.1",
            [(("3.7.0", True), ("3.7.2", False)), (("4.0.0", True), ("4.0.1", False))],
        ),
        ("1.2.3", [(("1.2.3", True), ("1.2.3", True))]),
        ("1.0.0 - 1.2.0", [(("1.0.0", True), ("1.2.0", True))]),
        (">= 2.0.0", [(("2.0.0", True), None)]),
        ("*", [(None, None)]),
        ("1.x", [(("1.0.0", True), ("2.0.0", False))]),
    ],
)
def test_npm_ranges(text: str, expected: list[tuple[tuple[str, bool] | None, ...]]) -> None:
    converted = [tuple(Bound(*end) if end else None for end in interval) for interval in expected]
    assert npm_range_intervals(text) == converted


def test_client_cache_expiry_retries_and_transport_errors(tmp_path: Path) -> None:
    answers = [
        HttpResponse(status=429, body=b"", headers={"retry-after": "2"}),
        HttpResponse(status=200, body=b'{"ok": 1}'),
    ]
    delays: list[float] = []

    def transport(request: HttpRequest) -> HttpResponse:
        return answers.pop(0)

    client = CachedClient(source="t", cache_dir=tmp_path, transport=transport, sleep=delays.append)
    assert client.request("GET", "http://x/a") == b'{"ok": 1}'
    assert delays == [2.0]
    assert client.request("GET", "http://x/a") == b'{"ok": 1}'  # cached
    expired = CachedClient(
        source="t",
        cache_dir=tmp_path,
        ttl=timedelta(seconds=-1),
        transport=transport,
        sleep=delays.append,
    )
    with pytest.raises(IndexError):  # went to the transport again: nothing left to answer
        expired.request("GET", "http://x/a")
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("damaged")
    answers.append(HttpResponse(status=400, body=b""))
    with pytest.raises(AdvisorySourceError, match="t: http://x/a: HTTP 400"):
        client.request("GET", "http://x/a")

    def refused(request: HttpRequest) -> HttpResponse:
        raise ConnectionRefusedError("refused")

    down = CachedClient(source="t", cache_dir=None, transport=refused, sleep=lambda _s: None)
    with pytest.raises(NetworkError, match="unreachable: refused after 3 attempts"):
        down.request("POST", "http://x/b", {"q": 1})
    assert down.requests == 3


def test_cli_online_source(
    api: Callable[[Route], _Api],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LITURGIA_VULNDB", raising=False)
    server = api(_osv_route)
    sbom = tmp_path / "sbom.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {
                        "type": "library",
                        "name": "lodash",
                        "version": "4.17.15",
                        "purl": "pkg:npm/lodash@4.17.15",
                    }
                ],
            }
        )
    )
    args = [
        "scan",
        str(sbom),
        "--source",
        "osv-api",
        "--source-url",
        server.url,
        "--format",
        "json",
    ]
    assert main(args) == 1
    assert sorted(f["id"] for f in json.loads(capsys.readouterr().out)["findings"]) == LODASH_IDS
    assert main([*args, "--offline"]) == 1  # from the cache
    capsys.readouterr()
    # Never asked, and offline: the source can check nothing, which is not a clean result.
    assert main([*args, "--source", "npm", "--offline"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "could not check any of the 1 components" in captured.err
    assert "not in the cache and --offline is set (drop --offline" in captured.err
