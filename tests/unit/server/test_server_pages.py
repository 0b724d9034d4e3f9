"""The dashboard's pages in process: HTML and JSON twins, lookups, 404s, escaping."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.contract.server.test_records_store import RUN, event, record
from tests.rekor_requests import hashedrekord
from tests.unit.release.test_release_record import _release_folder
from tests.unit.server.test_server_app import TestClient

from liturgia.release.record import build_record
from liturgia.server import create_app
from liturgia.server.api.live import _problem
from liturgia.server.records import RecordStore
from liturgia.tlog.log import RekorLog


@pytest.fixture
def store(records: RecordStore) -> RecordStore:
    return records


@pytest.fixture
def client(portal: BlockingPortal, log: RekorLog, store: RecordStore) -> Iterator[TestClient]:
    test_client = TestClient(portal, create_app(log, records=store))
    yield test_client
    test_client.close()


def test_pages_and_their_json_twins(client: TestClient, store: RecordStore) -> None:
    empty = client.get("/")
    assert empty.status_code == 200 and "No project has sent a release yet" in empty.text
    assert client.get("/projects/vertice").status_code == 404
    store.add_event("vertice", RUN, event(1))
    running = client.get("/projects/vertice")
    assert running.status_code == 200 and "in progress" in running.text
    assert 'data-stage="build"' in running.text
    store.put_record(record(notes="<b>bold</b> & co"))
    assert client.get("/?format=json").json()[0]["latest"]["version"] == "1.2.0"
    project = client.get("/projects/vertice?format=json").json()
    assert project["latestRun"]["version"] == "1.2.0"
    assert project["releases"][0]["record"]["decision"] == "GO"
    page = client.get("/projects/vertice/releases/1.2.0")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page.text and "<b>bold" not in page.text
    assert 'href="/log?q=3"' in page.text  # the artifact's log entry
    assert client.get("/projects/vertice/releases/1.2.0?format=json").json()["record"]["run"] == RUN
    assert client.get("/projects/vertice/releases/9.9.9").status_code == 404
    quality = client.get("/projects/vertice/quality?format=json").json()["releases"]
    assert [(q["version"], q["coverage"]) for q in quality] == [("1.2.0", 100.0)]
    assert quality[0]["findings"]["HIGH"] == 0
    assert (quality[0]["loadP95Ms"], quality[0]["chaosAvailability"]) == (None, None)
    page = client.get("/projects/vertice/quality")
    assert '<script type="application/json" id="quality-data">' in page.text
    assert "No release measured it" in page.text
    # A release whose gate measured load and chaos figures: charted, and in the table.
    figures = {"load_p95_ms": 210.5, "error_rate_percent": 0.3, "chaos_availability_percent": 99.75}
    store.put_record(record(version="1.3.0", resilience=figures))
    quality = client.get("/projects/vertice/quality?format=json").json()["releases"]
    charted = [(q["version"], q["loadP95Ms"], q["errorRate"], q["chaosAvailability"])
               for q in quality]  # fmt: skip
    assert charted == [("1.2.0", None, None, None), ("1.3.0", 210.5, 0.3, 99.75)]
    page = client.get("/projects/vertice/quality")
    assert '<td data-label="load p95" class="load-p95">210.5 ms</td>' in page.text
    assert '<td data-label="error rate" class="error-rate">0.30%</td>' in page.text
    assert '<td data-label="availability" class="availability">99.75%</td>' in page.text
    assert "No release measured it" not in page.text
    assert client.get("/static/vendor/chart.umd.min.js").status_code == 200
    assert client.get("/projects/nobody/quality").status_code == 404
    assert client.get("/projects/bad%20name").status_code == 400
    assert client.get("/?format=xml").status_code == 400


def test_log_page_lookups(client: TestClient, signer: ec.EllipticCurvePrivateKey) -> None:
    created = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"looked up"))
    ((entry_id, value),) = created.json().items()
    digest = hashlib.sha256(b"looked up").hexdigest()
    index = value["logIndex"]
    for query in (str(index), entry_id, entry_id[16:], digest):
        found = client.get("/log", params={"q": query, "format": "json"}).json()
        assert found["entry"]["id"] == entry_id, query
        assert found["problem"] == ""
        assert f'<td id="entry-index">{index}</td>' in client.get("/log", params={"q": query}).text
    assert client.get("/log?format=json").json()["log"]["treeSize"] == 1
    missing = client.get("/log", params={"q": "999", "format": "json"}).json()
    assert (missing["entry"], missing["problem"]) == (None, "no entry for 999")
    bad = client.get("/log", params={"q": "<script>"})
    assert "give a log index" in bad.text and "<script>" not in bad.text.split("<main>")[1]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('{"after": 3}', (3, "")),
        ("nope", (None, "message is not JSON")),
        ('{"after": "3"}', (None, "field 'after': must be an integer from 0 to 10000")),
        ('{"after": true}', (None, "field 'after': must be an integer from 0 to 10000")),
        ('{"after": 1, "x": 2}', (None, 'message must be {"after": N} and nothing else')),
        ("x" * 2000, (None, "message of 2000 characters is over the 1024 limit")),
    ],
)
def test_live_client_messages(message: str, expected: tuple[int | None, str]) -> None:
    assert _problem(message) == expected


def test_a_not_applicable_tests_row_reads_n_a_never_passed(
    tmp_path: Path, client: TestClient, store: RecordStore
) -> None:
    """A release whose configuration switched the tests off (its real gate, its real record):
    the record says not-applicable and the page shows N/A, not PASS, for tests and coverage."""
    folder = _release_folder(
        tmp_path, '[project]\nname = "vertice"\n[gates]\nrequire_tests = false\n', {}
    )
    made = build_record(folder)
    assert (made.tests.passed, made.tests.status) == (True, "not-applicable")
    assert b'"status":"not-applicable"' in made.canonical()
    store.put_record(made)
    page = client.get("/projects/vertice/releases/1.2.0").text
    rows = re.findall(
        r'data-gate="([a-z-]+)">\s*<td>[^<]*</td>\s*<td><span class="([a-z ]+)">([^<]+)<', page
    )
    assert ("tests", "muted result", "N/A") in rows and ("coverage", "muted result", "N/A") in rows
    assert ("vulnerabilities", "nogo result", "FAIL") in rows  # no scan ran in this folder
    assert not any(label in {"PASS", "NOT-APPLICABLE"} for _, _, label in rows[:2])
    summary = re.search(r'<p id="tests-summary">(.*?)</p>', page)
    assert summary is not None
    assert summary[1].startswith('<span class="muted result">N/A</span> not applicable: ')
    record_json = client.get("/projects/vertice/releases/1.2.0?format=json").json()["record"]
    assert record_json["tests"]["status"] == "not-applicable"


def test_a_record_without_a_tests_status_keeps_its_bytes() -> None:
    assert b'"status"' not in record(gates=[]).canonical()  # no status given: none written
