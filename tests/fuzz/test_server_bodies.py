"""Fuzz: every API body and query of a real ``liturgia serve`` is answered, never with a 5xx.

One ``liturgia serve`` process over SQLite on a free loopback port (seeded with real signed
entries) gets mutated request bodies for ``POST /api/v1/log/entries``, ``/entries/retrieve`` and
``/api/v1/index/retrieve``, ``PUT .../releases/{version}`` and ``POST .../runs/{run}/events``
(JSON shapes around real proposals, queries, records and events, and byte edits; the records'
writes with the project's token), and mutated query values and
paths for the reads (entries by index and UUID, proofs, tiles, release records). The
property: an answer below 500 (a bad request is a 4xx with a Rekor ``{"code", "message"}``
error body), and the server still answers afterwards. Only loopback traffic, one request per
example, a 10 s timeout each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia import sign
from tests.contract.server.test_records_store import RUN, event, record
from tests.fuzz.mutations import EDITS, JSON, mutate, replace_somewhere
from tests.fuzz.profile import fuzz
from tests.integration.server.conftest import Server

SEEDED = 3
JSON_TYPE = {"content-type": "application/json"}
SERVE = (sys.executable, "-m", "liturgia", "serve")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A served log with ``SEEDED`` entries; yields a client and a fresh proposal to mutate.

    The client sends project ``fuzz``'s write token (release records) with every request.
    """
    home = tmp_path_factory.mktemp("serve")
    server = Server(home / "log.db", home)
    made = subprocess.run(
        [*SERVE, "token", "create", "fuzz", "--db", f"sqlite://{home / 'log.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    bearer = {"Authorization": f"Bearer {made.stdout.strip()}"}
    sign.generate_key_pair(home / "k.key", home / "k.pub", password=b"pw")
    signer = sign.load_signer(str(home / "k.key"), password=b"pw")
    proposals = [
        sign.proposed_entry(
            sign.parse_bundle(sign.sign_bytes(b"artifact %d\n" % n, signer)), signer.public_key
        )
        for n in range(SEEDED + 1)
    ]
    try:
        with httpx.Client(base_url=server.url, timeout=10, headers=bearer) as http:
            for proposal in proposals[:SEEDED]:
                assert http.post("/api/v1/log/entries", json=proposal).status_code == 201
            yield http, proposals[SEEDED]
            assert http.get("/api/v1/log").status_code == 200  # still serving
    finally:
        assert server.stop() == 0, server.stderr.read_text()[-2000:]


def _answered(answer: httpx.Response) -> None:
    assert answer.status_code < 500, f"{answer.status_code}: {answer.text[:300]}"
    if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith(
        "application/json"
    ):
        error = answer.json()
        assert isinstance(error, dict) and isinstance(error.get("message"), str), error


def _post(http: httpx.Client, path: str, body: bytes) -> None:
    _answered(http.post(path, content=body, headers=JSON_TYPE))


@fuzz(0.5)
@given(where=st.lists(st.integers(0, 20), max_size=5), value=JSON)
def test_entry_submission_shapes(
    log: tuple[httpx.Client, dict[str, Any]], where: list[int], value: object
) -> None:
    http, proposal = log
    _post(
        http, "/api/v1/log/entries", json.dumps(replace_somewhere(proposal, where, value)).encode()
    )


@fuzz(0.5)
@given(edits=EDITS)
def test_entry_submission_bytes(
    log: tuple[httpx.Client, dict[str, Any]], edits: list[tuple[int, int, bytes]]
) -> None:
    http, proposal = log
    _post(http, "/api/v1/log/entries", mutate(json.dumps(proposal).encode(), edits))


#: (method, path) -> a valid body to mutate: searches, a release record and a stage event.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/log/entries/retrieve"): {
        "entryUUIDs": ["00" * 32],
        "logIndexes": [0, 1],
        "entries": [],
    },
    ("POST", "/api/v1/index/retrieve"): {
        "hash": "sha256:" + "ab" * 32,
        "publicKey": {"format": "x509", "content": "AAAA"},
        "operator": "and",
    },
    ("PUT", "/api/v1/projects/fuzz/releases/1.2.0"): record(project="fuzz").model_dump(mode="json"),
    ("POST", f"/api/v1/projects/fuzz/runs/{RUN}/events"): event(1).model_dump(mode="json"),
}


@pytest.mark.parametrize(("method", "path"), sorted(BODIES))
@fuzz(0.5)
@given(where=st.lists(st.integers(0, 20), max_size=4), value=JSON, edits=st.none() | EDITS)
def test_other_bodies(
    log: tuple[httpx.Client, dict[str, Any]],
    method: str,
    path: str,
    where: list[int],
    value: object,
    edits: list[tuple[int, int, bytes]] | None,
) -> None:
    http, _ = log
    body = json.dumps(replace_somewhere(BODIES[method, path], where, value)).encode()
    content = mutate(body, edits) if edits else body
    _answered(http.request(method, path, content=content, headers=JSON_TYPE))


QUERY_VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "0", "1", "-1", "1e3", "0x10", " 1", "9" * 30, "9" * 5000, "NaN"]),
    st.text(max_size=12),
)
READS = (
    "/api/v1/log/entries?logIndex={v}",
    "/api/v1/log/entries/{v}",
    "/api/v1/log/proof?firstSize={v}&lastSize={w}",
    "/api/v1/log/proof?lastSize={v}&treeID={w}",
    "/api/v1/log?treeID={v}",
    "/tile/0/{v}",
    "/tile/{v}/000.p/{w}",
    "/tile/entries/{v}",
    "/checkpoint?{v}={w}",
    "/metrics?{v}={w}",
    "/api/v1/projects/{v}/releases?limit={w}",
    "/api/v1/projects/fuzz/releases/{v}",
    "/api/v1/projects/{v}/runs/{w}/events",
    f"/api/v1/projects/fuzz/runs/{RUN}/events?after={{v}}",
)


@fuzz()
@given(template=st.sampled_from(READS), v=QUERY_VALUES, w=QUERY_VALUES)
def test_read_queries(
    log: tuple[httpx.Client, dict[str, Any]], template: str, v: str, w: str
) -> None:
    http, _ = log
    quote = urllib.parse.quote
    _answered(http.get(template.format(v=quote(v, safe=""), w=quote(w, safe=""))))


def test_a_submission_after_the_fuzzing_is_still_accepted(
    log: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, proposal = log
    assert http.post("/api/v1/log/entries", json=proposal).status_code in {201, 409}
