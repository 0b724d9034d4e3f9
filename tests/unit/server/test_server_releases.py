"""The release records API in process over real SQLite: auth, idempotency, bad input.

401 without a token or with an unknown or revoked one, 403 with another project's; a record
or an event sent twice is stored once; a body with a wrong field, a path that does not match
the body, an oversized body: a 4xx naming the problem, and nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal
from tests.contract.server.test_records_store import RUN, record
from tests.unit.server.test_server_app import TestClient

from liturgia.server import create_app
from liturgia.server.records import RecordStore, open_records
from liturgia.tlog.log import RekorLog

LIMIT = 64 * 1024
RECORD_URL = "/api/v1/projects/vertice/releases/1.2.0"
EVENTS_URL = f"/api/v1/projects/vertice/runs/{RUN}/events"


@pytest.fixture
def store(records: RecordStore) -> RecordStore:
    return records


@pytest.fixture
def client(portal: BlockingPortal, log: RekorLog, store: RecordStore) -> Iterator[TestClient]:
    test_client = TestClient(portal, create_app(log, max_body_bytes=LIMIT, records=store))
    yield test_client
    test_client.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _record_json(**changes: object) -> dict[str, Any]:
    return record(**changes).model_dump(mode="json")


def _event(seq: int = 1, **changes: object) -> dict[str, Any]:
    document = {"seq": seq, "kind": "stage-started", "stage": "build", "at": "2026-12-05T07:00:00Z"}
    return {**document, **changes}


def test_writes_need_the_projects_token(client: TestClient, store: RecordStore) -> None:
    _, token = store.create_token("vertice")
    _, other = store.create_token("other")
    missing = client.put(RECORD_URL, json=_record_json())
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="liturgia"'
    assert missing.json()["code"] == 401
    for bad in ("Basic abc", "Bearer ", f"Bearer {token}x", "Bearer lit_nothing"):
        answer = client.put(RECORD_URL, json=_record_json(), headers={"Authorization": bad})
        assert answer.status_code == 401, bad
    forbidden = client.put(RECORD_URL, json=_record_json(), headers=_bearer(other))
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "the token is not a token of project 'vertice'"
    assert client.post(EVENTS_URL, json=_event(), headers=_bearer(other)).status_code == 403
    # A project nobody made a token for cannot be written at all.
    lonely = client.put(
        "/api/v1/projects/lonely/releases/1.2.0",
        json=_record_json(project="lonely"),
        headers=_bearer(other),
    )
    assert lonely.status_code == 403
    assert client.get("/api/v1/projects/vertice/releases").json() == []
    store.revoke_token(token.split("_")[1])
    assert client.put(RECORD_URL, json=_record_json(), headers=_bearer(token)).status_code == 401


def test_a_record_sent_twice_is_stored_once(client: TestClient, store: RecordStore) -> None:
    _, token = store.create_token("vertice")
    first = client.put(RECORD_URL, json=_record_json(), headers=_bearer(token))
    assert (first.status_code, first.json()) == (201, {"stored": True})
    again = client.put(RECORD_URL, json=_record_json(), headers=_bearer(token))
    assert (again.status_code, again.json()) == (200, {"stored": False})
    changed = client.put(RECORD_URL, json=_record_json(decision="NO-GO"), headers=_bearer(token))
    assert changed.status_code == 409
    releases = client.get("/api/v1/projects/vertice/releases").json()
    assert len(releases) == 1 and releases[0]["record"]["decision"] == "GO"
    for seq in (1, 1, 2, 2):
        client.post(EVENTS_URL, json=_event(seq), headers=_bearer(token))
    assert [e["seq"] for e in client.get(EVENTS_URL).json()] == [1, 2]
    conflict = client.post(EVENTS_URL, json=_event(2, stage="test"), headers=_bearer(token))
    assert conflict.status_code == 409
    release = client.get(RECORD_URL).json()
    assert release["record"]["artifacts"][0]["log_index"] == 3
    assert [e["seq"] for e in release["events"]] == [1, 2]
    assert [p["name"] for p in client.get("/api/v1/projects").json()] == ["vertice"]
    assert client.get("/api/v1/projects/vertice/releases/0.0.1").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"decision": "MAYBE"}, "field 'decision': Input should be 'GO' or 'NO-GO'"),
        ({"colour": "red"}, "field 'colour': Extra inputs are not permitted"),
        ({"gates": [{"name": "t", "passed": "yes", "summary": ""}]}, "field 'gates.0.passed'"),
        ({"project": "other"}, "field 'project': 'other' is not the path's 'vertice'"),
        ({"version": "1.2.1"}, "field 'version': '1.2.1' is not the path's '1.2.0'"),
        ({"artifacts": [{"name": "a", "sha256": "zz"}]}, "field 'artifacts.0.sha256'"),
    ],
)
def test_a_wrong_record_is_400_naming_the_field(
    client: TestClient, store: RecordStore, body: dict[str, Any], message: str
) -> None:
    _, token = store.create_token("vertice")
    answer = client.put(RECORD_URL, json={**_record_json(), **body}, headers=_bearer(token))
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)
    assert client.get("/api/v1/projects/vertice/releases").json() == []


def test_a_rollback_mark_needs_its_release_and_the_paths_names(
    client: TestClient, store: RecordStore
) -> None:
    _, token = store.create_token("vertice")
    mark = {
        "project": "vertice",
        "version": "1.2.0",
        "rolled_back_at": "2026-12-05T18:00:00Z",
        "reason": "logins fail",
    }
    url = RECORD_URL + "/rollback"
    missing = client.put(url, json=mark, headers=_bearer(token))
    assert missing.status_code == 404
    assert missing.json()["message"].endswith("send its record first")
    assert client.put(RECORD_URL, json=_record_json(), headers=_bearer(token)).status_code == 201
    other = client.put(url, json={**mark, "version": "1.2.1"}, headers=_bearer(token))
    assert other.status_code == 400
    assert other.json()["message"] == "field 'version': '1.2.1' is not the path's '1.2.0'"
    assert client.put(url, json=mark).status_code == 401
    assert client.put(url, json=mark, headers=_bearer(token)).status_code == 201
    assert client.put(url, json=mark, headers=_bearer(token)).status_code == 200
    again = client.put(url, json={**mark, "reason": "other"}, headers=_bearer(token))
    assert again.status_code == 409
    assert client.get(RECORD_URL).json()["rollback"]["reason"] == "logins fail"


def test_bad_events_paths_and_sizes(client: TestClient, store: RecordStore) -> None:
    _, token = store.create_token("vertice")
    headers = _bearer(token)
    bad_event = client.post(EVENTS_URL, json=_event(0), headers=headers)
    assert bad_event.status_code == 400
    assert bad_event.json()["message"].startswith("field 'seq': Input should be greater than")
    assert (
        client.post(EVENTS_URL, json=_event(kind="stage-done"), headers=headers).status_code == 400
    )
    bad_run = client.post(
        "/api/v1/projects/vertice/runs/XYZ/events", json=_event(), headers=headers
    )
    assert bad_run.status_code == 400
    huge = _record_json(notes="x" * LIMIT)
    assert client.put(RECORD_URL, json=huge, headers=headers).status_code == 413
    not_json = client.put(
        RECORD_URL, content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert client.get(EVENTS_URL).json() == []
    assert client.get("/api/v1/projects/vertice/releases").json() == []


def test_the_records_api_is_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    put = document["paths"]["/api/v1/projects/{project}/releases/{version}"]["put"]
    assert put["operationId"] == "putReleaseRecord"
    assert {"200", "201", "400", "401", "403", "409", "413"} <= set(put["responses"])
    reference = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = reference.rsplit("/", 1)[1]
    assert document["components"]["schemas"][name]["properties"]["decision"]["enum"] == [
        "GO",
        "NO-GO",
    ]
    assert "Gate" in document["components"]["schemas"]


def test_token_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from liturgia.cli import main  # noqa: PLC0415

    url = f"sqlite://{tmp_path / 'cli.db'}"
    assert main(["serve", "token", "create", "vertice", "--db", url]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    token_id = token.split("_")[1]
    assert f"token {token_id} may write the release records of project vertice" in out.err
    store = open_records(url)
    assert store.project_of(token) == "vertice"
    assert main(["serve", "token", "revoke", token_id, "--db", url]) == 0
    assert store.project_of(token) is None
    assert main(["serve", "token", "revoke", token_id, "--db", url]) == 2
    assert "no active token has id" in capsys.readouterr().err
    assert main(["serve", "token", "create", "no/slash", "--db", url]) == 2
    store.close()


def test_a_private_server_needs_a_token_to_read(
    portal: BlockingPortal, log: RekorLog, store: RecordStore
) -> None:
    _, token = store.create_token("vertice")
    store.put_record(record())
    client = TestClient(portal, create_app(log, records=store, private=True))
    for url in ("/api/v1/projects", RECORD_URL, "/", "/projects/vertice", "/metrics", EVENTS_URL):
        refused = client.get(url)
        assert refused.status_code == 401, url
        assert refused.headers["www-authenticate"] == 'Bearer realm="liturgia"'
        allowed = client.get(url, headers=_bearer(token))
        assert allowed.status_code == 200, url
    # The transparency log stays public, and so do the probes.
    assert client.get("/api/v1/log").status_code == 200
    assert client.get("/healthz").status_code == 200
    client.close()
    public = TestClient(portal, create_app(log, records=store))
    assert public.get("/api/v1/projects").status_code == 200
    public.close()


def test_a_failing_record_store_is_503_in_its_own_words(
    portal: BlockingPortal, log: RekorLog, tmp_path: Path
) -> None:
    """The records' database failing is said as such (not as the log's), with Retry-After;
    the log keeps answering."""
    store = open_records(f"sqlite://{tmp_path / 'gone.db'}")
    _, token = store.create_token("vertice")
    client = TestClient(portal, create_app(log, records=store))
    assert client.get("/api/v1/projects").status_code == 200
    store.close()
    for method, url in (
        ("GET", "/api/v1/projects"),
        ("GET", "/projects/vertice"),
        ("PUT", RECORD_URL),  # the token is checked against the records first
    ):
        answer = client.request(method, url, json=_record_json(), headers=_bearer(token))
        assert answer.status_code == 503, (url, answer.text)
        assert answer.headers["retry-after"] == "5"
        message = answer.json()["message"]
        assert message.startswith("the release records are unavailable: cockpit records: "), url
        assert "Cannot operate on a closed database" in message
        assert message.endswith("send it again later (the same content is stored once)")
        assert "log" not in message
    assert client.get("/api/v1/log").status_code == 200
    client.close()
