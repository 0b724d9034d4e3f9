"""Health probes, security headers, request IDs, CORS off, body limits and JSON logs.

In process over a real RekorLog on SQLite; every path of the app is covered (the bare write
path, the bare reads, the FastAPI routes, the framework's own 404).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord
from tests.unit.server.test_server_app import HOST, TREE_ID, TestClient

from liturgia.server import create_app
from liturgia.server.hardening import CONTENT_SECURITY_POLICY, json_logging
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

LIMIT = 4096


@pytest.fixture
def client(portal: BlockingPortal, log: RekorLog) -> Iterator[TestClient]:
    test_client = TestClient(portal, create_app(log, max_body_bytes=LIMIT))
    yield test_client
    test_client.close()


def _requests(signer: ec.EllipticCurvePrivateKey) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("POST", "/api/v1/log/entries", {"json": hashedrekord(signer, b"a")}),  # bare write
        ("POST", "/api/v1/log/entries", {"content": b"{}"}),  # bare write, 415
        ("GET", "/api/v1/log", {}),  # bare read
        ("GET", "/api/v1/log/entries?logIndex=99", {}),  # bare read, 404
        ("GET", "/api/v1/log?x=1", {}),  # FastAPI route
        ("POST", "/api/v1/index/retrieve", {"json": {"hash": "sha256:" + "0" * 64}}),  # FastAPI
        ("GET", "/healthz", {}),
        ("GET", "/nowhere", {}),  # the framework's 404
        ("OPTIONS", "/api/v1/log/entries", {}),  # a CORS preflight: 405, no CORS headers
    ]


def test_every_answer_carries_the_security_headers_and_no_cors(
    client: TestClient, signer: ec.EllipticCurvePrivateKey
) -> None:
    statuses = []
    for method, url, kwargs in _requests(signer):
        response = client.request(
            method,
            url,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            **kwargs,  # type: ignore[arg-type]
        )
        statuses.append(response.status_code)
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, url
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert not [name for name in headers if name.startswith("access-control-")], url
        assert re.fullmatch("[0-9a-f]{32}", headers["x-request-id"]), url
    assert statuses == [201, 415, 200, 404, 200, 200, 200, 404, 405]


def test_request_id_is_the_clients_when_it_is_a_short_token(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "build-42.step_7"})
    assert given.headers["x-request-id"] == "build-42.step_7"
    for bad in ("x" * 65, "a b", "<script>", ""):
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch("[0-9a-f]{32}", answer.headers["x-request-id"]), bad
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_health_and_readiness(client: TestClient, signer: ec.EllipticCurvePrivateKey) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "storage": "reachable",
        "tree": "verified",
        "treeSize": 0,
    }
    assert client.post("/api/v1/log/entries", json=hashedrekord(signer, b"b")).status_code == 201
    assert client.get("/readyz").json()["treeSize"] == 1


def test_readiness_fails_when_the_storage_is_gone(
    tmp_path: Path, portal: BlockingPortal, log_key: ec.EllipticCurvePrivateKey
) -> None:
    storage = SqliteStorage(tmp_path / "gone.db")
    log = RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID)
    log.start()
    client = TestClient(portal, create_app(log))
    assert client.get("/readyz").status_code == 200
    log.close()
    storage.close()
    answer = client.get("/readyz")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == 503
    assert answer.json()["message"].startswith("the log is unavailable: ")
    assert client.get("/healthz").status_code == 200  # alive, not ready
    client.close()


def test_body_limit_on_every_write(client: TestClient, signer: ec.EllipticCurvePrivateKey) -> None:
    big = json.dumps({"hash": "sha256:" + "0" * LIMIT}).encode()
    for url in ("/api/v1/log/entries", "/api/v1/log/entries/retrieve", "/api/v1/index/retrieve"):
        declared = client.post(url, content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413, url
        assert declared.json()["message"] == (
            f"request body of {len(big)} bytes is over the {LIMIT}-byte limit"
        )

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
            yield big[:2000]
            yield big[2000:]

        chunked = client.post(url, content=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413, url
        assert chunked.json() == {
            "code": 413,
            "message": f"request body is over the {LIMIT}-byte limit",
        }
    # A route taking no body refuses one over the limit too, before it runs.
    assert client.post("/healthz", content=big).status_code == 413
    assert client.get("/api/v1/log").json()["treeSize"] == 0  # nothing stored


def test_json_log_lines_carry_the_request_id(client: TestClient) -> None:
    stream = io.StringIO()
    with json_logging(logging.INFO, stream):
        client.get("/healthz", headers={"X-Request-ID": "req-1"})
        client.get("/api/v1/log/entries?logIndex=7", headers={"X-Request-ID": "req-2"})
        logging.getLogger("liturgia.server.app").warning("outside any request")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "liturgia.server.access"]
    assert [(a["request_id"], a["method"], a["path"], a["status"]) for a in access] == [
        ("req-1", "GET", "/healthz", 200),
        ("req-2", "GET", "/api/v1/log/entries", 404),
    ]
    assert all(a["level"] == "INFO" and a["duration_ms"] >= 0 for a in access)
    assert lines[-1]["message"] == "outside any request" and lines[-1]["request_id"] == "-"
    # Restored afterwards: nothing more is written to the stream.
    client.get("/healthz")
    assert len(stream.getvalue().splitlines()) == len(lines)


def test_request_ids_are_unique_within_and_across_processes() -> None:
    """A process's IDs never repeat; a forked worker draws its own prefix (none shared)."""
    from liturgia.server.hardening import _REQUEST_IDS  # noqa: PLC0415

    ids = [_REQUEST_IDS.next() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    assert len({i[:16] for i in ids}) == 1  # one process, one prefix
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        os.write(write, _REQUEST_IDS.next().encode("ascii"))
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    forked = os.read(read, 64).decode("ascii")
    os.close(read)
    assert re.fullmatch("[0-9a-f]{32}", forked) and forked[:16] != ids[0][:16]
    assert forked[16:] == "0" * 16  # the child counts from zero under its own prefix
