"""The log API under faults found by trying it (issue 16), in process over a real SQLite log.

* a full disk (a real tmpfs filled up): a submission gets 507 with a JSON body naming the
  cause and ``Retry-After``, never 503; reads keep working; writes resume when space returns;
* an integer of thousands of digits in a query or a JSON body gets 400 naming the field,
  never a 500 (Python refuses to read integer strings over 4,300 digits; SQLite integers
  over 2**63 overflow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord
from tests.tmpfs import fill, free, small_tmpfs
from tests.unit.server.test_server_app import HOST, OFFSET, TREE_ID, TestClient, client

from liturgia.server import create_app
from liturgia.server.records import RecordStore
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

__all__ = ["client"]  # a fixture


@pytest.fixture(params=["bare ASGI write path", "FastAPI route"])
def full_disk_client(
    tmp_path: Path,
    portal: BlockingPortal,
    log_key: ec.EllipticCurvePrivateKey,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[TestClient, Path]]:
    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        storage = SqliteStorage(disk / "log.db")
        log = RekorLog(
            storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET, wait_timeout=10
        )
        log.start()
        app = create_app(log)
        if request.param == "FastAPI route":
            app.writer = None  # type: ignore[attr-defined]
        client = TestClient(portal, app)
        try:
            yield client, disk
        finally:
            client.close()
            log.close()
            storage.close()


def test_a_full_disk_is_507_naming_the_cause_and_reads_keep_working(
    full_disk_client: tuple[TestClient, Path], signer: ec.EllipticCurvePrivateKey
) -> None:
    client, disk = full_disk_client
    first = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"first"))
    assert first.status_code == 201, first.text
    filler = fill(disk)
    for number in range(3):
        answer = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"full %d" % number))
        assert answer.status_code == 507, answer.text
        assert answer.headers["retry-after"] == "60"
        assert answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert body["code"] == 507
        assert body["message"].startswith("the log's storage is full (")
        assert "database or disk is full" in body["message"]
        assert "reads keep working" in body["message"]
    info = client.get("/api/v1/log")
    assert info.status_code == 200 and info.json()["treeSize"] == 1
    assert client.get(first.headers["location"]).status_code == 200
    free(filler)
    again = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"space again"))
    assert again.status_code == 201, again.text


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # Found by a tester: Python's int() refuses strings over 4,300 digits (a 500).
        ("/api/v1/log/proof?lastSize=1&treeID=" + "9" * 4301, "treeID"),
        ("/api/v1/log/proof?lastSize=1&treeID=" + "9" * 20, "treeID"),
        ("/api/v1/log/proof?lastSize=" + "9" * 4301, "lastSize"),
        ("/api/v1/log/proof?lastSize=" + "9" * 20, "lastSize"),
        ("/api/v1/log/proof?lastSize=1&firstSize=" + "9" * 20, "firstSize"),
        ("/api/v1/log/entries?logIndex=" + "9" * 4301, "logIndex"),
        ("/api/v1/log/entries?logIndex=" + "9" * 20, "logIndex"),
        ("/api/v1/log/entries?logIndex=" + "9" * 4000 + "&x=1", "logIndex"),
    ],
)
def test_an_integer_too_long_in_a_query_is_400_naming_the_field(
    client: TestClient, url: str, field: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == 400, answer.text[:200]
    message = answer.json()["message"]
    assert field in message and len(message) < 300, message


@pytest.mark.parametrize(
    "path",
    [
        "/tile/0/" + "x999/" * 1500 + "000",  # 4,503 digits
        "/tile/0/" + "x999/" * 10 + "000",  # beyond an int64 index
        "/tile/entries/x999/x999/x999/x999/x999/x999/x999/000",
    ],
)
def test_a_tile_index_too_long_is_404_not_500(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404, answer.text[:200]
    assert len(answer.json()["message"]) < 300


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"logIndexes": [' + b"9" * 4000 + b"]}", "logIndexes[0]"),
        (b'{"logIndexes": [1, ' + b"9" * 20 + b"]}", "logIndexes[1]"),
        (b'{"logIndexes": [' + b"9" * 4301 + b"]}", "a number is too long"),
    ],
)
def test_an_integer_too_long_in_a_json_body_is_400_naming_the_field(
    client: TestClient, body: bytes, field: str
) -> None:
    answer = client.post(
        "/api/v1/log/entries/retrieve", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text[:200]
    assert field in answer.json()["message"]


@pytest.fixture
def pages(portal: BlockingPortal, log: RekorLog, records: RecordStore) -> Iterator[TestClient]:
    test_client = TestClient(portal, create_app(log, records=records))
    yield test_client
    test_client.close()


@pytest.mark.parametrize("query", ["²", "١٢", "9" * 200])
def test_a_log_page_lookup_of_odd_digits_names_the_problem(pages: TestClient, query: str) -> None:
    """``str.isdigit()`` is true of superscripts, which ``int()`` refuses (a 500 before)."""
    answer = pages.get("/log", params={"q": query, "format": "json"})
    assert answer.status_code in (200, 400), answer.text[:200]
    if answer.status_code == 200:
        assert answer.json()["entry"] is None and answer.json()["problem"]


def test_a_content_length_of_thousands_of_digits_is_413(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/log/entries/retrieve",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "9" * 5000},
    )
    assert answer.status_code == 413, answer.text[:200]
