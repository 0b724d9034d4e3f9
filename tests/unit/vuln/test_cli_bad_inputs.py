"""The ``scan`` and ``vulndb`` commands on inputs a new user gets wrong, and hostile servers.

The rule under test (``liturgia scan --help``): exit 2 when nothing was scanned, when the source
could check no component, or when any component could not be checked because of the source
(unless ``--accept-unchecked``); components lacking a version or purl are listed but do not
change the exit code. Every failure is one line on stderr naming the file or option and why.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import AdvisorySourceError, NetworkError
from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, scan
from liturgia.vuln.download import download_export
from liturgia.vuln.http import CachedClient
from liturgia.vuln.limits import MAX_HTTP_BYTES
from liturgia.vuln.online import NpmBulkDatabase, OsvApiDatabase, PyPIJsonDatabase

from .conftest import CORPUS, copy_subset

GHSA = str(CORPUS / "ghsa")
FRESH = ["--max-age-days", "100000"]
LODASH = {"type": "library", "name": "lodash", "version": "4.17.15",
          "purl": "pkg:npm/lodash@4.17.15"}  # fmt: skip
RAILS = {"type": "library", "name": "rails", "version": "5.0.0", "purl": "pkg:gem/rails@5.0.0"}


def _sbom(tmp_path: Path, *components: dict[str, str]) -> Path:
    path = tmp_path / "sbom.cdx.json"
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list(components)}
    path.write_text(json.dumps(document))
    return path


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("liturgia")]
    assert len(lines) == 1, err
    return lines[0]


def test_scan_of_a_file_no_cataloger_reads_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "RELEASE_NOTES.md"
    notes.write_text("# 1.0.0\n")
    assert main(["scan", str(notes), "--osv", GHSA, "--stale", "warn"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "RELEASE_NOTES.md: no cataloger reads this file" in _one_error_line(captured.err)


def test_scan_of_an_sbom_with_nothing_to_look_up_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = _sbom(tmp_path)
    assert main(["scan", str(empty), "--osv", GHSA, *FRESH]) == 2
    assert "sbom.cdx.json: nothing to scan: the SBOM lists no components" in capsys.readouterr().err
    versionless = _sbom(tmp_path, {"type": "library", "name": "left-pad"},
                        {"type": "file", "name": "README"})  # fmt: skip
    assert main(["scan", str(versionless), "--osv", GHSA, *FRESH]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "nothing to scan: none of the 2 components can be looked up (first: README@?" in line


def test_unchecked_because_of_the_source_is_exit_2_unless_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sbom = _sbom(tmp_path, LODASH, RAILS, {"type": "library", "name": "left-pad"})
    args = ["scan", str(sbom), "--osv", GHSA, *FRESH, "--format", "json"]
    assert main(args) == 2  # 2 wins over the HIGH lodash findings (exit 1)
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # the report is still written, listing the unchecked
    causes = {u["name"]: u["cause"] for u in report["unchecked"]}
    assert causes == {"rails": "source", "left-pad": "component"}
    assert report["summary"]["unchecked_by_source"] == 1
    assert "3 not checked" not in captured.err
    assert "2 not checked (1 because of the source)" in captured.err
    line = _one_error_line(captured.err)
    assert "2 components could not be checked (1 because of the advisory source" in line
    assert "first: left-pad@?: no purl and no ecosystem" in line
    assert "pass --accept-unchecked" in line
    assert main([*args, "--accept-unchecked"]) == 1
    capsys.readouterr()
    monkeypatch.setenv("LITURGIA_ACCEPT_UNCHECKED", "1")
    assert main([*args, "--fail-on", "critical"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("LITURGIA_ACCEPT_UNCHECKED")
    # Components unchecked for their own reasons (no version) make the answer incomplete too.
    mixed = _sbom(tmp_path, LODASH, {"type": "library", "name": "left-pad"})
    assert main(["scan", str(mixed), "--osv", GHSA, *FRESH, "--fail-on", "critical"]) == 2
    assert "1 components could not be checked (0 because of" in capsys.readouterr().err


def test_a_source_that_can_check_nothing_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = _sbom(tmp_path, RAILS, {"type": "library", "name": "left-pad"})
    for extra in ([], ["--accept-unchecked"]):  # never acceptable: nothing was checked
        assert main(["scan", str(sbom), "--osv", GHSA, *FRESH, *extra]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        line = _one_error_line(captured.err)
        assert "could not check any of the 1 components: the database holds no advisories" in line


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--max-age-days", "-5", "invalid value '-5': expected a positive whole number"),
        ("--max-age-days", "0", "invalid value '0'"),
        ("--max-age-days", "1.5", "invalid value '1.5'"),
        ("--max-age-days", "seven", "invalid value 'seven'"),
        (
            "--max-age-days",
            "10000000",
            "invalid value '10000000': expected a positive whole number up to 1000000",
        ),
        ("--cache-ttl-hours", "-1", "invalid value '-1': expected a positive number"),
        ("--cache-ttl-hours", "nan", "invalid value 'nan'"),
        ("--cache-ttl-hours", "inf", "invalid value 'inf'"),
    ],
)
def test_numeric_options_must_be_positive(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "x", option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {message}" in err
    assert len(err.strip().splitlines()) == 1


def test_numeric_environment_defaults_are_validated(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITURGIA_MAX_AGE_DAYS", "-1")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "x"])
    assert exit_info.value.code == 2
    assert "argument --max-age-days: invalid value '-1'" in capsys.readouterr().err


@pytest.mark.parametrize("output", ["table", "json"])
def test_advisory_warnings_are_printed_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    osv = copy_subset(tmp_path / "osv", "ghsa/npm")
    (osv / "ghsa" / "npm" / "broken.json").write_text('{"id": ')
    os.mkfifo(osv / "ghsa" / "npm" / "pipe.json")
    sbom = _sbom(tmp_path, LODASH)
    assert main(["scan", str(sbom), "--osv", str(osv), *FRESH, "--format", output]) == 1
    err = capsys.readouterr().err
    assert f"warning: {osv / 'ghsa' / 'npm' / 'broken.json'}: not a valid OSV record: not " in err
    assert (
        f"warning: {osv / 'ghsa' / 'npm' / 'pipe.json'}: advisory file is a FIFO (named pipe), "
        "not a regular file; not read"
    ) in err


def test_scan_of_huge_or_special_sbom_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(600 << 20)  # sparse
    assert main(["scan", str(big), "--osv", GHSA, *FRESH]) == 2
    assert "big.json: SBOM is 629145600 bytes, over the 512 MiB limit" in capsys.readouterr().err
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert main(["scan", str(fifo), "--osv", GHSA, *FRESH]) == 2
    assert "fifo.json: SBOM is a FIFO (named pipe), not a regular file" in capsys.readouterr().err


def test_cli_bad_documents_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = _sbom(tmp_path, LODASH)
    base = ["scan", str(sbom), "--osv", GHSA, *FRESH]
    vex = tmp_path / "vex.json"
    vex.write_text("[" * 100_000 + "]" * 100_000)
    ignore = tmp_path / "ignore.toml"
    ignore.write_text('[[ignore]]\nid = "A"\nreason = "r"\nexpires = "someday"\n')
    not_cdx = tmp_path / "spdx-ish.json"
    not_cdx.write_text('{"spdxVersion": "SPDX-2.3", "packages": 3}')
    cases = [
        ([*base, "--vex", str(vex)], "vex.json: not a usable VEX document: JSON nested too"),
        ([*base, "--ignore", str(ignore)], "ignore.toml: ignore[0].expires: expected a date"),
        (["scan", str(not_cdx), "--osv", GHSA, *FRESH], "packages: expected an array"),
    ]
    for args, message in cases:
        assert main(args) == 2
        assert message in _one_error_line(capsys.readouterr().err)


def test_cli_bad_db_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = _sbom(tmp_path, LODASH)
    folder = tmp_path / "folder"
    folder.mkdir()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"junk" * 1000)
    cases = [
        (["scan", str(sbom), "--db", str(folder)], "advisory index (--db) is a folder"),
        (["vulndb", "import", GHSA, "--db", str(folder)], "advisory index (--db) is a folder"),
        (["vulndb", "status", "--db", str(folder)], "advisory index (--db) is a folder"),
        (["scan", str(sbom), "--db", str(junk)], "junk.db: not a readable advisory index: file"),
        (["vulndb", "import", GHSA, "--db", str(junk)], "junk.db: cannot create or write the"),
        (["vulndb", "import", GHSA, "--db", str(sbom / "db")], "cannot create the advisory ind"),
        # Unwritable even for root: /proc accepts no new files.
        (["vulndb", "import", GHSA, "--db", "/proc/liturgia.db"],
         "/proc/liturgia.db: cannot create or write the advisory index: unable to open"),
    ]  # fmt: skip
    for args, message in cases:
        assert main(args) == 2
        assert message in _one_error_line(capsys.readouterr().err)


def _read_request(connection: socket.socket) -> None:
    """Read one whole request (head and Content-Length body): closing a socket with unread
    bytes sends a reset, which the client would see instead of the answer under test."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length:")),
        0,
    )  # fmt: skip
    while len(body) < length and (chunk := connection.recv(65536)):
        body += chunk


class _RawServer:
    """A TCP server answering every request with fixed raw bytes, then closing."""

    def __init__(self, answer: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        self.connection: socket.socket | None = None
        self.thread = threading.Thread(target=self._serve, args=(answer,), daemon=True)
        self.thread.start()

    def _serve(self, answer: Callable[[socket.socket], None]) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connection = connection
            with connection:
                _read_request(connection)
                self.requests += 1
                with contextlib.suppress(OSError):
                    answer(connection)

    def close(self) -> None:
        for item in (self.listener, self.connection):
            if item is not None:
                with contextlib.suppress(OSError):
                    item.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() or sendall()
        self.listener.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], _RawServer]]:
    servers: list[_RawServer] = []

    def start(answer: Callable[[socket.socket], None]) -> _RawServer:
        servers.append(_RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _broken_answer(connection: socket.socket) -> None:
    # Promises 1000 bytes, sends 10, closes: http.client raises IncompleteRead.
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")


def test_broken_answers_are_network_errors(
    tmp_path: Path, raw_server: Callable[[Callable[[socket.socket], None]], _RawServer]
) -> None:
    server = raw_server(_broken_answer)
    client = CachedClient(source="OSV API", cache_dir=None, attempts=2, sleep=lambda _s: None)
    with pytest.raises(
        NetworkError, match=r"OSV API: .*: unreachable: broken HTTP answer: 990 bytes short"
    ):
        client.request("POST", f"{server.url}/v1/querybatch", {"queries": []})
    with pytest.raises(NetworkError, match="cannot download after 2 attempts: broken HTTP"):
        download_export(
            "PyPI", tmp_path / "a.zip", base_url=server.url, attempts=2, sleep=lambda _s: None
        )
    assert server.requests == 4
    assert list(tmp_path.iterdir()) == []  # no partial download left behind


def test_an_answer_over_the_limit_is_refused(
    raw_server: Callable[[Callable[[socket.socket], None]], _RawServer],
) -> None:
    size = MAX_HTTP_BYTES + 1

    def huge(connection: socket.socket) -> None:
        connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b" " * (1 << 20)
        for _ in range(size // len(chunk) + 1):
            connection.sendall(chunk)

    server = raw_server(huge)
    client = CachedClient(source="OSV API", cache_dir=None, ttl=timedelta(hours=1))
    with pytest.raises(AdvisorySourceError, match="answer is over the 64 MiB limit; not read"):
        client.request("GET", f"{server.url}/v1/vulns/X")


def _json_answer(body: bytes) -> Callable[[socket.socket], None]:
    def answer(connection: socket.socket) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        connection.sendall(head.encode() + body)

    return answer


@pytest.mark.parametrize(
    ("kind", "body", "reason"),
    [
        (OsvApiDatabase, b'{"results": [5]}', "results[0]: not a querybatch result"),
        (OsvApiDatabase, b'{"results": [{"vulns": [{"id": 5}]}]}', "results[0]: not a querybat"),
        (OsvApiDatabase, b'{"results": [{"next_page_token": 7}]}', "results[0]: not a querybat"),
        (PyPIJsonDatabase, b'{"vulnerabilities": [{"id": "A", "fixed_in": 5}]}',
         "A: 'fixed_in' is not a list"),
        (NpmBulkDatabase, b'{"lodash": 5}', "lodash: expected a list of advisories"),
        (NpmBulkDatabase, b'{"lodash": [5]}', "lodash: expected a list of advisories"),
    ],
)  # fmt: skip
def test_malformed_online_answers_leave_components_unchecked(
    raw_server: Callable[[Callable[[socket.socket], None]], _RawServer],
    kind: Callable[..., AdvisoryDatabase],
    body: bytes,
    reason: str,
) -> None:
    server = raw_server(_json_answer(body))
    client = CachedClient(source="test source", cache_dir=None, attempts=1)
    ecosystem = "PyPI" if kind is PyPIJsonDatabase else "npm"
    component = Component(name="lodash", version="4.17.15", ecosystem=ecosystem)
    report = scan([component], kind(client, base_url=server.url))
    (unchecked,) = report.unchecked_by_source
    assert unchecked.reason.startswith("advisory source failed: test source: ")
    assert reason in unchecked.reason
    assert report.coverage_problem() is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[bad", "is not a valid URL: Invalid IPv6 URL"),
        ("http://127.0.0.1:99999", "is not a valid URL: Port out of range"),
        ("http://", "is not an http(s) URL with a host"),
        ("file:///etc", "is not an http(s) URL with a host"),
        ("http://a b/", "contains spaces"),
    ],
)
def test_bad_service_urls_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    sbom = _sbom(tmp_path, LODASH)
    assert main(["scan", str(sbom), "--source", "osv-api", "--source-url", url]) == 2
    assert f"OSV API URL: {url!r} {message}" in _one_error_line(capsys.readouterr().err)
    update = ["vulndb", "update", "--db", str(tmp_path / "db"), "--base-url", url]
    assert main(update) == 2
    assert f"--base-url: {url!r} {message}" in _one_error_line(capsys.readouterr().err)
    with pytest.raises(NetworkError):  # the library alone: an error naming the URL, no crash
        download_export("PyPI", tmp_path / "a.zip", base_url=url, attempts=1)


def test_other_cli_mistakes_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = _sbom(tmp_path, LODASH)
    cases = [
        (["scan", str(sbom), "--osv", GHSA, *FRESH, "-o", str(tmp_path)], "-o names a folder"),
        (["vulndb", "update", "--db", str(tmp_path / "db"), "--ecosystem", " "],
         "--ecosystem: an ecosystem name cannot be empty"),
    ]  # fmt: skip
    for args, message in cases:
        assert main(args) == 2
        assert message in _one_error_line(capsys.readouterr().err)


def test_a_special_or_huge_file_in_the_answer_cache_is_a_miss(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    client = CachedClient(source="OSV API", cache_dir=cache, offline=True)
    url = "http://127.0.0.1:9/v1/vulns/X"
    entry = client._cache_path("GET", url, None)  # where the entry goes
    assert entry is not None
    entry.parent.mkdir(parents=True)
    os.mkfifo(entry)
    with pytest.raises(NetworkError, match="not in the cache and --offline is set"):
        client.request("GET", url)
    entry.unlink()
    with entry.open("wb") as handle:
        handle.truncate(3 * MAX_HTTP_BYTES)  # sparse, over the entry limit: never read
    with pytest.raises(NetworkError, match="not in the cache and --offline is set"):
        client.request("GET", url)


def test_the_exit_rule_is_in_the_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # argparse wraps at the terminal width
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "or ANY package could not be checked" in text
    assert "names it with a reason; 2 wins over 1" in text
    assert "--accept-unchecked exit 0/1 even when some components could not be checked" in text
