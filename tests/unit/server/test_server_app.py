"""The Rekor v1 REST API, in process (Starlette TestClient) over a real RekorLog on SQLite.

The log's global index is ahead of its tree-local one (a rotated shard), so every answer is
checked to keep the two apart. Every bad input gets a 4xx JSON error and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from tests.rekor_requests import hashedrekord, public_pem

from liturgia.server import create_app
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import open_checkpoint, verifier_for
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

HOST = "log.example"
TREE_ID = 4242
OFFSET = 1000
LIMIT = 16_384


def dsse(key: ec.EllipticCurvePrivateKey, payload: bytes) -> dict[str, Any]:
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)
    signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": json.dumps(envelope),
                "verifiers": [base64.b64encode(public_pem(key)).decode()],
            }
        },
    }


@pytest.fixture
def log_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def signer() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def log(tmp_path: Path, log_key: ec.EllipticCurvePrivateKey) -> Iterator[RekorLog]:
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(
        storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET, wait_timeout=10
    ) as running:
        yield running
    storage.close()


class TestClient:
    """A synchronous face on httpx.AsyncClient over httpx.ASGITransport (in process).

    Starlette's own TestClient now wants ``httpx2``; this drives the app with plain httpx
    through an anyio blocking portal instead.
    """

    __test__ = False

    def __init__(self, portal: BlockingPortal, app: Any) -> None:
        self._portal = portal
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://log.example"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


@pytest.fixture(params=["bare ASGI write path", "FastAPI route"])
def client(
    portal: BlockingPortal, log: RekorLog, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """A client of the app; every test runs against both ways of serving a submission."""
    app = create_app(log, max_body_bytes=LIMIT)
    if request.param == "FastAPI route":
        app.writer = None  # type: ignore[attr-defined]
    test_client = TestClient(portal, app)
    yield test_client
    test_client.close()


def _entry(answer: Any) -> rekor.LogEntry:
    return rekor.LogEntry.from_api_json(answer)


def _verify(entry: rekor.LogEntry, log_key: ec.EllipticCurvePrivateKey) -> None:
    rekor.verify_log_entry(entry, log_key.public_key(), key_name=HOST, origin=f"{HOST} - {TREE_ID}")


def test_create_entry_and_fetch_it_back(
    client: TestClient, log_key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> None:
    request = hashedrekord(signer, b"artifact one")
    response = client.post("/api/v1/log/entries", json=request)
    assert response.status_code == 201
    body = response.json()
    ((entry_id, value),) = body.items()
    assert len(entry_id) == 80 and entry_id.startswith(f"{TREE_ID:016x}")
    assert response.headers["location"] == f"/api/v1/log/entries/{entry_id}"
    assert response.headers["etag"] == entry_id
    assert set(value) == {"body", "integratedTime", "logID", "logIndex", "verification"}
    assert set(value["verification"]) == {"inclusionProof", "signedEntryTimestamp"}
    assert value["logIndex"] == OFFSET
    proof = value["verification"]["inclusionProof"]
    assert proof["logIndex"] == 0 and proof["treeSize"] == 1
    assert set(proof) == {"checkpoint", "hashes", "logIndex", "rootHash", "treeSize"}
    entry = _entry(body)
    _verify(entry, log_key)
    stored = json.loads(entry.body)
    assert stored["spec"]["data"]["hash"]["value"] == hashlib.sha256(b"artifact one").hexdigest()

    # Fetch it back by its Location, by UUID (any case) and by global index.
    for path in (
        response.headers["location"],
        f"/api/v1/log/entries/{entry_id[16:]}",
        f"/api/v1/log/entries/{entry_id.upper()}",
    ):
        again = client.get(path)
        assert again.status_code == 200, path
        assert _entry(again.json()).body == entry.body
    by_index = client.get("/api/v1/log/entries", params={"logIndex": OFFSET})
    assert by_index.status_code == 200
    assert list(by_index.json()) == [entry_id]
    _verify(_entry(by_index.json()), log_key)

    # The same entry again, in another JSON layout: 409 with the existing entry's location.
    duplicate = client.post(
        "/api/v1/log/entries",
        content=json.dumps(request, indent=2, sort_keys=True),
        headers={"content-type": "application/json"},
    )
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "code": 409,
        "message": f"an equivalent entry already exists in the transparency log with UUID "
        f"{entry_id}",
    }
    assert duplicate.headers["location"] == f"/api/v1/log/entries/{entry_id}"
    assert client.get("/api/v1/log").json()["treeSize"] == 1


def test_dsse_entry(
    client: TestClient, log_key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> None:
    payload = b'{"_type":"https://in-toto.io/Statement/v1"}'
    response = client.post("/api/v1/log/entries", json=dsse(signer, payload))
    assert response.status_code == 201
    entry = _entry(response.json())
    _verify(entry, log_key)
    assert entry.kind_version() == ("dsse", "0.0.1")
    found = client.post(
        "/api/v1/index/retrieve", json={"hash": "sha256:" + hashlib.sha256(payload).hexdigest()}
    )
    assert found.status_code == 200
    assert found.json() == list(response.json())


def test_log_info_and_consistency_proofs(
    client: TestClient, log_key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> None:
    empty = client.get("/api/v1/log").json()
    assert empty["treeSize"] == 0 and empty["rootHash"] == merkle.EMPTY_ROOT.hex()
    heads = []
    for number in range(5):
        response = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"%d" % number))
        assert response.status_code == 201
        heads.append(client.get("/api/v1/log").json())
    info = heads[-1]
    assert set(info) == {"rootHash", "signedTreeHead", "treeID", "treeSize"}
    assert info["treeSize"] == 5 and info["treeID"] == str(TREE_ID)
    head = open_checkpoint(
        info["signedTreeHead"].encode(),
        [verifier_for(HOST, log_key.public_key())],
        origin=f"{HOST} - {TREE_ID}",
    )
    assert (head.size, head.root_hash.hex()) == (5, info["rootHash"])
    for first in range(1, 6):
        for last in range(first, 6):
            params = {"firstSize": first, "lastSize": last, "treeID": str(TREE_ID)}
            proof = client.get("/api/v1/log/proof", params=params)
            assert proof.status_code == 200
            assert proof.json()["rootHash"] == heads[last - 1]["rootHash"]
            merkle.verify_consistency(
                size1=first,
                size2=last,
                proof=[bytes.fromhex(h) for h in proof.json()["hashes"]],
                root1=bytes.fromhex(heads[first - 1]["rootHash"]),
                root2=bytes.fromhex(heads[last - 1]["rootHash"]),
            )
    default_first = client.get("/api/v1/log/proof", params={"lastSize": 5})
    assert (
        default_first.json()
        == client.get("/api/v1/log/proof", params={"firstSize": 1, "lastSize": 5}).json()
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"firstSize": 1, "lastSize": 3}, "no consistency proof from size 1 to 3 in a tree of 2"),
        ({"firstSize": 2, "lastSize": 1}, "no consistency proof from size 2 to 1"),
        ({"firstSize": 0, "lastSize": 1}, "firstSize"),
        ({"firstSize": -1, "lastSize": 1}, "firstSize"),
        ({"lastSize": "two"}, "lastSize"),
        ({"firstSize": 1}, "lastSize"),
        ({"lastSize": 1, "treeID": "77"}, "tree 77 is not this log's tree 4242"),
        ({"lastSize": 1, "treeID": "x"}, "treeID"),
    ],
)
def test_bad_proof_requests(
    client: TestClient,
    signer: ec.EllipticCurvePrivateKey,
    params: dict[str, Any],
    message: str,
) -> None:
    for artifact in (b"a", b"b"):
        assert client.post("/api/v1/log/entries", json=hashedrekord(signer, artifact)).status_code
    response = client.get("/api/v1/log/proof", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == 400 and message in response.json()["message"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"logIndex": -1}, 400, "logIndex"),
        ({"logIndex": "one"}, 400, "logIndex"),
        ({"logIndex": "1.5"}, 400, "logIndex"),
        ({}, 400, "logIndex"),
        ({"logIndex": OFFSET - 1}, 404, f"no entry at log index {OFFSET - 1}"),
        ({"logIndex": OFFSET + 1}, 404, f"no entry at log index {OFFSET + 1}"),
        ({"logIndex": 10**30}, 400, "logIndex"),  # beyond an int64 (issue 16)
    ],
)
def test_entry_by_index_errors(
    client: TestClient,
    signer: ec.EllipticCurvePrivateKey,
    query: dict[str, Any],
    status: int,
    message: str,
) -> None:
    client.post("/api/v1/log/entries", json=hashedrekord(signer, b"only"))
    response = client.get("/api/v1/log/entries", params=query)
    assert response.status_code == status
    assert response.json()["code"] == status and message in response.json()["message"]


@pytest.mark.parametrize(
    ("uuid", "status", "message"),
    [
        ("0" * 64, 404, "no entry with UUID"),
        ("xyz", 400, "is not 64 or 80 lower-case hex digits"),
        ("0" * 80, 400, "is not of tree 4242"),
    ],
)
def test_entry_by_uuid_errors(client: TestClient, uuid: str, status: int, message: str) -> None:
    response = client.get(f"/api/v1/log/entries/{uuid}")
    assert response.status_code == status
    assert message in response.json()["message"]


def test_retrieve_entries(
    client: TestClient, log_key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> None:
    requests = [hashedrekord(signer, b"r%d" % n) for n in range(3)]
    ids = [next(iter(client.post("/api/v1/log/entries", json=r).json())) for r in requests]
    query = {
        "entryUUIDs": [ids[2][16:], "f" * 64],
        "logIndexes": [OFFSET, OFFSET + 99],
        "entries": [requests[1]],
    }
    response = client.post("/api/v1/log/entries/retrieve", json=query)
    assert response.status_code == 200
    answers = response.json()
    assert [next(iter(a)) for a in answers] == [ids[2], ids[0], ids[1]]
    for answer in answers:
        _verify(_entry(answer), log_key)
    none = client.post("/api/v1/log/entries/retrieve", json={"logIndexes": [0]})
    assert none.status_code == 200 and none.json() == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([], "search query must be a JSON object"),
        ({}, "needs entryUUIDs, logIndexes or entries"),
        ({"logIndexes": 3}, "'logIndexes' must be a list"),
        ({"logIndexes": [-1]}, "logIndexes[0] must be a non-negative integer"),
        ({"logIndexes": [True]}, "logIndexes[0] must be a non-negative integer"),
        ({"entryUUIDs": [7]}, "entryUUIDs[0] must be a string"),
        ({"entryUUIDs": ["nothex"]}, "is not 64 or 80 lower-case hex digits"),
        ({"logIndexes": list(range(11))}, "asks for 11 items; at most 10"),
        ({"entries": [{"kind": "rpm", "apiVersion": "0.0.1", "spec": {}}]}, "rpm 0.0.1"),
    ],
)
def test_retrieve_bad_queries(client: TestClient, query: Any, message: str) -> None:
    response = client.post("/api/v1/log/entries/retrieve", json=query)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_index_retrieve(client: TestClient, signer: ec.EllipticCurvePrivateKey) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    ids = [
        next(iter(client.post("/api/v1/log/entries", json=hashedrekord(key, art)).json()))
        for key, art in ((signer, b"shared"), (other, b"shared"), (signer, b"own"))
    ]
    shared = hashlib.sha256(b"shared").hexdigest()
    key = {"format": "x509", "content": base64.b64encode(public_pem(signer)).decode()}

    def search(query: dict[str, Any]) -> Any:
        response = client.post("/api/v1/index/retrieve", json=query)
        assert response.status_code == 200
        return response.json()

    assert search({"hash": f"sha256:{shared}"}) == ids[:2]
    assert search({"hash": shared.upper()}) == ids[:2]
    assert search({"publicKey": key}) == [ids[0], ids[2]]
    assert search({"hash": shared, "publicKey": key}) == [ids[0]]
    assert search({"hash": shared, "publicKey": key, "operator": "or"}) == ids
    assert search({"hash": "0" * 64}) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("text", "index query must be a JSON object"),
        ({}, "search needs an artifact hash or a public key"),
        ({"email": "a@example.org"}, "search by email is not supported"),
        ({"hash": 5}, "'hash' must be a string"),
        ({"hash": "md5:00"}, "is not '<sha256|sha384|sha512>:<hex>'"),
        ({"hash": "0" * 64, "operator": 1}, "'operator' must be 'and' or 'or'"),
        ({"hash": "0" * 64, "operator": "xor"}, "operator must be 'and' or 'or'"),
        ({"publicKey": "pem"}, "'publicKey' must be an object"),
        ({"publicKey": {"format": "pgp", "content": "AA=="}}, "format 'pgp' is not supported"),
        ({"publicKey": {"format": "x509", "url": "http://x"}}, "publicKey.url is not supported"),
        ({"publicKey": {"format": "x509"}}, "'publicKey.content' must be a base64 string"),
        ({"publicKey": {"format": "x509", "content": "%%%"}}, "'publicKey.content' is not base64"),
        ({"publicKey": {"format": "x509", "content": "AAAA"}}, "not a PEM public key"),
    ],
)
def test_index_retrieve_bad_queries(client: TestClient, query: Any, message: str) -> None:
    response = client.post("/api/v1/index/retrieve", json=query)
    assert response.status_code == 400
    assert message in response.json()["message"]


def _tampered(signer: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    request = hashedrekord(signer, b"signed")
    request["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"other").hexdigest()
    return request


def _wrong_version(signer: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return {**hashedrekord(signer, b"v"), "apiVersion": "0.0.2"}


def _dsse_wrong_key(signer: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    request = dsse(signer, b"{}")
    other = ec.generate_private_key(ec.SECP256R1())
    request["spec"]["proposedContent"]["verifiers"] = [base64.b64encode(public_pem(other)).decode()]
    return request


BAD_SUBMISSIONS = [
    ("malformed JSON", lambda s: b'{"kind": "hashedrekord",', 400, "request body is not JSON"),
    ("not UTF-8", lambda s: b"\xff\xfe\xfa", 400, "request body is not JSON"),
    ("empty body", lambda s: b"", 400, "request body is not JSON"),
    ("NaN", lambda s: b'{"kind": NaN}', 400, "NaN is not JSON"),
    ("deep nesting", lambda s: b"[" * 8_000 + b"]" * 8_000, 400, "request body is not JSON"),
    ("not an object", lambda s: [1, 2], 400, "'entry' must be an object"),
    (
        "unknown kind",
        lambda s: {"kind": "rpm", "apiVersion": "0.0.1", "spec": {}},
        400,
        "entry kind rpm 0.0.1 is not supported",
    ),
    ("unknown version", _wrong_version, 400, "entry kind hashedrekord 0.0.2 is not supported"),
    ("bad signature", _tampered, 400, "signature does not verify"),
    ("dsse wrong key", _dsse_wrong_key, 400, "verifies no signature"),
    (
        "unsupported key type",
        lambda s: hashedrekord(ed25519.Ed25519PrivateKey.generate(), b"e"),
        400,
        "keys are not supported by hashedrekord",
    ),
    ("oversized", lambda s: {"pad": "x" * LIMIT}, 413, f"over the {LIMIT}-byte limit"),
]


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [case[1:] for case in BAD_SUBMISSIONS],
    ids=[case[0] for case in BAD_SUBMISSIONS],
)
def test_bad_submissions_store_nothing_and_the_server_keeps_serving(
    client: TestClient,
    log: RekorLog,
    log_key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    make: Any,
    status: int,
    message: str,
) -> None:
    document = make(signer)
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    response = client.post(
        "/api/v1/log/entries", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["code"] == status and message in response.json()["message"]
    assert client.get("/api/v1/log").json()["treeSize"] == 0
    good = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"fine"))
    assert good.status_code == 201
    entry = _entry(good.json())
    _verify(entry, log_key)
    assert entry.log_index == OFFSET  # nothing was sequenced before it


def test_concurrent_submissions_are_all_logged(
    portal: BlockingPortal,
    client: TestClient,
    log_key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
) -> None:
    requests = [hashedrekord(signer, b"c%d" % n) for n in range(48)]
    app_client = client._client
    answers: list[httpx.Response] = []

    async def submit_all() -> None:
        async def one(request: dict[str, Any]) -> None:
            answers.append(await app_client.post("/api/v1/log/entries", json=request))

        async with anyio.create_task_group() as group:
            for request in requests:
                group.start_soon(one, request)

    portal.call(submit_all)
    assert sorted(a.status_code for a in answers) == [201] * 48
    entries = [_entry(a.json()) for a in answers]
    assert sorted(e.log_index for e in entries) == list(range(OFFSET, OFFSET + 48))
    for entry in entries:
        _verify(entry, log_key)
    assert client.get("/api/v1/log").json()["treeSize"] == 48


def test_oversized_streamed_body_without_length(client: TestClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(LIMIT // 1024 + 2):
            yield b" " * 1024

    for path in ("/api/v1/log/entries", "/api/v1/log/entries/retrieve", "/api/v1/index/retrieve"):
        response = client.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413, path
        assert response.json() == {
            "code": 413,
            "message": f"request body is over the {LIMIT}-byte limit",
        }


def test_unknown_routes_and_methods_answer_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json() == {"code": 404, "message": "Not Found"}
    wrong = client.delete("/api/v1/log")
    assert wrong.status_code == 405 and wrong.json()["code"] == 405


def test_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = {
        (path, method): operation.get("operationId")
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert operations == {
        ("/api/v1/log/entries", "post"): "createLogEntry",
        ("/api/v1/log/entries", "get"): "getLogEntryByIndex",
        ("/api/v1/log/entries/retrieve", "post"): "searchLogQuery",
        ("/api/v1/log/entries/{entryUUID}", "get"): "getLogEntryByUUID",
        ("/api/v1/log", "get"): "getLogInfo",
        ("/api/v1/log/proof", "get"): "getLogProof",
        ("/api/v1/index/retrieve", "post"): "searchIndex",
        ("/healthz", "get"): "getHealth",
        ("/readyz", "get"): "getReadiness",
        ("/metrics", "get"): "getMetrics",
    }
    parameters = document["paths"]["/api/v1/log/entries/{entryUUID}"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["entryUUID"]
    parameters = document["paths"]["/api/v1/log/proof"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"firstSize", "lastSize", "treeID"}
    # Errors as the server sends them (found by a tester: 422s it never answers were listed).
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    for (path, method), _ in operations.items():
        responses = document["paths"][path][method]["responses"]
        assert "422" not in responses and {"400", "503"} <= set(responses), (path, method)
    create = document["paths"]["/api/v1/log/entries"]["post"]["responses"]
    assert {"201", "400", "409", "413", "415", "507"} <= set(create)
    assert "404" in document["paths"]["/api/v1/log/entries"]["get"]["responses"]
    wrong = client.get("/api/v1/log/entries/retrieve")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")


def test_storage_failure_is_503(
    tmp_path: Path,
    portal: BlockingPortal,
    log_key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
) -> None:
    storage = SqliteStorage(tmp_path / "closed.db")
    log = RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID)
    log.start()
    log.close()  # the sequencer stops: submissions fail as the storage would
    client = TestClient(portal, create_app(log))
    response = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"late"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "code": 503,
        "message": "the log is unavailable: sequencer is not running. An entry sent now may "
        "already be stored: retry later and take a 409 naming it as logged",
    }
    assert client.get("/api/v1/log").json()["treeSize"] == 0
    client.close()
    storage.close()


def test_body_limit_must_be_positive(log: RekorLog) -> None:
    with pytest.raises(ValueError, match="max_body_bytes must be positive, not 0"):
        create_app(log, max_body_bytes=0)


def test_public_key_endpoint(
    portal: BlockingPortal, log: RekorLog, log_key: ec.EllipticCurvePrivateKey
) -> None:
    client = TestClient(portal, create_app(log, public_key=log_key.public_key()))
    response = client.get("/api/v1/log/publicKey")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-pem-file"
    assert response.content == public_pem(log_key)
    document = client.get("/openapi.json").json()
    assert document["paths"]["/api/v1/log/publicKey"]["get"]["operationId"] == "getPublicKey"
    client.close()
    without = TestClient(portal, create_app(log))
    assert without.get("/api/v1/log/publicKey").status_code == 404
    without.close()


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"],
)
def test_bodies_not_sent_as_json_get_415(
    client: TestClient, signer: ec.EllipticCurvePrivateKey, content_type: str | None
) -> None:
    """Found by a tester: a browser can post these cross-site without asking first."""
    body = json.dumps(hashedrekord(signer, b"cross-site")).encode()
    headers = {} if content_type is None else {"content-type": content_type}
    for path in ("/api/v1/log/entries", "/api/v1/log/entries/retrieve", "/api/v1/index/retrieve"):
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 415, path
        assert response.json()["code"] == 415
        assert "must be sent as application/json" in response.json()["message"]
    assert client.get("/api/v1/log").json()["treeSize"] == 0
    ok = client.post(
        "/api/v1/log/entries",
        content=body,
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert ok.status_code == 201


def test_requests_the_tester_turned_into_500s_are_400s(client: TestClient) -> None:
    """Lone surrogates and over-long numbers are answered as ASCII JSON errors."""
    cases = [
        (b'{"kind": "\\ud800", "apiVersion": "0.0.1", "spec": {}}', "is not supported"),
        (b'{"kind": "hashedrekord", "x": ' + b"9" * 5000 + b"}", "a number is too long"),
    ]
    for content, message in cases:
        response = client.post(
            "/api/v1/log/entries", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.content.isascii()
        assert message in response.json()["message"]
    long_uuid = client.get("/api/v1/log/entries/" + "a" * 60_000)
    assert long_uuid.status_code == 400
    assert len(long_uuid.content) < 400 and "(60000 characters)" in long_uuid.json()["message"]
    slash = client.get("/api/v1/log/", headers={"host": "evil.example"})
    assert slash.status_code == 404 and "location" not in slash.headers
    assert client.get("/api/v1/log").json()["treeSize"] == 0


def test_a_bug_while_committing_answers_500_instead_of_hanging(
    portal: BlockingPortal,
    log: RekorLog,
    signer: ec.EllipticCurvePrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by a tester: an exception other than the log's own left every waiter hanging."""

    def broken(accepted: object) -> None:
        raise ValueError("integratedTime 1e20 is outside 0..2**53")

    monkeypatch.setattr(log, "commit", broken)  # fault injection: what a bug in commit raises
    client = TestClient(portal, create_app(log))
    response = client.post("/api/v1/log/entries", json=hashedrekord(signer, b"bug"))
    assert response.status_code == 500
    assert response.json() == {
        "code": 500,
        "message": "internal error: ValueError: integratedTime 1e20 is outside 0..2**53",
    }
    client.close()
